"""Fixtures for the address-list tests: operations of their own (unique names, deleted afterwards),
with an area and, when asked, two streets from a small OSM file, so these tests commit for real."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import text

from tests.areas.conftest import OsmXml

# Two residential streets in Leeds, no house numbers in OSM (so the importer generates doors):
# Alpha Street runs west-east (about 200 m), Beta Road south-north (about 150 m), 300 m apart.
ALPHA = [(-1.5600, 53.8050), (-1.5570, 53.8050)]
BETA = [(-1.5520, 53.8040), (-1.5520, 53.8054)]
AREA = {"type": "Polygon", "coordinates": [[[-1.565, 53.802], [-1.548, 53.802], [-1.548, 53.808],
                                            [-1.565, 53.808], [-1.565, 53.802]]]}


def street_file(folder) -> str:
    osm = OsmXml(folder)
    nodes = [osm.node(i + 1, lon, lat) for i, (lon, lat) in enumerate(ALPHA + BETA)]
    return osm.write("two-streets.osm", *nodes,
                     osm.way(10, [1, 2], highway="residential", name="Alpha Street"),
                     osm.way(11, [3, 4], highway="residential", name="Beta Road"))


@pytest.fixture
async def planned(db_engine, tmp_path):
    """planned(streets=True, area=AREA) -> a committed planned Operation (with the two streets imported)."""
    from server.db.engine import transaction
    from server.db.models import Operation
    from server.domain.areas.importer import import_area
    from server.domain.areas.osm_reader import read_area

    made: list[int] = []

    async def make(streets: bool = True, area: dict | None = AREA) -> Operation:
        name = f"addresses-test-{uuid.uuid4().hex[:10]}"
        async with transaction(db_engine) as session:
            await session.execute(text(
                "INSERT INTO questionnaire_version (id, version, title, definition) "
                "VALUES ('areas-test-q', 1, 'Area import tests', '{}') ON CONFLICT DO NOTHING"))
            op_id = (await session.execute(text(
                "INSERT INTO operation (name, questionnaire_id, area) VALUES (:n, 'areas-test-q', "
                "CASE WHEN CAST(:a AS text) IS NULL THEN NULL "
                "ELSE ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(CAST(:a AS text)), 4326)) END) RETURNING id"),
                {"n": name, "a": json.dumps(area) if area else None})).scalar_one()
            if streets:
                await import_area(session, read_area(street_file(tmp_path)), name)
        made.append(op_id)
        async with transaction(db_engine) as session:
            return await session.get(Operation, op_id)

    yield make
    async with transaction(db_engine) as session:
        await session.execute(text("DELETE FROM operation WHERE id = ANY(:ids)"), {"ids": made})
