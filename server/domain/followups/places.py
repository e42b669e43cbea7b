"""The streets drawn around follow-ups on the partner pages' maps, from the operation's own geometry
(no base tiles needed): those near one follow-up's place, or those around a list's places."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Street

#: Metres around a follow-up whose streets its page's map draws (and names).
AROUND_M = 300
#: Simplification of the lines drawn (degrees, ~1 m): invisible at street zoom, a lighter page.
SIMPLIFY = 0.00001


def _collection(rows: Any) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": sid, "properties": {"name": name}, "geometry": json.loads(geo)}
        for sid, name, geo in rows if geo]}


async def streets_near(session: AsyncSession, operation_id: int, lon: float, lat: float,
                       metres: float = AROUND_M) -> dict:
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)
    rows = (await session.execute(
        select(Street.id, Street.name, func.ST_AsGeoJSON(func.ST_Simplify(Street.geom, SIMPLIFY), 6))
        .where(Street.operation_id == operation_id,
               func.ST_DWithin(func.Geography(Street.geom), func.Geography(point), metres)))).all()
    return _collection(rows)


async def streets_around(session: AsyncSession, operation_ids: list[int],
                         points: list[tuple[float, float]], margin_m: float = 150) -> dict:
    """The streets of these operations inside the box of ``points`` (lon, lat), grown by ``margin_m``."""
    if not points or not operation_ids:
        return _collection([])
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    grow = margin_m / 111_000  # degrees of latitude; longitude's degree is shorter, so this covers it too
    box = func.ST_MakeEnvelope(min(lons) - 2 * grow, min(lats) - grow, max(lons) + 2 * grow, max(lats) + grow, 4326)
    rows = (await session.execute(
        select(Street.id, Street.name, func.ST_AsGeoJSON(func.ST_Simplify(Street.geom, SIMPLIFY), 6))
        .where(Street.operation_id.in_(operation_ids), Street.geom.intersects(box)))).all()
    return _collection(rows)
