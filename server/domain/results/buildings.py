"""The building outlines of an operation (from its OSM import) as GeoJSON, for the coordinators' map to
draw faintly: a sense of place, nothing more (no properties, no addresses)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Simplified to ~0.5 m and 6 decimals: the outlines are drawn faintly, at street zoom at most.
_SQL = text("""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
           'type', 'Feature', 'properties', json_build_object(),
           'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.000005), 6)::json)), '[]'::json))::text
FROM building WHERE operation_id = :op
""")


async def buildings_geojson(session: AsyncSession, operation_id: int) -> str:
    return (await session.execute(_SQL, {"op": operation_id})).scalar_one()
