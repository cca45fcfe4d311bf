#!/usr/bin/env python3
"""gen-soak-specs.py: writes specs/soak/s000.json ... (the long healthy soak,
issue 14 item 5; README "Soak"), deterministically.

Each boot: 6 PV guests for 1800 s, no faults, no steps, vtrace run --detect
live in dom0 with the default models. The 12 soak workloads are shuffled
once per pair of boots (seed = the pair's number) and split between the two
boots, so every workload runs once in every two boots, beside other
neighbours each time. Two guests of each boot have 2 vCPUs (which ones
rotates). Memory: 320 MB a guest (the initramfs with stress-ng, sqlite3,
tcc and the libc headers takes ~50 MB of it), 256 MB for the swap guest
(its pressure is relative to what it has).

Then PVH_BOOTS boots with PVH guests (the HVM/PVH model's share of the
soak): -smp 4, three 1-vCPU PVH guests (run-experiment pins each to a pCPU
of its own, 1-3: two HVM/PVH vCPUs on one pCPU crash under QEMU's nested
SVM, tools/xenlab/README.md) beside two PV guests on pCPU 0 with dom0,
five of the 12 workloads a boot, rotating so that each runs in a PVH guest
at least once over the four boots."""
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'soak')
WORKLOADS = ['stress-cpu', 'stress-vm', 'stress-fork', 'stress-io', 'stress-cache', 'stress-matrix',
             'compile', 'sqlite', 'web', 'xz', 'swap', 'idle']
BOOTS = 12
GUESTS = 6
DURATION = 1800
PVH_BOOTS = 4


def write_spec(spec_id, note, guests, smp=None):
    """One boot's spec: healthy guests for DURATION s, vtrace run --detect live in dom0."""
    spec = {'id': spec_id, 'note': note, 'soak': True, 'duration': DURATION}
    if smp:
        spec['smp'] = smp
    spec.update({'dom0_weight': 1024, 'vtrace': {'detect': True, 'tail': 0}, 'guests': guests})
    with open(os.path.join(OUT, spec_id + '.json'), 'w') as f:
        json.dump(spec, f, indent=1)
        f.write('\n')


def main():
    os.makedirs(OUT, exist_ok=True)
    for b in range(BOOTS):
        order = list(WORKLOADS)
        random.Random(1000 + b // 2).shuffle(order)
        wls = order[GUESTS * (b % 2):GUESTS * (b % 2) + GUESTS]
        guests = []
        for k, wl in enumerate(wls):
            guests.append({'name': 'g%d' % (k + 1), 'workload': wl,
                           'vcpus': 2 if (k + b) % 3 == 0 else 1,
                           'memory': 256 if wl == 'swap' else 320})
        write_spec('s%03d' % b,
                   'soak (issue 14 item 5): %d healthy PV guests for %d s, vtrace run --detect live in dom0 '
                   'with the default models; workloads the model was never trained on (and idle, web): %s'
                   % (GUESTS, DURATION, ', '.join(wls)), guests)
    for p in range(PVH_BOOTS):
        # Workloads 3p, 3p+1, 3p+2 in PVH guests (all 12 over the four
        # boots), two more in PV guests.
        pvh = [WORKLOADS[(3 * p + k) % len(WORKLOADS)] for k in range(3)]
        pv = [WORKLOADS[(3 * p + 5 + k) % len(WORKLOADS)] for k in range(2)]
        guests = [{'name': 'g%d' % (k + 1), 'type': 'pvh', 'workload': wl, 'vcpus': 1,
                   'memory': 256 if wl == 'swap' else 320} for k, wl in enumerate(pvh)]
        guests += [{'name': 'g%d' % (k + 4), 'workload': wl, 'vcpus': 1, 'memory': 256 if wl == 'swap' else 320}
                   for k, wl in enumerate(pv)]
        write_spec('s%03d' % (BOOTS + p),
                   'soak (issue 14 item 5), PVH: 3 healthy PVH guests (%s) on pCPUs of their own and 2 PV '
                   'guests (%s) for %d s, vtrace run --detect live in dom0 with the default models'
                   % (', '.join(pvh), ', '.join(pv), DURATION), guests, smp=4)
    # The order the soak driver runs them in: a PVH boot after every two PV
    # boots from s004 on (s000-s003 ran before the PVH boots existed), so
    # both models' guest-hours grow together.
    order = ['s%03d' % b for b in range(4)]
    for p in range(PVH_BOOTS):
        order += ['s%03d' % (BOOTS + p)] + ['s%03d' % b for b in range(4 + 2 * p, min(6 + 2 * p, BOOTS))]
    order += ['s%03d' % b for b in range(4 + 2 * PVH_BOOTS, BOOTS)]
    with open(os.path.join(OUT, 'ORDER'), 'w') as f:
        f.write('\n'.join(order) + '\n')
    print('wrote %d specs in %s' % (BOOTS + PVH_BOOTS, OUT))


if __name__ == '__main__':
    main()
