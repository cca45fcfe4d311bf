#!/usr/bin/env python3
"""vtrace's metrics scraped by a real Prometheus (Debian's), end to end.

Starts `vtrace run --sim demo,speed=S --detect --metrics 127.0.0.1:0` (the
demo host: guests 5 and 6 hang at 20 s of simulated time and are judged
faulty at about 27 s), then Debian's `prometheus` with a configuration that
scrapes it every second and loads deploy/prometheus/vtrace-rules.yml. Waits
until Prometheus has seen both hangs, then asks its HTTP API and asserts:
  * `vtrace_domain_faulty == 1` holds for exactly domains 5 and 6, and the
    series exists for every domain of the demo host (0-6), the others at 0;
  * /api/v1/alerts has VtraceGuestFaulty firing for 5 and 6 and for no other
    domain, and neither VtraceDown nor VtraceDetectorBlind firing;
  * vtrace's own counters came through (records read, the build info);
and `promtool check metrics` finds nothing to say about a scrape of
/metrics.

Usage: e2e_test.py VTRACE RULES_FILE. Exit 77 (ctest: skipped) when
prometheus or promtool is not installed, unless $CI is set: CI installs them
(tools/install-deps), so there their absence is a failure.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SPEED = 4  # simulated seconds per wall second (the demo's hangs are judged at ~27 s: ~7 s here)
DEADLINE_S = 120  # wall seconds for Prometheus to see both hangs, on a loaded CI machine
HUNG = {"5", "6"}
DOMAINS = {str(d) for d in range(7)}  # dom0 and the six guests of `vtrace sim demo --list`


def need(tool):
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("CI"):
        sys.exit(f"e2e_test: {tool} is not installed, and CI must run this test (tools/install-deps installs it)")
    print(f"e2e_test: SKIPPED: {tool} is not installed (apt-get install prometheus)")
    sys.exit(77)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def query(base, expr):
    body = json.loads(get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})))
    assert body["status"] == "success", body
    return body["data"]["result"]


def alerts(base):
    body = json.loads(get(f"{base}/api/v1/alerts"))
    assert body["status"] == "success", body
    return body["data"]["alerts"]


def firing(base, name):
    return sorted(a["labels"].get("domid", "") for a in alerts(base)
                  if a["labels"]["alertname"] == name and a["state"] == "firing")


def main():
    vtrace, rules = sys.argv[1], os.path.abspath(sys.argv[2])
    prometheus, promtool = need("prometheus"), need("promtool")
    work = tempfile.mkdtemp(prefix="vtrace_e2e_")
    procs = []
    try:
        # vtrace first, on any free port: it says which on stderr.
        verr = open(os.path.join(work, "vtrace.err"), "w+")
        vt = subprocess.Popen([vtrace, "run", "--sim", f"demo,speed={SPEED}", "--pages", "2048", "--detect",
                               "--seconds", str(DEADLINE_S + 60), "--metrics", "127.0.0.1:0"],
                              stdout=open(os.path.join(work, "verdicts.jsonl"), "w"), stderr=verr)
        procs.append(vt)
        port = None
        for _ in range(200):
            verr.seek(0)
            m = re.search(r"serving metrics at http://127\.0\.0\.1:(\d+)/metrics", verr.read())
            if m:
                port = int(m.group(1))
                break
            assert vt.poll() is None, "vtrace exited: " + open(verr.name).read()
            time.sleep(0.05)
        assert port, "vtrace never said where it serves: " + open(verr.name).read()
        target = f"127.0.0.1:{port}"

        ppport = free_port()
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {rules}
scrape_configs:
  - job_name: vtrace
    static_configs:
      - targets: ["{target}"]
""")
        plog = open(os.path.join(work, "prometheus.log"), "w")
        prom = subprocess.Popen([prometheus, f"--config.file={config}",
                                 f"--storage.tsdb.path={os.path.join(work, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{ppport}"],
                                stdout=plog, stderr=subprocess.STDOUT)
        procs.append(prom)
        base = f"http://127.0.0.1:{ppport}"

        # promtool's linter on what vtrace serves.
        lint = subprocess.run([promtool, "check", "metrics"], input=get(f"http://{target}/metrics"),
                              capture_output=True, text=True)
        assert lint.returncode == 0 and lint.stdout.strip() == "" and lint.stderr.strip() == "", \
            f"promtool check metrics: {lint.returncode}\n{lint.stdout}{lint.stderr}"

        start = time.time()
        seen = []
        while time.time() - start < DEADLINE_S:
            assert vt.poll() is None, "vtrace exited early: " + open(verr.name).read()
            assert prom.poll() is None, "prometheus exited: " + open(plog.name).read()
            try:
                seen = firing(base, "VtraceGuestFaulty")
            except OSError:
                seen = []  # Prometheus still starting
            if set(seen) >= HUNG:
                break
            time.sleep(0.5)
        waited = time.time() - start
        assert set(seen) >= HUNG, f"after {waited:.0f} s VtraceGuestFaulty fires for {seen}, not 5 and 6"

        faulty = sorted(r["metric"]["domid"] for r in query(base, "vtrace_domain_faulty == 1"))
        assert faulty == sorted(HUNG), f"vtrace_domain_faulty == 1 for {faulty}"
        every = {r["metric"]["domid"]: r["value"][1] for r in query(base, "vtrace_domain_faulty")}
        assert set(every) == DOMAINS, f"vtrace_domain_faulty exists for {sorted(every)}"
        assert all(v == "0" for d, v in every.items() if d not in HUNG), every
        assert firing(base, "VtraceGuestFaulty") == sorted(HUNG), alerts(base)
        # A pending alert for another guest would be a false alarm too.
        others = [a for a in alerts(base) if a["labels"]["alertname"] == "VtraceGuestFaulty"
                  and a["labels"].get("domid") not in HUNG]
        assert others == [], others
        assert firing(base, "VtraceDown") == [] and firing(base, "VtraceDetectorBlind") == [], alerts(base)
        records = query(base, "vtrace_records_total")
        assert len(records) == 1 and float(records[0]["value"][1]) > 0, records
        assert query(base, "vtrace_blind")[0]["value"][1] == "0"
        build = query(base, "vtrace_build_info")
        assert len(build) == 1 and build[0]["metric"].get("version"), build
        # Trace time per wall second: the CPU-bound guest (3) and the two
        # hung ones run all the time, the idle guest (1) hardly ever
        # (`vtrace sim demo` shows the simulator's own figures).
        running = {r["metric"]["domid"]: float(r["value"][1])
                   for r in query(base, "rate(vtrace_domain_running_seconds_total[5s])")}
        assert set(running) == DOMAINS, running
        assert all(running[d] > 10 * running["1"] for d in ("3", "5", "6")), running
        print(f"e2e_test: VtraceGuestFaulty fired for domains 5 and 6 and no other after {waited:.1f} s; "
              f"running seconds per second: " + ", ".join(f"d{d} {running[d]:.2f}" for d in sorted(running)))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
