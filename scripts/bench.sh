#!/usr/bin/env bash
# make bench: every benchmark under bench/, each printing its figures beside a ceiling
# measured in the same run. Benchmarks use their own databases in the project's cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
bash scripts/db.sh start
export DOORSTEP_DEMO=1 DOORSTEP_SECRET_KEY="bench-secret-not-for-production-0123456789"
status=0
for b in bench/*.py; do
  [ "$(basename "$b")" = common.py ] && continue  # shared helpers, not a benchmark
  [ "$(basename "$b")" = taps.py ] && continue    # the tap table runs the UI field walks: bench/taps.py
  [ "$(basename "$b")" = national.py ] && continue  # loads millions of visits (an hour or more): by hand, bench/README.md
  echo "==> $b"
  .venv/bin/python "$b" || status=1
done
exit $status
