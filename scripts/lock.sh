#!/usr/bin/env bash
# Writes constraints.txt: the exact versions a fresh virtualenv resolves for pyproject.toml's
# dependencies (all extras). Run it after changing them, then run make test.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --upgrade pip >/dev/null
"$tmp/venv/bin/pip" install -q -e '.[server,mobile,dev]'
{
  echo "# Exact versions for make run, make test and CI (scripts/setup.sh installs with -c constraints.txt)."
  echo "# Regenerate after changing pyproject.toml's dependencies: bash scripts/lock.sh"
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^-e '
} > constraints.txt
echo "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
