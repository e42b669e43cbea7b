#!/usr/bin/env bash
# make test: the same set-up as make run, a fresh test database, a virtual screen, the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  export DATABASE_URL="$TEST_DATABASE_URL"
else
  bash scripts/db.sh start
  db="${DOORSTEP_TEST_DB:-doorstep_test}"
  bash scripts/db.sh drop "$db"
  bash scripts/db.sh ensure "$db"
  export DATABASE_URL="$(bash scripts/db.sh url "$db")"
fi
export DOORSTEP_DEMO=1 DOORSTEP_SECRET_KEY="test-secret-not-for-production-0123456789"
.venv/bin/doorstep migrate >/dev/null

# A virtual screen for the Kivy UI tests, unless one is given.
xvfb_pid=""
if [ -z "${DISPLAY:-}" ]; then
  for n in $(seq 90 120); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
      Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
      xvfb_pid=$!
      export DISPLAY=":$n"
      break
    fi
  done
  sleep 1
fi
trap '[ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true' EXIT
mkdir -p .artifacts/screens
# Lint first: every helper keeps it clean (README "Keeping the code clean").
.venv/bin/ruff check server shared_schemas mobile tests bench scripts
.venv/bin/mypy
.venv/bin/pytest --durations=10 "$@"
