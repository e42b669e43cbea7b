"""Alembic environment: async engine from DATABASE_URL, metadata from server.db.models."""

import asyncio

from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine

from server.db.models import Base
from server.settings import from_env

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
        context.run_migrations()


async def _main() -> None:
    engine = create_async_engine(from_env().database_url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: set DATABASE_URL and run online")
asyncio.run(_main())
