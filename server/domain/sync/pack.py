"""The offline pack: everything a pair needs to work an operation without signal.

Built with a handful of set-based queries (streets with their GeoJSON, households with
their point, teams with members and streets) in a stable order, encoded once; the ETag is
a hash of those bytes, so an unchanged operation answers 304 to ``If-None-Match``.

The pack's ``cursor`` is the start (""): the tablet's first pull then brings every earlier
visit by the other pairs (outcome only), so doors knocked before the pack was downloaded
show as knocked, plus the status of the pair's follow-ups. The pull is paged and costs what
it returns. (A cursor taken when the pack was built would skip those visits: the pack
carries the area and the teams, not the visits.) Team changes made after the pack was read
arrive by the same pull; applying one twice is harmless.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.driver import driver_connection
from server.db.models import Operation
from server.domain.operations.teams import TEAM_MEMBERS_JSON
from server.domain.questionnaires.repository import published_version
from server.domain.sync.cursor import START, encode_cursor
from shared_schemas.codes import OperationStatus
from shared_schemas.pack import Pack, PackHousehold, PackMember, PackOperation, PackStreet, PackTeam, default_categories

_encoder = msgspec.json.Encoder()
_members = msgspec.json.Decoder(list[PackMember])


_TEAMS_SQL = f"""
SELECT t.id, t.name, {TEAM_MEMBERS_JSON}::text AS members,
       coalesce((SELECT array_agg(ts.street_id ORDER BY ts.street_id)
                   FROM team_street AS ts WHERE ts.team_id = t.id), '{{}}') AS street_ids
  FROM team AS t WHERE t.operation_id = $1 ORDER BY t.id"""


class BuiltPack(msgspec.Struct, frozen=True):
    body: bytes
    etag: str


async def build_pack(session: AsyncSession, operation: Operation) -> BuiltPack:
    raw = await driver_connection(session)
    streets = await raw.fetch(
        """SELECT id, ref, name, locality, ST_AsGeoJSON(geom, 7) AS geometry
             FROM street WHERE operation_id = $1 ORDER BY id""", operation.id)
    households = await raw.fetch(
        """SELECT id, ref, address, house_number, postcode, street_id, ST_X(geom) AS lon, ST_Y(geom) AS lat,
                  side, door_order, source
             FROM household WHERE operation_id = $1 ORDER BY id""", operation.id)
    teams = await raw.fetch(_TEAMS_SQL, operation.id)
    pack = Pack(
        operation=PackOperation(id=operation.id, name=operation.name, status=OperationStatus(operation.status),
                                starts_on=operation.starts_on, ends_on=operation.ends_on,
                                questionnaire_id=operation.questionnaire_id),
        questionnaire=await published_version(session, operation.questionnaire_id),
        streets=[PackStreet(id=r["id"], ref=r["ref"], name=r["name"], locality=r["locality"],
                            geometry=msgspec.json.decode(r["geometry"])) for r in streets],
        households=[PackHousehold(id=r["id"], ref=r["ref"], address=r["address"], house_number=r["house_number"],
                                  postcode=r["postcode"], street_id=r["street_id"], lon=r["lon"], lat=r["lat"],
                                  side=r["side"], door_order=r["door_order"], source=r["source"]) for r in households],
        teams=[PackTeam(id=r["id"], name=r["name"], members=_members.decode(r["members"]),
                        street_ids=list(r["street_ids"])) for r in teams],
        categories=default_categories(),
        routing={str(k): str(v) for k, v in sorted((operation.routing or {}).items()) if not str(k).startswith("_")},
        cursor=encode_cursor(START),
    )
    body = _encoder.encode(pack)
    return BuiltPack(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: a list of entity tags (weak comparison), or "*"."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


__all__: list[Any] = ["BuiltPack", "build_pack", "etag_matches"]
