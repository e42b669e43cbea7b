#!/usr/bin/env bash
# make run: set everything up (idempotent) and serve the demo on http://127.0.0.1:8000 (or $PORT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
if [ -z "${DATABASE_URL:-}" ]; then
  bash scripts/db.sh start
  # DOORSTEP_DB_NAME: the database of the project's cluster to serve (every `doorstep` command run
  # inside this checkout without DATABASE_URL finds the same one).
  bash scripts/db.sh ensure "${DOORSTEP_DB_NAME:-doorstep}"
  export DATABASE_URL="$(bash scripts/db.sh url "${DOORSTEP_DB_NAME:-doorstep}")"
fi
mkdir -p .data
if [ -z "${DOORSTEP_SECRET_KEY:-}" ]; then
  [ -s .data/secret-key ] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(48))" > .data/secret-key
  export DOORSTEP_SECRET_KEY="$(cat .data/secret-key)"
fi
export DOORSTEP_DEMO=1
port="${PORT:-8000}"
url="http://127.0.0.1:$port"
.venv/bin/doorstep migrate
.venv/bin/doorstep demo load
cat <<MSG

  Doorstep is starting on $url
    health         $url/health
    API (OpenAPI)  $url/schema/openapi.json   (browse: /schema/swagger)
    coordinators   $url/dashboard
    partners       $url/partner
  Demo logins, password doorstep-demo:
    admin, coordinator; visitors officer, pcso (police), councillor (council), firefighter (fire);
    partners envhealth (council environmental health), firesafety (fire community safety).
  The tablet app: make app (in another terminal).  Stop the server with Ctrl-C, the database with make stop.

MSG
exec .venv/bin/doorstep serve --host 127.0.0.1 --port "$port"
