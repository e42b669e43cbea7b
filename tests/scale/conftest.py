"""Beyond one machine (issue 18): PgBouncer, HAProxy and a streaming replica run for real
(scripts/scaleout.py), each stopped when its test ends, passed or failed.

They run in front of the project's own cluster (scripts/db.sh), so these tests are skipped when
the suite runs against an outside DATABASE_URL.
"""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy.engine import make_url

from scripts.scaleout import PRIMARY_SOCKETS


def _on_the_project_cluster() -> bool:
    return str(PRIMARY_SOCKETS) in os.environ.get("DATABASE_URL", "")


def needs(*programs: str):
    missing = [p for p in programs if shutil.which(p) is None and not os.path.exists(f"/usr/sbin/{p}")]
    return pytest.mark.skipif(bool(missing) or not _on_the_project_cluster(),
                              reason=f"needs {', '.join(programs)} (scripts/setup.sh test installs them) and the "
                                     "project's own cluster")


@pytest.fixture(scope="session")
def database_name(database_url) -> str:
    return str(make_url(database_url).database)
