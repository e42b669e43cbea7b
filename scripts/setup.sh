#!/usr/bin/env bash
# Installs what Doorstep needs on a Debian machine, idempotently.
#   scripts/setup.sh run    — what `make run` needs (PostGIS, the virtualenv)
#   scripts/setup.sh test   — plus Xvfb, Mesa, Chromium and GDAL for the test suite
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

# fonts-noto-core: the tablet's fonts for every language a questionnaire may be in (Noto Sans, Noto Naskh
# Arabic for Urdu, Noto Sans Gurmukhi for Punjabi …); the server checks imports against the same files.
debs=(postgresql-15-postgis-3 fonts-noto-core)
if [ "$mode" = "test" ]; then
  # pgbouncer, haproxy: tests/scale runs the server behind them (scripts/scaleout.py)
  debs+=(xvfb libgl1-mesa-dri gdal-bin chromium chromium-driver fonts-dejavu-core pgbouncer haproxy)
fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ -z "${DATABASE_URL:-}" ] || [ "$mode" = "test" ]; then :; else
  # With DATABASE_URL pointing at another PostGIS, the local server packages are optional.
  missing=("${missing[@]/postgresql-15-postgis-3}")
fi
missing=(${missing[@]+"${missing[@]}"})
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Doorstep needs these Debian packages. Run this, then try again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Python packages in a project virtualenv, at the versions constraints.txt pins (scripts/lock.sh
# writes it); reinstalled only when pyproject.toml or constraints.txt changes.
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.doorstep-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -c constraints.txt -e '.[server,mobile,dev]'
  echo "$want" > "$stamp"
fi

# Web assets for the coordinators' and partners' pages, and the tablet's icon font, come from the
# npm registry at set-up time, never from a CDN at run time (and are never committed).
for assets in server/web mobile/assets; do
  if [ -f "$assets/package.json" ]; then
    if [ ! -d "$assets/node_modules" ] || [ "$assets/package.json" -nt "$assets/node_modules" ]; then
      echo "==> installing assets in $assets (npm)"
      (cd "$assets" && npm install --no-audit --no-fund --silent)
      touch "$assets/node_modules"
    fi
  fi
done
