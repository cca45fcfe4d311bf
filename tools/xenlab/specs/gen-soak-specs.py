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
(its pressure is relative to what it has)."""
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
        spec = {
            'id': 's%03d' % b,
            'note': 'soak (issue 14 item 5): %d healthy PV guests for %d s, vtrace run --detect live in dom0 '
                    'with the default models; workloads the model was never trained on (and idle, web): %s'
                    % (GUESTS, DURATION, ', '.join(wls)),
            'soak': True,
            'duration': DURATION,
            'dom0_weight': 1024,
            'vtrace': {'detect': True, 'tail': 0},
            'guests': guests,
        }
        with open(os.path.join(OUT, spec['id'] + '.json'), 'w') as f:
            json.dump(spec, f, indent=1)
            f.write('\n')
    print('wrote %d specs in %s' % (BOOTS, OUT))


if __name__ == '__main__':
    main()
