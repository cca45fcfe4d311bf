#!/usr/bin/env python3
"""Cross-checks vtrace's detector against scikit-learn (run by ctest as
detector.sklearn_cross_check; fails on any mismatch).

1. Tree: on the fixed dataset tests/detector/xcheck/{train,test}.csv, one
   unpruned CART tree of vtrace (detector_xcheck tree) and
   sklearn.tree.DecisionTreeClassifier(criterion='gini', max_depth=D,
   min_samples_leaf=L) must have the same number of nodes and make the same
   prediction for every test row.
   Conventions that could make them differ, and how the dataset avoids them:
   * ties between equally good splits: sklearn visits features in a random
     order and keeps the first best; vtrace keeps the first in feature order.
     This script checks, with exact rational arithmetic, that at every split
     sklearn made the best partition is unique (no other partition of the
     node's rows scores within 1e-9 of it), so the tie rule never matters.
   * thresholds: sklearn casts X to float32 and splits at the double midpoint
     of two consecutive values; vtrace stores the largest float <= that
     midpoint. For float32 inputs "x <= t" decides the same; every value in
     the dataset is exactly a float32 (checked).
   * sklearn treats values closer than 1e-7 as equal (no cut between them);
     the dataset's distinct values of a feature differ by more (checked).
2. AUC: vtrace's ROC area equals sklearn.metrics.roc_auc_score to 1e-9:
   (a) `vtrace eval MODEL DATA --scores` on the synthetic dataset with the
       committed default model (AUC from its JSON output vs roc_auc_score of
       the exported per-second labels and scores, score negated since a low
       score means faulty); (b) detector_xcheck auc on random score sets full
       of ties.

usage:
  sklearn_check.py --xcheck BIN --vtrace BIN --data tests/detector --work DIR
  sklearn_check.py --generate tests/detector/xcheck     (re-creates the fixed dataset)
"""
import argparse
import csv
import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier

MAX_DEPTH = 7
MIN_LEAF = 12
N_FEATURES = 6


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def read_matrix(path):
    rows = list(csv.reader(open(path)))
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    return data[:, :-1], data[:, -1].astype(int)


def write_matrix(path, x, y):
    with open(path, 'w') as f:
        f.write(','.join('f%d' % j for j in range(x.shape[1])) + ',y\n')
        for row, label in zip(x, y):
            f.write(','.join(repr(float(np.float32(v))) for v in row) + ',%d\n' % label)


def make_data(seed, n):
    rs = np.random.RandomState(seed)
    x = rs.uniform(0, 100, size=(n, N_FEATURES)).astype(np.float32)
    # A nonlinear rule with 8% label noise: deep trees, mixed nodes.
    y = ((x[:, 0] > 55) & (x[:, 1] < 35)) | (x[:, 2] + 0.5 * x[:, 3] > 110) | ((x[:, 4] < 12) & (x[:, 5] > 40))
    flip = rs.uniform(size=n) < 0.08
    return x, (y ^ flip).astype(int)


def check_values(x, name):
    if not np.all(x.astype(np.float32).astype(np.float64) == x):
        fail('%s: a value is not exactly a float32' % name)
    for j in range(x.shape[1]):
        u = np.unique(x[:, j])
        if len(u) > 1 and np.min(np.diff(u)) <= 1e-6:
            fail('%s: feature %d has distinct values closer than 1e-6' % (name, j))


def node_best_scores(xs, ys):
    """All distinct partitions of a node's rows allowed by MIN_LEAF, with the
    exact score sum (n0^2 + n1^2) / n over both sides (larger is better).
    Returns a dict frozenset(left row ids) -> score."""
    n = len(ys)
    out = {}
    total_pos = int(ys.sum())
    for j in range(xs.shape[1]):
        order = np.argsort(xs[:, j], kind='stable')
        v = xs[order, j]
        pos = 0
        for i in range(n - 1):
            pos += int(ys[order[i]])
            nl = i + 1
            nr = n - nl
            if nl < MIN_LEAF or nr < MIN_LEAF or not v[i] < v[i + 1]:
                continue
            pr = total_pos - pos
            score = Fraction((nl - pos) ** 2 + pos ** 2, nl) + Fraction((nr - pr) ** 2 + pr ** 2, nr)
            key = frozenset(order[:nl].tolist())
            out[key] = score
    return out


class TieError(Exception):
    pass


def check_tie_free(clf, x, y):
    t = clf.tree_
    paths = clf.decision_path(x.astype(np.float32)).toarray().astype(bool)
    splits = 0
    for node in range(t.node_count):
        if t.children_left[node] < 0:
            continue
        rows = np.nonzero(paths[:, node])[0]
        scores = node_best_scores(x[rows], y[rows])
        best = max(scores.values())
        chosen = frozenset(np.nonzero(x[rows, t.feature[node]] <= t.threshold[node])[0].tolist())
        if scores.get(chosen) != best:
            fail('node %d: sklearn\'s split is not a best split by our exact count' % node)
        rivals = [s for k, s in scores.items() if k != chosen]
        if rivals and float(best - max(rivals)) <= 1e-9 * float(best):
            raise TieError('node %d: a tie between equally good splits (the dataset is not tie-free)' % node)
        splits += 1
    return splits


def fit(x, y):
    clf = DecisionTreeClassifier(criterion='gini', max_depth=MAX_DEPTH, min_samples_leaf=MIN_LEAF, random_state=0)
    return clf.fit(x.astype(np.float32), y)


