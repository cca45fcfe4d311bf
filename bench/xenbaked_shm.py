"""Reader for xenbaked's shared-memory file (/var/run/xenq-shm).

Layout (Xen 4.17's xenbaked, unchanged since 3.0.3; see
docs/xenmon.md): one block per CPU, each `structlen` bytes (159,888 rounded
up to a page multiple, 163,840), native x86-64 alignment:

  qdata[100]: ns_gotten[32], ns_allocated[32], ns_waiting[32],
              ns_blocked[32], switchin_count[32], io_count[32] (u64, indexed
              by xenbaked's domain slot), then ns_passed, timestamp,
              lost_records, flip_free_periods (u64)            1568 bytes each
  domain_info[32]: six u64 times, int runnable_at_last_update,
              int runnable, int in_use, u16 id, char name[32]    96 bytes each
  int next_datapoint, ncpu, structlen, measurement_frequency

`next_datapoint` is the sample being filled; samples advance 0..98 and wrap
(slot 99 is never used).
"""

import struct

NSAMPLES = 100
NDOMAINS = 32
SAMPLE_FMT = "<" + "Q" * (6 * NDOMAINS + 4)
SAMPLE_SIZE = struct.calcsize(SAMPLE_FMT)  # 1568
DOMINFO_SIZE = 96
TAIL_OFFSET = NSAMPLES * SAMPLE_SIZE + NDOMAINS * DOMINFO_SIZE  # 159872
FIELDS = ("gotten", "allocated", "waiting", "blocked", "execs", "io")


def parse(data):
    """Returns {"ncpu", "structlen", "cpus": [{"next", "samples": [...], "domains": {slot: domid}}]}."""
    if len(data) < TAIL_OFFSET + 16:
        raise ValueError("xenq-shm: %d bytes, too short for one CPU block" % len(data))
    ncpu, structlen = struct.unpack_from("<ii", data, TAIL_OFFSET + 4)
    if ncpu < 1 or structlen < TAIL_OFFSET + 16 or ncpu * structlen > len(data):
        raise ValueError("xenq-shm: bad header (ncpu %d, structlen %d, %d bytes)" % (ncpu, structlen, len(data)))
    cpus = []
    for c in range(ncpu):
        base = c * structlen
        nxt = struct.unpack_from("<i", data, base + TAIL_OFFSET)[0]
        samples = []
        for i in range(NSAMPLES):
            v = struct.unpack_from(SAMPLE_FMT, data, base + i * SAMPLE_SIZE)
            s = {f: v[k * NDOMAINS:(k + 1) * NDOMAINS] for k, f in enumerate(FIELDS)}
            s["ns_passed"], s["timestamp"], s["lost"], s["flip_free"] = v[6 * NDOMAINS:]
            samples.append(s)
        domains = {}
        for slot in range(NDOMAINS):
            off = base + NSAMPLES * SAMPLE_SIZE + slot * DOMINFO_SIZE
            in_use = struct.unpack_from("<i", data, off + 56)[0]
            dom_id = struct.unpack_from("<H", data, off + 60)[0]
            if in_use:
                domains[slot] = dom_id
        cpus.append({"next": nxt, "samples": samples, "domains": domains})
    return {"ncpu": ncpu, "structlen": structlen, "cpus": cpus}


def totals(shm, seconds):
    """Per domid: sums over all CPUs of the closed samples covering the last
    `seconds` (walking back from next-1, as xenmon does), plus the seconds
    actually covered per CPU."""
    out = {}
    covered = []
    for cpu in shm["cpus"]:
        passed = 0
        i = cpu["next"]
        for _ in range(NSAMPLES - 1):
            i = i - 1 if i > 0 else NSAMPLES - 2  # samples live in 0..98
            s = cpu["samples"][i]
            if s["ns_passed"] == 0 or passed >= seconds * 1e9:
                break
            passed += s["ns_passed"]
            for slot, domid in cpu["domains"].items():
                d = out.setdefault(domid, {f: 0 for f in FIELDS})
                for f in FIELDS:
                    d[f] += s[f][slot]
        covered.append(passed / 1e9)
    return out, covered
