#!/usr/bin/env python3
"""tools/compare-outputs' filter over an older vtrace's replay or summary
output: adds the columns issue 13 introduced, with the values they have on
a trace without HVM or PVH guests (all zero), so that everything else can
be compared byte for byte."""
import re
import sys

COUNTS = ['hvm_records', 'hvm_exits', 'exits_intr', 'exits_intr_user', 'exits_intr_window', 'exits_hlt',
          'exits_vmcall', 'exits_msr', 'exits_io', 'exits_npf', 'exits_rdtsc', 'inj_virq', 'eoi_writes']
EXTREMES = [('max_vcpu_rip_share', '0.000000'), ('min_vcpu_virq_rate', '0.000'),
            ('min_vcpu_vmcall_rate', '0.000')]

header = None
for line in sys.stdin:
    if line.startswith('t,span_s,'):
        header = line.rstrip('\n').split(',')
        line = ','.join(c for name in header for c in
                        [name] + (COUNTS if name == 'lost_hits' else []) +
                        ([n for n, _ in EXTREMES] if name == 'min_vcpu_switch_rate' else [])) + '\n'
    elif header and not line.startswith('{') and line.count(',') == len(header) - 1:
        f = line.rstrip('\n').split(',')
        out = []
        for name, v in zip(header, f):
            out.append(v)
            if name == 'lost_hits':
                out += ['0'] * len(COUNTS)
            if name == 'min_vcpu_switch_rate':
                out += [z for _, z in EXTREMES]
        line = ','.join(out) + '\n'
    line = re.sub(r'("lost_hits": [0-9]+)', lambda m: m.group(1) + ''.join(', "%s": 0' % c for c in COUNTS),
                  line)
    line = re.sub(r'("min_vcpu_switch_rate": [0-9.]+)',
                  lambda m: m.group(1) + ''.join(', "%s": %s' % e for e in EXTREMES), line)
    sys.stdout.write(line)