def generate(folder):
    os.makedirs(folder, exist_ok=True)
    for seed in range(1, 400):  # the committed files come from seed 176
        x, y = make_data(seed, 1200)
        clf = fit(x, y)
        try:
            check_tie_free(clf, x.astype(np.float64), y)
        except TieError:
            continue
        xt, yt = make_data(seed + 10000, 600)
        write_matrix(os.path.join(folder, 'train.csv'), x, y)
        write_matrix(os.path.join(folder, 'test.csv'), xt, yt)
        print('seed %d: tie-free tree with %d nodes' % (seed, clf.tree_.node_count))
        return
    fail('no tie-free seed found')


def check_tree(xcheck, folder):
    xtr, ytr = read_matrix(os.path.join(folder, 'train.csv'))
    xte, yte = read_matrix(os.path.join(folder, 'test.csv'))
    check_values(xtr, 'train.csv')
    check_values(xte, 'test.csv')
    clf = fit(xtr, ytr)
    try:
        splits = check_tie_free(clf, xtr, ytr)
    except TieError as e:
        fail('tree: ' + str(e))
    out = subprocess.run([xcheck, 'tree', os.path.join(folder, 'train.csv'), os.path.join(folder, 'test.csv'),
                          str(MAX_DEPTH), str(MIN_LEAF)], capture_output=True, text=True, check=True).stdout.split('\n')
    header = out[0].split()
    ours = np.array([int(v) for v in out[1:] if v])
    theirs = clf.predict(xte.astype(np.float32))
    if int(header[1]) != clf.tree_.node_count:
        fail('tree: vtrace has %s nodes, sklearn %d' % (header[1], clf.tree_.node_count))
    if len(ours) != len(theirs):
        fail('tree: %d predictions, expected %d' % (len(ours), len(theirs)))
    diff = np.nonzero(ours != theirs)[0]
    if len(diff):
        fail('tree: %d of %d test predictions differ (first: row %d)' % (len(diff), len(theirs), diff[0]))
    # The tree must not be trivial, or the check proves little.
    if splits < 10 or len(set(theirs)) < 2:
        fail('tree: the fixed dataset gives a trivial tree (%d splits)' % splits)
    print('tree: %d nodes (%d splits, depth %d), %d test predictions identical to sklearn %s; '
          'no tie at any split' % (clf.tree_.node_count, splits, clf.get_depth(), len(theirs),
                                   __import__('sklearn').__version__))


def check_auc_eval(vtrace, data, work):
    model = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(data))), 'src', 'detector', 'models',
                         'default.json')
    labels = os.path.join(data, 'synth', 'labels.csv')
    scores = os.path.join(work, 'scores.csv')
    res = subprocess.run([vtrace, 'eval', model, labels, '--scores', scores, '--format', 'json'],
                         capture_output=True, text=True)
    if res.returncode != 0:
        fail('vtrace eval: exit %d: %s' % (res.returncode, res.stderr.strip()))
    ours = json.loads(res.stdout)['auc']
    rows = list(csv.DictReader(open(scores)))
    y = np.array([int(r['faulty']) for r in rows if r['transition'] == '0'])
    s = np.array([float(r['score']) for r in rows if r['transition'] == '0'])
    theirs = roc_auc_score(y, -s)
    if abs(ours - theirs) > 1e-9:
        fail('AUC (vtrace eval): vtrace %.17g, sklearn %.17g' % (ours, theirs))
    print('AUC (vtrace eval, default model on the synthetic set, %d seconds, %d distinct scores): '
          'vtrace %.15f sklearn %.15f, |diff| %.1e' % (len(y), len(set(s)), ours, theirs, abs(ours - theirs)))


def check_auc_random(xcheck, work):
    rs = np.random.RandomState(7)
    worst = 0.0
    for trial in range(20):
        n = rs.randint(2, 3000)
        y = rs.uniform(size=n) < rs.uniform(0.05, 0.95)
        if y.all() or not y.any():
            y[0] = not y[0]
        # Scores k/50 (ties everywhere, as an ensemble's votes) or continuous.
        if trial % 2 == 0:
            s = rs.randint(0, 51, size=n) / 50.0 - 0.3 * y * rs.uniform(size=n).round(1)
        else:
            s = rs.normal(size=n) - y
        path = os.path.join(work, 'auc%d.csv' % trial)
        with open(path, 'w') as f:
            f.write('score,faulty\n')
            for a, b in zip(s, y):
                f.write('%r,%d\n' % (float(a), int(b)))
        ours = float(subprocess.run([xcheck, 'auc', path], capture_output=True, text=True, check=True).stdout)
        theirs = roc_auc_score(y.astype(int), -s)
        if abs(ours - theirs) > 1e-9:
            fail('AUC (random set %d, n=%d): vtrace %.17g, sklearn %.17g' % (trial, n, ours, theirs))
        worst = max(worst, abs(ours - theirs))
    print('AUC (20 random score sets with ties): largest |vtrace - sklearn| %.1e' % worst)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--xcheck')
    ap.add_argument('--vtrace')
    ap.add_argument('--data')
    ap.add_argument('--work')
    ap.add_argument('--generate')
    a = ap.parse_args()
    if a.generate:
        generate(a.generate)
        return
    os.makedirs(a.work, exist_ok=True)
    check_tree(a.xcheck, os.path.join(a.data, 'xcheck'))
    check_auc_random(a.xcheck, a.work)
    check_auc_eval(a.vtrace, a.data, a.work)
    print('OK')


if __name__ == '__main__':
    main()
