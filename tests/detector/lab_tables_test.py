#!/usr/bin/env python3
"""The lab data set's committed per-second tables are what `vtrace replay`
makes of the committed raw traces (tests/detector/lab/traces/*.xtr.zst), and
every labelled run names a table that holds its domain. The tables predate
replay's state columns (docs/cli.md): they are compared on their own
columns, and replay must say every domain was active and not created while
traced (the lab's guests booted before tracing and none stopped).

usage: lab_tables_test.py VTRACE_BIN LAB_DIR
"""
import csv
import os
import subprocess
import sys


def main():
    vtrace, lab = sys.argv[1], sys.argv[2]
    labels = list(csv.DictReader(open(os.path.join(lab, 'labels.csv'))))
    failures = []
    domids = {}
    for r in labels:
        table = os.path.join(lab, r['samples'])
        if table not in domids:
            domids[table] = {row['domid'] for row in csv.DictReader(open(table))}
        if r['domid'] not in domids[table]:
            failures.append('%s: domain %s has no rows in %s' % (r['run_id'], r['domid'], r['samples']))
    traces = sorted(f for f in os.listdir(os.path.join(lab, 'traces')) if f.endswith('.xtr.zst'))
    if not traces:
        failures.append('no raw traces in %s/traces' % lab)
    # vtrace reads the .zst itself; the tables were made from the plain traces.
    for t in traces:
        exp = t[:-len('.xtr.zst')]
        hz = next(r['cpu_hz'] for r in labels if r['exp_id'] == exp)
        out = subprocess.run([vtrace, 'replay', '--format', 'csv', '--cpu-hz', hz,
                              os.path.join(lab, 'traces', t)], capture_output=True, text=True)
        if out.returncode != 0:
            failures.append('%s: vtrace replay failed: %s' % (t, out.stderr.strip()))
            continue
        want = open(os.path.join(lab, exp + '.csv')).read().splitlines()
        got = out.stdout.splitlines()
        cols = want[0].split(',')
        head = got[0].split(',') if got else []
        missing = [c for c in cols if c not in head]
        if missing:
            failures.append('%s: replay has no column %s' % (t, ', '.join(missing)))
            continue
        idx = [head.index(c) for c in cols]
        st, age = head.index('state'), head.index('age_s')
        rows = [line.split(',') for line in got[1:]]
        if [','.join(f[i] for i in idx) for f in rows] != want[1:]:
            failures.append('%s: replay differs from %s.csv' % (t, exp))
        elif any(f[st] != 'active' or f[age] != '-1.000' for f in rows):
            failures.append('%s: a domain not active, or created while traced' % t)
        else:
            print('%s: %d rows agree' % (t, len(want) - 1))
    for f in failures:
        print('FAIL', f)
    print('%d labelled runs, %d raw traces checked' % (len(labels), len(traces)))
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
