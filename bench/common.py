"""What every benchmark needs: a database of its own in the project's cluster, the server's
environment, and asyncpg connection arguments."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fresh_database(name: str) -> str:
    """Start the project's cluster, (re)create database `name` with PostGIS, return its URL."""
    db = ROOT / "scripts" / "db.sh"
    subprocess.run(["bash", str(db), "start"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["bash", str(db), "drop", name], check=True)
    subprocess.run(["bash", str(db), "ensure", name], check=True)
    return subprocess.run(["bash", str(db), "url", name], check=True, capture_output=True, text=True).stdout.strip()


def server_environment(url: str) -> dict[str, str]:
    """The server's environment for a benchmark: demo mode, no notification worker, no nightly retention
    run (its first look would find the night's run due and strip the text of every bench visit older
    than DOORSTEP_RETENTION_VISIT_TEXT_DAYS, millions of rows in bench/national.py, while timing)."""
    return dict(os.environ, DATABASE_URL=url, DOORSTEP_DEMO="1",
                DOORSTEP_SECRET_KEY=os.environ.get("DOORSTEP_SECRET_KEY", "bench-secret-not-for-production-0123456789"),
                DOORSTEP_NOTIFY_INTERVAL_SECONDS="0", DOORSTEP_RETENTION_CHECK_SECONDS="0")


def asyncpg_dsn(url: str) -> dict[str, Any]:
    """asyncpg connect() arguments from a SQLAlchemy URL (unix-socket host in the query)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    query = dict(u.query)
    return {"host": query.get("host", u.host), "port": int(query.get("port", u.port or 5432)), "user": u.username,
            "password": u.password, "database": u.database}
