"""GET /health: the server and its database."""

from litestar import Request, Response, get
from sqlalchemy import text


@get("/health", tags=["health"], summary="Server and database health")
async def health(request: Request) -> Response[dict]:
    engine = request.app.state.db_engine
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Response({"status": "ok", "database": "ok"})
    except Exception as exc:  # noqa: BLE001 - any database failure means "down"
        return Response({"status": "degraded", "database": f"unavailable ({type(exc).__name__})"}, status_code=503)


ROUTES = [health]
