#!/usr/bin/env python3
"""Generate the HVM/PVH data set's experiment specs (tools/xenlab/specs/hNNN.json).

Deterministic (fixed seed): running it again rewrites the same files.
Design (measured limits in tools/xenlab/README.md, "HVM and PVH guests"):
  * Every HVM/PVH vCPU needs a pCPU of its own, so a boot has -smp 3 (two
    1-vCPU HVM/PVH guests) or, every fourth boot, -smp 4 (a 2-vCPU guest for
    the one-vCPU-of-two hangs beside a 1-vCPU PVH guest).
  * One boot in four has an HVM guest (an HVM boot costs about 4 minutes
    more: firmware and fw_cfg loading), the others PVH only.
  * Half the boots run their HVM/PVH guests with tsc_mode "native" (no RDTSC
    exits), half with Xen's default (the TSC emulated under TCG).
  * One boot in three adds a PV guest (pCPU 0, beside dom0): mixed hosts.
  * Faults rotate over the variants; three boots in four have one.
  * Traces of 100 s (the PV set has 128 s): the lab's time goes to more
    boots; faults between 30 and 65 s (HVM guests: 25-35 s, their console
    is slower), so at least 35 s follow the onset.
  * Earlier boots cover every guest type, fault variant and TSC mode, so a
    prefix of the list is already a balanced set.
Prints a coverage table at the end.
"""
import json
import os
import random
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
DURATION = 100
N_BOOTS = 32
rng = random.Random(20261207)

WORKLOADS = ['compute', 'memset', 'fork', 'disk', 'net', 'web', 'idle']
FRONT = ('net', 'web')      # load dom0 (iperf3/ab run there): at most one per boot
ONE_VCPU_FAULTS = ['irqoff', 'preemptoff']
TWO_VCPU_FAULTS = ['vcpu-spin', 'vcpu-spin-irqoff']


def guest(name, gtype, wl, vcpus=1, fault=None, xl=()):
    mem = 384 if gtype == 'hvm' else 256
    g = dict(name=name, type=gtype, workload=wl, vcpus=vcpus, memory=mem)
    if xl:
        g['xl'] = list(xl)
    if fault:
        # An HVM guest reads its console through the device model in dom0,
        # which a busy dom0 delays: h001's command sent at 35 s began the
        # hang at 81 s. So HVM guests get their command earlier.
        # (h001 ran before this rule.)
        early = gtype == 'hvm' and len(specs) != 1
        g['fault'] = dict(variant=fault, at=rng.choice(range(25, 40, 5) if early else range(30, 66, 5)))
    return g


def workload_pair(i):
    a = WORKLOADS[i % len(WORKLOADS)]
    b = WORKLOADS[(3 * i + 2) % len(WORKLOADS)]
    if b == a or (a in FRONT and b in FRONT):
        b = 'compute' if a != 'compute' else 'fork'
    return a, b


specs = []
one_faults = 0
two_faults = 0
for i in range(N_BOOTS):
    native = (i // 2 + i // 8) % 2 == 1     # i // 8: HVM boots (i % 4 == 1) get both modes
    xl = ['tsc_mode = "native"'] if native else []
    hvm_boot = i % 4 == 1
    two_vcpu = i % 4 == 3
    faulty = i % 4 != 2
    a, b = workload_pair(i)
    guests = []
    if two_vcpu:
        f = TWO_VCPU_FAULTS[two_faults % 2] if faulty else None
        two_faults += bool(f)
        t = 'hvm' if i % 16 == 15 else 'pvh'
        guests.append(guest('g1', t, a, 2, f, xl))
        guests.append(guest('g2', 'pvh', b, 1, None, xl))
        smp = 4
    else:
        f = ONE_VCPU_FAULTS[one_faults % 2] if faulty else None
        one_faults += bool(f)
        # the faulty guest alternates between the first and second slot, so in
        # HVM boots the hang is in the HVM guest every other time
        first_faulty = (i // 4) % 2 == 0
        t1 = 'hvm' if hvm_boot else 'pvh'
        guests.append(guest('g1', t1, a, 1, f if first_faulty else None, xl))
        guests.append(guest('g2', 'pvh', b, 1, None if first_faulty else f, xl))
        smp = 3
    if i % 3 == 2:
        guests.append(guest('g3', 'pv', ['idle', 'compute', 'fork'][(i // 3) % 3], 1))
    desc = ', '.join('%s %s%s%s' % (g['type'], g['workload'], ' x2' if g['vcpus'] == 2 else '',
                                    '+' + g['fault']['variant'] if 'fault' in g else '') for g in guests)
    specs.append(dict(id='h%03d' % i, note='%s; tsc %s' % (desc, 'native' if native else 'default'),
                      duration=DURATION, smp=smp, guests=guests))

for s in specs:
    with open(os.path.join(HERE, s['id'] + '.json'), 'w') as f:
        json.dump(s, f, indent=1)
        f.write('\n')

runs = [g for s in specs for g in s['guests']]
hv = [g for g in runs if g['type'] != 'pv']
print('%d boots, %d guest runs (%d HVM/PVH: %s), %d HVM/PVH with faults, %d PV'
      % (len(specs), len(runs), len(hv), dict(Counter(g['type'] for g in hv)),
         sum('fault' in g for g in hv), len(runs) - len(hv)))
print('faults:', dict(Counter(g['fault']['variant'] for g in hv if 'fault' in g)))
print('workloads:', dict(Counter(g['workload'] for g in hv)))
print('faulty workloads:', dict(Counter(g['workload'] for g in hv if 'fault' in g)))
print('tsc native HVM/PVH runs:', sum(bool(g.get('xl')) for g in hv))
