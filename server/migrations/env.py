"""Alembic environment: async engine from DATABASE_URL, metadata from server.db.models.

Every server replica may run ``doorstep migrate`` as it starts: the migrations run under a
transaction-level advisory lock, so the first one migrates and the others wait for it, then find
nothing left to do (a transaction-level lock also holds behind PgBouncer in transaction mode).
"""

import asyncio

from alembic import context
from sqlalchemy import text

from server.db.engine import make_engine
from server.db.models import Base
from server.settings import from_env

#: pg_advisory_xact_lock key of the migrations ("doorstep" in ASCII, truncated to a bigint's range).
MIGRATION_LOCK = 0x646F6F7273746570

target_metadata = Base.metadata


POSTGIS_TABLES = {"spatial_ref_sys", "geography_columns", "geometry_columns", "layer", "topology"}


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS's own tables are not ours; every other table must have a model.
    return not (type_ == "table" and reflected and compare_to is None and name in POSTGIS_TABLES)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _main() -> None:
    settings = from_env()
    engine = make_engine(settings.database_url, pool_mode=settings.database_pool_mode)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: set DATABASE_URL and run online")
asyncio.run(_main())
