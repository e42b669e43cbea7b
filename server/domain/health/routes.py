"""GET /health: the server and its database."""

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@get("/health", tags=["health"], summary="Server and database health",
     responses={503: ResponseSpec(dict[str, str], generate_examples=False,
                                  description='The database is unreachable: {"status": "degraded", "database": ...}.')})
async def health(db_engine: NamedDependency[AsyncEngine]) -> Response[dict]:
    try:
        async with db_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Response({"status": "ok", "database": "ok"})
    except Exception as exc:  # noqa: BLE001 - any database failure means "down"
        return Response({"status": "degraded", "database": f"unavailable ({type(exc).__name__})"}, status_code=503)


ROUTES = [health]
