"""Results by street against the real PostGIS: every figure against the test's own count of the records
it pushed through POST /api/v1/sync/push; GeoJSON read back by GDAL; CSV read back by the csv module."""

from __future__ import annotations

import csv
import io
import subprocess

import pytest

from .world import (
    SECRETS,
    World,
    build_world,
    door_states,
    expected_streets,
    make_fixes_and_followups,
    make_visits,
    nonzero,
    push,
)

COUNTS = ("households", "knocked", "closed", "answered", "to_revisit", "refused", "vacant", "do_not_visit")


@pytest.fixture(scope="module")
async def world(db_engine, demo, client, headers) -> World:
    w = await build_world(db_engine, "streets")
    await push(client, headers, w, make_visits(w, list(w.households)))
    await push(client, headers, w, make_fixes_and_followups(w))
    # Move some follow-ups along their workflow as the coordinator.
    for i, f in enumerate(w.followups[:6]):
        steps = ["acknowledged"] if i % 2 else ["in_progress", "resolved"]
        for step in steps:
            got = await client.get(f"/api/v1/followups/{f['id']}", headers=await headers("coordinator"))
            assert got.status_code == 200, got.text
            r = await client.patch(f"/api/v1/followups/{f['id']}", headers=await headers("coordinator"),
                                   json={"version": got.json()["version"], "status": step, "note": "moved by test"})
            assert r.status_code == 200, r.text
            w.followup_status[f["id"]] = step
    return w


