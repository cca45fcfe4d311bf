#!/bin/sh
# package.sh RUNDIR: copy what the tests need of a lifecycle run
# (tools/xenlab/specs/lifecycle/*.json, run by tools/xenlab/run-experiment)
# into tests/lifecycle/<exp>/. The recorded trace goes in (zstd -19) only
# when it compresses to less than 3 MB.
set -e
rd=$1
exp=$(basename "$rd")
here=$(cd "$(dirname "$0")" && pwd)
dst="$here/$exp"
rm -rf "$dst"; mkdir -p "$dst/steps"
for f in spec.json meta.json steps.log expected.jsonl verdicts.jsonl vtrace-run.err lifecycle-check.txt events.log; do
    [ -e "$rd/$f" ] && cp "$rd/$f" "$dst/"
done
cp "$rd"/steps/*-before.txt "$rd"/steps/*-after.txt "$dst/steps/" 2>/dev/null || true
# The per-second table the tests judge (judge_tables_test.sh): today's
# replay of the recording, with the state columns the live table of an
# older binary may lack (the lab's HVM exits are AMD SVM under TCG).
vtrace=${VTRACE:-$here/../../build/src/vtrace}
hz=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["cpu_hz"])' "$rd/meta.json")
"$vtrace" replay --format csv --hvm-vendor svm --cpu-hz "$hz" "$rd/trace.xtr" | zstd -19 -T1 -q -o "$dst/replay.csv.zst"
# a quick level first: a trace far too big for -19 to bring under 3 MB is left out at once
nice zstd -3 -T1 -q -f "$rd/trace.xtr" -o "$dst/trace.xtr.zst"
[ "$(stat -c %s "$dst/trace.xtr.zst")" -gt 6291456 ] || nice zstd -19 -T1 -q -f "$rd/trace.xtr" -o "$dst/trace.xtr.zst"
if [ "$(stat -c %s "$dst/trace.xtr.zst")" -gt 3145728 ]; then
    echo "$exp: trace.xtr.zst is $(du -h "$dst/trace.xtr.zst" | cut -f1): left out (it stays in $rd)"
    rm "$dst/trace.xtr.zst"
fi
du -sh "$dst"
