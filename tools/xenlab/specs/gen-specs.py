#!/usr/bin/env python3
"""Generate the data set's experiment specs (tools/xenlab/specs/eNNN.json).

Deterministic (fixed seed): running it again rewrites the same files.
Design:
  * e000: the first end-to-end check: net guest with an irqoff hang + compute.
  * e001-e004: a guest alone on the host (1 run per boot).
  * e005-e010: one guest with idle siblings only.
  * e011-e031: four guests per boot, mixed workloads (busy siblings).
  * Faults rotate over the variants; vcpu-spin variants only in 2-vCPU guests.
  * At most one of net/web (they load dom0) and one disk guest per boot.
Prints a coverage table at the end.
"""
import json
import os
import random
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = 128
rng = random.Random(20261128)


def guest(name, wl, vcpus=1, mem=256, fault=None):
    g = dict(name=name, workload=wl, vcpus=vcpus, memory=mem)
    if fault:
        g['fault'] = dict(variant=fault, at=rng.choice(range(40, 96, 5)))
    return g


specs = []


def add(guests, note):
    eid = 'e%03d' % len(specs)
    specs.append(dict(id=eid, note=note, duration=DURATION, guests=guests))


# e000: the first end-to-end experiment
add([guest('g1', 'net', 1, 256, 'irqoff'), guest('g2', 'compute', 1, 256)],
    'first end-to-end check: net guest hangs with interrupts off next to a compute guest')

# e001-e004: alone
add([guest('g1', 'net', 1, 512, 'irqoff')], 'alone: net, irqoff')
add([guest('g1', 'compute', 2, 512)], 'alone: 2-vCPU compute, healthy')
add([guest('g1', 'disk', 1, 256, 'preemptoff')], 'alone: disk, preemptoff')
add([guest('g1', 'web', 2, 512, 'vcpu-spin')], 'alone: 2-vCPU web server, one vCPU spins')

# e005-e010: one guest with idle siblings
idle_sib = [('memset', 1, 'irqoff'), ('fork', 2, 'vcpu-spin'), ('compute', 1, None),
            ('web', 1, 'preemptoff'), ('disk', 2, 'vcpu-spin-irqoff'), ('net', 2, None)]
for wl, vc, f in idle_sib:
    gs = [guest('g1', wl, vc, 384, f), guest('g2', 'idle', 1, 256), guest('g3', 'idle', 1, 256)]
    add(gs, 'with idle siblings: %s%s' % (wl, '+' + f if f else ''))

# e011-e031: four guests, busy siblings
front = ['net', 'web']          # at most one of these per boot
cpu_wls = ['compute', 'memset', 'fork', 'idle']
fault_cycle = ['irqoff', 'preemptoff', 'vcpu-spin', 'irqoff', 'preemptoff', 'vcpu-spin-irqoff',
               'irqoff', 'vcpu-spin', 'preemptoff']
fi = 0
for k in range(21):
    wls = [front[k % 2]]
    if k % 3 != 2:
        wls.append('disk')
    others = cpu_wls[:]
    rng.shuffle(others)
    while len(wls) < 4:
        wls.append(others.pop())
    rng.shuffle(wls)
    vcpus = [1, 1, 1, 1]
    for idx in rng.sample(range(4), 1 + (k % 2)):
        vcpus[idx] = 2
    mems = [rng.choice([256, 320, 384, 512]) for _ in wls]
    # faults: 1 per boot, 2 in every third boot, none in every seventh
    nf = 0 if k % 7 == 6 else (2 if k % 3 == 0 else 1)
    faults = [None] * 4
    order = list(range(4))
    rng.shuffle(order)
    for idx in order:
        if nf == 0:
            break
        v = fault_cycle[fi % len(fault_cycle)]
        if v.startswith('vcpu-spin') and vcpus[idx] < 2:
            continue
        faults[idx] = v
        fi += 1
        nf -= 1
    # (a vcpu-spin variant is only given to a 2-vCPU guest; others are skipped)
    gs = [guest('g%d' % (i + 1), wls[i], vcpus[i], mems[i], faults[i]) for i in range(4)]
    add(gs, 'four guests, busy siblings')

for old in os.listdir(HERE):
    if old.startswith('e') and old.endswith('.json'):
        os.remove(os.path.join(HERE, old))
for s in specs:
    with open(os.path.join(HERE, s['id'] + '.json'), 'w') as f:
        json.dump(s, f, indent=1)
        f.write('\n')

runs = [(g, len(s['guests'])) for s in specs for g in s['guests']]
faulty = [g for g, _ in runs if g.get('fault')]
print('%d experiments, %d guest runs, %d with faults (%.0f%%)'
      % (len(specs), len(runs), len(faulty), 100.0 * len(faulty) / len(runs)))
print('workloads:', dict(Counter(g['workload'] for g, _ in runs)))
print('faults:', dict(Counter(g['fault']['variant'] for g in faulty)))
print('fault x workload:', dict(Counter((g['fault']['variant'], g['workload']) for g in faulty)))
print('vcpus:', dict(Counter(g['vcpus'] for g, _ in runs)))
print('guests per boot:', dict(Counter(n for _, n in runs)))
