#!/usr/bin/env python3
"""bench/xenmon_compare never runs two trace readers at once, and refuses to
start (or to go on) beside another reader.

Stand-in readers (shell scripts; their command names are the reader names
the script is told to watch) write their own start and stop times into a
file: the intervals they report, not the script's log, are what is checked
not to overlap. Run: python3 tests/bench/xenmon_compare_test.py
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "bench", "xenmon_compare")

# A reader: records "start NAME PID T" when it begins and "stop NAME PID T"
# when it ends (SIGINT for the xenbaked stand-in, its own end otherwise).
XENBAKED = """#!/bin/sh
echo "start xb-t $$ $(date +%s.%N)" >> "$IVL"
trap 'echo "stop xb-t $$ $(date +%s.%N)" >> "$IVL"; echo "processed 4200 total records in 1 seconds (4200 per second)"; exit 0' INT
while :; do sleep 0.05; done
"""
# vtrace run --format csv --seconds S ...: a CSV row and the end line;
# with SPAWN set, leaves a stray reader behind (as a user starting xentrace mid-run)
VTRACE = """#!/bin/sh
echo "start vt-t $$ $(date +%s.%N)" >> "$IVL"
secs=1
while [ $# -gt 0 ]; do [ "$1" = --seconds ] && secs=$2; shift; done
sleep "$secs"
echo "domid,span_s,running_s"
echo "0,1.0,0.25"
echo "vtrace: 1000 records (0.00 M/s) in 1.0 s, 0 lost by the hypervisor, consumer CPU 0.00 s (1 ns/record)" >&2
if [ -n "$SPAWN" ] && [ ! -e "$SPAWN" ]; then
    "$STRAY" > /dev/null 2>&1 &
    echo $! > "$SPAWN"
fi
echo "stop vt-t $$ $(date +%s.%N)" >> "$IVL"
"""
XENTOP = """#!/bin/sh
echo "start xt-t $$ $(date +%s.%N)" >> "$IVL"
sleep 1
echo "NAME STATE CPU(sec) CPU(%)"
echo "stop xt-t $$ $(date +%s.%N)" >> "$IVL"
"""
STRAY = """#!/bin/sh
i=0
while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
"""


class XenmonCompareTest(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="xmc-")
        self.ivl = os.path.join(self.d, "intervals")
        self.tools = {}
        # command names of at most 15 characters, unique to this test: other
        # processes on the machine (a real vtrace) are not watched
        for name, body in (("xb-t", XENBAKED), ("vt-t", VTRACE), ("xt-t", XENTOP), ("xtr-t", STRAY)):
            p = os.path.join(self.d, name)
            with open(p, "w") as f:
                f.write(body)
            os.chmod(p, os.stat(p).st_mode | stat.S_IXUSR)
            self.tools[name] = p
        self.stray = []

    def tearDown(self):
        for p in self.stray:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.d, ignore_errors=True)

    def run_compare(self, env_extra=None):
        env = dict(os.environ, IVL=self.ivl, STRAY=self.tools["xtr-t"], **(env_extra or {}))
        cmd = [sys.executable, SCRIPT, "--sim", "demo", "--phase-s", "1",
               "--xenbaked", self.tools["xb-t"], "--vtrace", self.tools["vt-t"], "--xentop", self.tools["xt-t"],
               "--reader-names", "xb-t,vt-t,xtr-t", "--shm", os.path.join(self.d, "no-shm"),
               "--out", os.path.join(self.d, "out")]
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              env=env, timeout=120)

    def intervals(self):
        """[(name, pid, start, stop)] as the stand-ins wrote them."""
        if not os.path.exists(self.ivl):
            return []
        start, out = {}, []
        for line in open(self.ivl):
            what, name, pid, t = line.split()
            if what == "start":
                start[pid] = (name, float(t))
            else:
                out.append((start[pid][0], int(pid), start[pid][1], float(t)))
        self.assertEqual(len(start), len(out), "a reader started and never stopped")
        return sorted(out, key=lambda x: x[2])

    def test_in_turn(self):
        r = self.run_compare()
        self.assertEqual(r.returncode, 0, r.stderr)
        ivl = self.intervals()
        self.assertEqual([x[0] for x in ivl], ["xb-t", "vt-t", "xb-t", "vt-t", "xt-t"])
        for prev, nxt in zip(ivl, ivl[1:]):
            self.assertLess(prev[3], nxt[2], "%s (pid %d) still ran when %s (pid %d) began"
                            % (prev[0], prev[1], nxt[0], nxt[1]))
        for name, pid, t0, t1 in ivl:
            self.assertGreaterEqual(t1 - t0, 0.9, "%s ran %.2f s, not its 1 s phase" % (name, t1 - t0))
        # the counts each stand-in printed come through: xenbaked's, vtrace's
        phases = [json.loads(l) for l in open(os.path.join(self.d, "out", "phases.jsonl"))]
        self.assertEqual([p["records"] for p in phases if p["tool"] != "xentop"], [4200, 1000, 4200, 1000])
        self.assertEqual(phases[1]["share"], {"0": 0.25})

    def test_refuses_beside_a_reader(self):
        other = subprocess.Popen([self.tools["xb-t"]], env=dict(os.environ, IVL=os.path.join(self.d, "other")))
        self.stray.append(other.pid)
        time.sleep(0.3)
        r = self.run_compare()
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("xb-t (pid %d)" % other.pid, r.stderr)
        self.assertEqual(self.intervals(), [], "a phase ran beside another reader")
        self.assertIsNone(other.poll(), "the other reader was stopped; it must be left alone")

    def test_stops_when_a_reader_appears_mid_run(self):
        spawn = os.path.join(self.d, "stray.pid")
        r = self.run_compare({"SPAWN": spawn})
        pid = int(open(spawn).read())
        self.stray.append(pid)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("xtr-t (pid %d)" % pid, r.stderr)
        # phases 1 (xenbaked) and 2 (vtrace, which left the stray) ran; nothing after
        self.assertEqual([x[0] for x in self.intervals()], ["xb-t", "vt-t"])


if __name__ == "__main__":
    unittest.main()
