"""Fixtures for the area import tests: the two real extracts, tiny hand-written OSM files,
and operations of their own (unique names, deleted afterwards) so these tests never touch
the demo operation and can commit for real."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert


class OsmXml:
    """Write a small .osm file; tag keys use "__" for ":" (addr__housenumber)."""

    def __init__(self, folder: Path):
        self.folder = folder

    @staticmethod
    def _tags(tags: dict[str, str]) -> str:
        return "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())

    def node(self, nid: int, lon: float, lat: float, **tags: str) -> str:
        return f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}">{self._tags(tags)}</node>'

    def way(self, wid: int, refs: list[int], **tags: str) -> str:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        return f'<way id="{wid}" version="1">{nds}{self._tags(tags)}</way>'

    def relation(self, rid: int, members: list[tuple[str, int, str]], **tags: str) -> str:
        mem = "".join(f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members)
        return f'<relation id="{rid}" version="1">{mem}{self._tags(tags)}</relation>'

    def write(self, name: str, *elements: str) -> Path:
        path = self.folder / name
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n' + "\n".join(elements) + "\n</osm>\n"
        )
        return path


@pytest.fixture
def osm(tmp_path) -> OsmXml:
    return OsmXml(tmp_path)


@pytest.fixture
async def new_operation(db_engine):
    """new_operation() -> the name of a fresh, committed operation; deleted (cascading) at the end."""
    from server.db.engine import transaction
    from server.db.models import Operation, QuestionnaireVersion

    made: list[str] = []

    async def make() -> str:
        name = f"areas-test-{uuid.uuid4().hex[:10]}"
        async with transaction(db_engine) as session:
            await session.execute(
                insert(QuestionnaireVersion)
                .values(id="areas-test-q", version=1, title="Area import tests", definition={})
                .on_conflict_do_nothing()
            )
            await session.execute(insert(Operation).values(name=name, questionnaire_id="areas-test-q"))
        made.append(name)
        return name

    yield make
    async with transaction(db_engine) as session:
        for name in made:
            await session.execute(delete(Operation).where(Operation.name == name))


@pytest.fixture
def snapshot(db_engine):
    """snapshot(operation) -> everything imported for it, as comparable rows."""
    from server.db.engine import transaction

    async def take(operation: str):
        async with transaction(db_engine) as session:
            streets = (
                await session.execute(
                    text(
                        "SELECT s.id, s.ref, s.name, s.locality, ST_AsText(s.geom) FROM street s "
                        "JOIN operation o ON o.id = s.operation_id WHERE o.name = :n ORDER BY s.id"
                    ),
                    {"n": operation},
                )
            ).all()
            households = (
                await session.execute(
                    text(
                        "SELECT h.id, h.ref, h.address, h.house_number, h.postcode, h.street_id, h.side, "
                        "h.door_order, h.source, ST_AsText(h.geom) FROM household h "
                        "JOIN operation o ON o.id = h.operation_id WHERE o.name = :n ORDER BY h.id"
                    ),
                    {"n": operation},
                )
            ).all()
        return streets, households

    return take