async def _streets(client, headers, w: World, fmt: str | None = None):
    url = f"/api/v1/operations/{w.operation_id}/streets" + (f"?format={fmt}" if fmt else "")
    r = await client.get(url, headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    return r


def _check_item(item: dict, e: dict) -> None:
    for k in COUNTS:
        assert item[k] == e[k], (item["name"], k, item[k], e[k])
    assert item["coverage"] == e["coverage"] and item["contact_rate"] == e["contact_rate"]
    assert nonzero(item["concerns"]) == e["concerns"], item["name"]
    assert nonzero(item["fixes"]) == e["fixes"], item["name"]
    assert nonzero(item["followups"]) == e["followups"], item["name"]


async def test_every_street_figure_matches_the_records_pushed(world, client, headers):
    expected = expected_streets(world)
    body = (await _streets(client, headers, world)).json()
    assert body["operation_id"] == world.operation_id and body["next"] is None
    items = {i["street_id"]: i for i in body["items"]}
    assert sorted(items) == sorted(world.street_ids)
    assert [i["name"] for i in body["items"]] == sorted(i["name"] for i in body["items"])
    for sid in world.street_ids:
        _check_item(items[sid], expected[sid])
    # the world is not trivial: every kind of figure is non-zero somewhere
    for k in COUNTS:
        assert sum(e[k] for e in expected.values()) > 0, k
    assert any(e["concerns"] for e in expected.values()) and any(e["fixes"] for e in expected.values())
    assert len({s for e in expected.values() for s in e["followups"]}) >= 3
    # the street without households has no rates, and keys for every category
    empty = items[world.street_ids[-1]]
    assert empty["households"] == 0 and empty["coverage"] is None and empty["contact_rate"] is None
    assert set(empty["concerns"]) >= {"feeling_unsafe", "no_smoke_alarm"}
    assert set(empty["fixes"]) >= {"smoke_alarm_fitted"} and set(empty["followups"]) == {
        "open", "acknowledged", "in_progress", "resolved", "declined"}
    # each street carries its pair
    assert items[world.street_ids[0]]["team_id"] == world.teams["A"]
    assert items[world.street_ids[2]]["team_id"] == world.teams["B"]


async def test_totals_cover_the_whole_operation(world, client, headers):
    expected = expected_streets(world)
    totals = (await _streets(client, headers, world)).json()["totals"]
    for k in COUNTS:
        assert totals[k] == sum(e[k] for e in expected.values()), k
    assert totals["visits"] == len(world.visits)
    assert totals["streets"] == len(world.street_ids)
    assert totals["households_without_street"] == expected[None]["households"] > 0
    states = door_states(world)
    assert totals["knocked"] == sum(1 for s in states.values() if s["attempts"])
    assert totals["coverage"] == round(totals["knocked"] / len(world.households), 4)
    assert totals["contact_rate"] == round(totals["answered"] / len(world.households), 4)
    concern_count: dict[str, int] = {}
    for s in states.values():
        for c in s["concerns"]:
            concern_count[c] = concern_count.get(c, 0) + 1
    assert nonzero(totals["concerns"]) == concern_count
    fixes: dict[str, int] = {}
    for f in world.fixes:
        fixes[f["category"]] = fixes.get(f["category"], 0) + 1
    assert nonzero(totals["fixes"]) == fixes
    statuses: dict[str, int] = {}
    for s in world.followup_status.values():
        statuses[s] = statuses.get(s, 0) + 1
    assert nonzero(totals["followups"]) == statuses


async def test_geojson_is_read_by_gdal(world, client, headers, tmp_path):
    r = await _streets(client, headers, world, "geojson")
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == len(world.street_ids)
    expected = expected_streets(world)
    for f in doc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "MultiLineString"
        lon, lat = f["geometry"]["coordinates"][0][0]
        assert -1.6 < lon < -1.5 and 53.7 < lat < 53.9  # RFC 7946: longitude first
        _check_item(f["properties"], expected[f["id"]])
    path = tmp_path / "streets.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "ERROR" not in out.stderr and "Warning" not in out.stderr, out.stderr
    assert f"Feature Count: {len(world.street_ids)}" in out.stdout
    assert "Multi Line String" in out.stdout
    assert "households: Integer" in out.stdout and "coverage: Real" in out.stdout
    full = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-where", f"street_id = {world.street_ids[0]}", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    assert f"households (Integer) = {expected[world.street_ids[0]]['households']}" in full.stdout
    assert f"knocked (Integer) = {expected[world.street_ids[0]]['knocked']}" in full.stdout


async def test_csv_opens_cleanly(world, client, headers):
    r = await _streets(client, headers, world, "csv")
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")  # byte-order mark: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(world.street_ids)
    expected = expected_streets(world)
    for row in rows:
        e = expected[int(row["street_id"])]
        for k in COUNTS:
            assert int(row[k]) == e[k], (row["name"], k)
        assert (row["coverage"] == "") == (e["coverage"] is None)
        if e["coverage"] is not None:
            assert float(row["coverage"]) == e["coverage"]
        concerns = {k.removeprefix("concern_"): int(v) for k, v in row.items() if k.startswith("concern_")}
        assert nonzero(concerns) == e["concerns"]
        fixes = {k.removeprefix("fix_"): int(v) for k, v in row.items() if k.startswith("fix_")}
        assert nonzero(fixes) == e["fixes"]
        followups = {k.removeprefix("followups_"): int(v) for k, v in row.items() if k.startswith("followups_")}
        assert nonzero(followups) == e["followups"]


async def test_results_change_after_a_push_and_the_version_moves(world, client, headers):
    url = f"/api/v1/operations/{world.operation_id}/results/version"
    before = (await client.get(url, headers=await headers("coordinator"))).json()["version"]
    assert (await client.get(url, headers=await headers("coordinator"))).json()["version"] == before
    fresh = [h for h, s in world.households.items() if s == world.street_ids[1]][:3]
    records = make_visits(world, fresh, per_door=(1, 1))
    for r in records:
        r["outcome"] = "no_answer"
        r.pop("answers", None)
    await push(client, headers, world, records)
    after = (await client.get(url, headers=await headers("coordinator"))).json()["version"]
    assert after != before
    expected = expected_streets(world)
    items = {i["street_id"]: i for i in (await _streets(client, headers, world)).json()["items"]}
    _check_item(items[world.street_ids[1]], expected[world.street_ids[1]])


async def test_no_personal_data_in_any_output(world, client, headers):
    h = await headers("coordinator")
    base = f"/api/v1/operations/{world.operation_id}"
    outputs = [(await _streets(client, headers, world, fmt)).text for fmt in (None, "geojson", "csv")]
    for path in ("/households?limit=1000", "/revisits?limit=1000", "/visits?limit=1000", "/pairs",
                 "/followup-summary", "/setup", "/results/version"):
        r = await client.get(base + path, headers=h)
        assert r.status_code == 200, (path, r.text)
        outputs.append(r.text)
    for path in (f"/dashboard/operations/{world.operation_id}", f"/dashboard/operations/{world.operation_id}/revisits",
                 f"/dashboard/operations/{world.operation_id}/setup", "/dashboard"):
        r = await client.get(path, headers=h)
        assert r.status_code == 200, (path, r.text[:300])
        outputs.append(r.text)
    # the secrets really are in the database, so their absence above means something
    visits = (await client.get(base + "/visits?limit=1000", headers=h)).json()["items"]
    assert len(visits) == len(world.visits)
    got = await client.get(f"/api/v1/followups/{world.followups[0]['id']}", headers=h)
    assert "Quillfeather" in got.text or "Grimsditch" in got.text
    for text in outputs:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize("fmt", [None, "geojson", "csv"])
async def test_access_rules(world, app, client, headers, fmt, other_coordinator):
    q = f"?format={fmt}" if fmt else ""
    r = await client.get(f"/api/v1/operations/999999/streets{q}", headers=await headers("coordinator"))
    assert r.status_code == 404 and "999999" in r.json()["detail"]
    r = await client.get(f"/api/v1/operations/{world.operation_id}/streets{q}", headers=other_coordinator)
    assert r.status_code == 403 and "do not coordinate" in r.json()["detail"]
    r = await client.get(f"/api/v1/operations/{world.operation_id}/streets{q}", headers=await headers("officer"))
    assert r.status_code == 403
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as anonymous:  # no session cookie
        r = await anonymous.get(f"/api/v1/operations/{world.operation_id}/streets{q}")
    assert r.status_code == 401


async def test_unknown_format_is_refused_with_the_formats(world, client, headers):
    r = await client.get(f"/api/v1/operations/{world.operation_id}/streets?format=xlsx",
                         headers=await headers("coordinator"))
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert "xlsx" in detail and "json" in detail and "geojson" in detail and "csv" in detail


async def test_pair_progress(world, client, headers):
    r = await client.get(f"/api/v1/operations/{world.operation_id}/pairs", headers=await headers("coordinator"))
    assert r.status_code == 200
    pairs = {p["team_id"]: p for p in r.json()["items"]}
    states = door_states(world)
    for key, team_id in world.teams.items():
        streets = [s for s, k in world.team_of_street.items() if k == key and s is not None]
        doors = [states[h] for h, s in world.households.items() if s in streets]
        p = pairs[team_id]
        assert p["streets"] == len(streets)
        assert p["households"] == len(doors)
        assert p["knocked"] == sum(1 for d in doors if d["attempts"])
        assert p["closed"] == sum(1 for d in doors if d["status"] not in ("to_revisit", "not_knocked"))
        assert p["to_revisit"] == sum(1 for d in doors if d["status"] == "to_revisit")
        mine = [v for v in world.visits if v["team_id"] == team_id]
        assert p["visits"] == len(mine)
        assert p["answered"] == len({v["household_id"] for v in mine if v["outcome"] == "answered"})
        assert len(p["agencies"]) == 2 and len(p["members"]) == 2


async def test_followup_summary(world, client, headers):
    r = await client.get(f"/api/v1/operations/{world.operation_id}/followup-summary",
                         headers=await headers("coordinator"))
    body = r.json()
    assert body["total"] == len(world.followups)
    statuses: dict[str, int] = {}
    for s in world.followup_status.values():
        statuses[s] = statuses.get(s, 0) + 1
    assert nonzero(body["by_status"]) == statuses
    cats: dict[str, int] = {}
    for f in world.followups:
        cats[f["category"]] = cats.get(f["category"], 0) + 1
    assert body["by_category"] == cats
    assert sum(i["count"] for i in body["items"]) == len(world.followups)


@pytest.fixture(scope="module")
async def other_coordinator(client, db_engine):
    """A coordinator who does not run the test operation."""
    import uuid

    from sqlalchemy import text

    from server.db.engine import transaction
    from server.lib.passwords import hash_password

    name = f"othercoord{uuid.uuid4().hex[:6]}"
    async with transaction(db_engine) as s:
        await s.execute(text(
            "INSERT INTO app_user (username, display_name, password_hash, agency_id, roles) "
            "SELECT :u, 'Other Coordinator', :p, id, ARRAY['coordinator'] FROM agency WHERE code = 'council'"),
            {"u": name, "p": hash_password("other-pass-123")})
    r = await client.post("/api/v1/auth/token", json={"username": name, "password": "other-pass-123"})
    client.cookies.clear()  # the shared client keeps no session of this user
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}



async def test_the_dashboard_uses_a_tile_server_only_when_one_is_set(world, app, client, headers):
    import dataclasses

    page = f"/dashboard/operations/{world.operation_id}"
    r = await client.get(page, headers=await headers("coordinator"))
    assert 'data-tile-url=""' in r.text  # streets come from our own geometry; no base tiles
    assert "https://" not in r.text and "http://" not in r.text  # nothing from the internet
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, tile_url="https://tiles.example.org/{z}/{x}/{y}.png")
    try:
        r = await client.get(page, headers=await headers("coordinator"))
    finally:
        app.state.settings = settings
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in r.text
