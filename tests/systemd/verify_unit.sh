#!/usr/bin/env bash
# `systemd-analyze verify` of the unit as the package installs it, for
# ctest: its ExecStart pointed at the vtrace just built (verify insists
# that the binary exists) and the man page check off (the man page exists
# once the package is installed; .ci/run verifies the installed unit as it
# is). Any warning fails, not only an error. Exit 77 (skipped) where
# systemd-analyze is missing, unless $CI is set.
#   verify_unit.sh UNIT VTRACE
set -euo pipefail
unit=$1 vtrace=$2
if ! command -v systemd-analyze >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "verify_unit.sh: systemd-analyze is not installed, and CI must run this check" >&2
    exit 1
  fi
  echo "verify_unit.sh: SKIPPED: systemd-analyze is not installed (apt-get install systemd)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
grep -q '^ExecStart=/usr/bin/vtrace ' "$unit" || { echo "verify_unit.sh: $unit: no ExecStart=/usr/bin/vtrace" >&2; exit 1; }
sed "s|^ExecStart=/usr/bin/vtrace |ExecStart=$vtrace |" "$unit" > "$dir/vtrace.service"
out=$(systemd-analyze verify --man=no "$dir/vtrace.service" 2>&1) || { echo "$out" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "verify_unit.sh: systemd-analyze verify warned (above)" >&2
  exit 1
fi
echo "verify_unit.sh: $unit passes systemd-analyze verify"
