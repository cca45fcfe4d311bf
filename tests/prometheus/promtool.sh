#!/usr/bin/env bash
# Runs `promtool ARGS...` for ctest; exit 77 (skipped) with a line saying
# why when promtool is not installed, unless $CI is set: CI installs it
# (tools/install-deps), so there its absence is a failure.
set -euo pipefail
if ! command -v promtool >/dev/null; then
  if [ -n "${CI:-}" ]; then
    echo "promtool.sh: promtool is not installed, and CI must run this check" >&2
    exit 1
  fi
  echo "promtool.sh: SKIPPED: promtool is not installed (apt-get install prometheus)"
  exit 77
fi
exec promtool "$@"
