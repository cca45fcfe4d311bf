"""bench/xenbaked_shm.py on a synthetic xenq-shm file built from the
documented layout with known values."""
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import xenbaked_shm as x  # noqa: E402


def block(next_dp, samples, domains):
    """One CPU's 163,840-byte block. samples: {index: (passed_ns, {slot: gotten_ns})}."""
    b = bytearray(163840)
    for i, (passed, gotten) in samples.items():
        vals = [0] * (6 * 32 + 4)
        for slot, g in gotten.items():
            vals[0 * 32 + slot] = g           # ns_gotten
            vals[3 * 32 + slot] = g // 2      # ns_blocked
            vals[4 * 32 + slot] = 10 + slot   # switchin_count
        vals[6 * 32] = passed                 # ns_passed
        struct.pack_into(x.SAMPLE_FMT, b, i * x.SAMPLE_SIZE, *vals)
    for slot, domid in domains.items():
        off = 100 * x.SAMPLE_SIZE + slot * 96
        struct.pack_into("<i", b, off + 56, 1)        # in_use
        struct.pack_into("<H", b, off + 60, domid)    # id
    struct.pack_into("<iiii", b, x.TAIL_OFFSET, next_dp, 2, 163840, 0)
    return bytes(b)


class XenbakedShm(unittest.TestCase):
    def test_layout_constants(self):
        self.assertEqual(x.SAMPLE_SIZE, 1568)
        self.assertEqual(x.TAIL_OFFSET + 16, 159888)

    def test_totals_walk_back_from_next_and_wrap(self):
        # CPU 0: live sample 1; closed samples 0 and 98 (wrapped), 0.5 s each.
        cpu0 = block(1, {0: (500_000_000, {0: 100}), 98: (500_000_000, {0: 50, 1: 7}),
                         1: (123, {0: 999})}, {0: 0, 1: 5})
        cpu1 = block(3, {2: (1_000_000_000, {0: 11, 1: 20})}, {0: 0, 1: 5})
        shm = x.parse(cpu0 + cpu1)
        self.assertEqual(shm["ncpu"], 2)
        tot, covered = x.totals(shm, 10)
        self.assertEqual(covered, [1.0, 1.0])
        self.assertEqual(tot[0]["gotten"], 100 + 50 + 11)   # the live sample (999) is not summed
        self.assertEqual(tot[5]["gotten"], 7 + 20)
        self.assertEqual(tot[5]["blocked"], 3 + 10)
        self.assertEqual(tot[0]["execs"], 10 * 3)

    def test_bad_files_are_rejected(self):
        with self.assertRaises(ValueError):
            x.parse(b"\0" * 100)
        bad = bytearray(block(0, {}, {}))
        struct.pack_into("<i", bad, x.TAIL_OFFSET + 4, 9)  # ncpu larger than the file
        with self.assertRaises(ValueError):
            x.parse(bytes(bad))


if __name__ == "__main__":
    unittest.main()
