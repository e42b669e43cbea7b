"""The offline pack: contents, ETag/304, gzip, and who may have it."""

from __future__ import annotations

import msgspec
from sqlalchemy import text

from shared_schemas.pack import pack_decoder


async def test_pack_has_everything_to_work_offline(op, client, headers, db_engine):
    r = await client.get(f"/api/v1/operations/{op.id}/pack", headers=await headers("officer"))
    assert r.status_code == 200, r.text
    pack = pack_decoder.decode(r.content)  # the tablet's own decoder reads it
    assert pack.operation.id == op.id and pack.operation.name == op.name
    assert pack.questionnaire is not None and pack.questionnaire.id == op.questionnaire_id
    assert [s.id for s in pack.streets] == op.street_ids
    assert pack.streets[0].geometry["type"] == "MultiLineString" and pack.streets[0].geometry["coordinates"]
    assert [h.id for h in pack.households] == op.household_ids
    async with db_engine.connect() as conn:
        home = (await conn.execute(text("SELECT street_id, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM household "
                                        "WHERE id = :id"), {"id": op.household_ids[4]})).one()
    assert (pack.households[4].street_id, pack.households[4].lon, pack.households[4].lat) == tuple(home)
    teams = {t.id: t for t in pack.teams}
    assert set(teams) == {op.team_a, op.team_b}
    assert sorted(m.username for m in teams[op.team_a].members) == ["councillor", "officer"]
    assert teams[op.team_a].street_ids == op.street_ids[:2] and teams[op.team_b].street_ids == op.street_ids[2:]
    assert {c.code for c in pack.categories.fix} >= {"graffiti_removed", "smoke_alarm_fitted"}
    assert pack.routing and all(isinstance(v, str) for v in pack.routing.values())
    assert pack.cursor == ""  # the first pull starts at the beginning: doors knocked before still arrive


async def test_etag_gives_304_until_something_changes(op, client, headers, db_engine):
    h = await headers("councillor")
    first = await client.get(f"/api/v1/operations/{op.id}/pack", headers=h)
    etag = first.headers["etag"]
    same = await client.get(f"/api/v1/operations/{op.id}/pack", headers={**h, "If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    weak = await client.get(f"/api/v1/operations/{op.id}/pack", headers={**h, "If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    async with db_engine.begin() as conn:
        await conn.execute(text("UPDATE street SET name = name || ' (renamed)' WHERE id = :id"),
                           {"id": op.street_ids[0]})
    changed = await client.get(f"/api/v1/operations/{op.id}/pack", headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert msgspec.json.decode(changed.content)["streets"][0]["name"].endswith("(renamed)")


async def test_pack_is_gzipped(op, client, headers):
    r = await client.get(f"/api/v1/operations/{op.id}/pack",
                         headers={**await headers("officer"), "Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert pack_decoder.decode(r.content).operation.id == op.id  # httpx undid the gzip
    assert int(r.headers["content-length"]) < len(r.content)


async def test_only_pairs_and_coordinators_get_the_pack(op, client, headers):
    assert (await client.get(f"/api/v1/operations/{op.id}/pack", headers=await headers("coordinator"))
            ).status_code == 200
    r = await client.get(f"/api/v1/operations/{op.id}/pack", headers=await headers("envhealth"))
    assert r.status_code == 403 and "not on a team" in r.json()["detail"]
    assert (await client.get(f"/api/v1/operations/{op.id}/pack")).status_code == 401
    assert (await client.get("/api/v1/operations/2000000000/pack", headers=await headers("officer"))
            ).status_code == 404
