#!/bin/sh
# Each lifecycle case of the lab (issue 14 item 4) as a test on its committed
# per-second table: `vtrace judge` of tests/lifecycle/<exp>/replay.csv.zst
# (today's vtrace replay of the run's recording, with the state columns)
# must give every expected state verdict and no `faulty` verdict
# (tools/xenlab/lifecycle-check against expected.jsonl, whose steps come
# from the runner's marks in the trace). lc-pv3, where the emulated host
# stalled (tests/lifecycle/README.md), must give the faulty verdicts the
# live run gave, no more and no fewer: when a change clears them, this
# test says so and the case moves to the first list; lc-pv3b is the same
# case rerun on a quieter machine.
#   judge_tables_test.sh VTRACE
set -eu
vtrace=$1
here=$(cd "$(dirname "$0")" && pwd)
check="$here/../../tools/xenlab/lifecycle-check"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

judge() {  # exp -> $tmp/exp.jsonl
    zstd -dc "$here/$1/replay.csv.zst" | "$vtrace" judge - > "$tmp/$1.jsonl"
}

for exp in lc-pv1 lc-pv2 lc-pvh1 lc-pv3b; do
    judge $exp
    # lifecycle-check writes its report beside the run: a copy, not the tree
    cp -r "$here/$exp" "$tmp/run-$exp"
    if python3 "$check" "$tmp/run-$exp" --verdicts "$tmp/$exp.jsonl" > "$tmp/$exp.txt"; then
        echo "$exp: PASS ($(grep -c . "$tmp/$exp.jsonl") verdict lines)"
    else
        echo "$exp: FAIL"; cat "$tmp/$exp.txt"; fail=1
    fi
done

# lc-pv3: the same faulty verdicts (t, domid) as the live run.
exp=lc-pv3
judge $exp
faulty() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    v = json.loads(l)
    if v["verdict"] == "faulty": print("%.3f d%d" % (v["t"], v["domid"]))' "$1"; }
faulty "$here/$exp/verdicts.jsonl" > "$tmp/live.txt"
faulty "$tmp/$exp.jsonl" > "$tmp/judged.txt"
if [ -s "$tmp/live.txt" ] && cmp -s "$tmp/live.txt" "$tmp/judged.txt"; then
    echo "$exp: the live run's faulty verdicts, as expected: $(tr '\n' ' ' < "$tmp/judged.txt")"
else
    echo "$exp: faulty verdicts differ from the live run's"
    echo "  live:   $(tr '\n' ' ' < "$tmp/live.txt")"
    echo "  judged: $(tr '\n' ' ' < "$tmp/judged.txt")"
    fail=1
fi
exit $fail
