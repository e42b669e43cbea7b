"""Publishing and withdrawing through the API, who may do it, and what an unpublished operation's
public URLs answer; the "what happens next" priorities and their checks."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from .world import PRIORITIES, build_open_world

PUBLIC = ("/", "/streets.csv", "/streets.geojson", "/datapackage.json")


@pytest.fixture(scope="module")
async def unpublished(db_engine, demo, client, headers):
    return await build_open_world(db_engine, client, headers, "unpublished")


@pytest.fixture(scope="module")
async def other_coordinator(client, headers) -> dict[str, str]:
    """A coordinator who runs none of the test operations."""
    name = f"coord-{uuid.uuid4().hex[:6]}"
    r = await client.post("/api/v1/users", headers=await headers("admin"), json={
        "username": name, "password": "another-password-123", "display_name": "Other Coordinator",
        "agency": "council", "roles": ["coordinator"]})
    assert r.status_code == 201, r.text
    token = await client.post("/api/v1/auth/token", json={"username": name, "password": "another-password-123"})
    client.cookies.clear()
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_unpublished_public_urls_are_404_to_all_but_its_coordinators(unpublished, client, headers,
                                                                           other_coordinator):
    client.cookies.clear()
    op = unpublished.world.operation_id
    for path in PUBLIC:
        url = f"/open-data/operations/{op}{path}"
        assert (await client.get(url)).status_code == 404, url
        assert (await client.get(url, headers=other_coordinator)).status_code == 404, url
        assert (await client.get(url, headers=await headers("officer"))).status_code == 404, url
        preview = await client.get(url, headers=await headers("coordinator"))
        assert preview.status_code == 200, url
        assert preview.headers["cache-control"] == "private, no-store"
    page = await client.get(f"/open-data/operations/{op}/", headers=await headers("coordinator"))
    assert "Not published yet" in page.text
    assert unpublished.world.name not in (await client.get("/open-data")).text
    for bad in (0, 2**31, 999999):
        assert (await client.get(f"/open-data/operations/{bad}/streets.csv")).status_code == 404
    missing = await client.get("/open-data/operations/999999/")
    assert "There is no published operation 999999" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    # A forged bearer token is refused, not silently treated as signed out.
    assert (await client.get(f"/open-data/operations/{op}/streets.csv",
                             headers={"Authorization": "Bearer not-a-token"})).status_code == 401


async def test_who_may_publish(unpublished, client, headers, other_coordinator):
    op = unpublished.world.operation_id
    url = f"/api/v1/operations/{op}/publish"
    assert (await client.post(url)).status_code == 401
    r = await client.post(url, headers=other_coordinator)
    assert r.status_code == 403 and "You do not coordinate operation" in r.json()["detail"]
    assert (await client.post(url, headers=await headers("officer"))).status_code == 403
    assert (await client.delete(url, headers=other_coordinator)).status_code == 403
    r = await client.post("/api/v1/operations/999999/publish", headers=await headers("coordinator"))
    assert r.status_code == 404 and r.json()["detail"] == "There is no operation 999999."
    assert (await client.get(url, headers=await headers("coordinator"))).json()["published"] is False


async def test_publish_then_withdraw(db_engine, demo, client, headers):
    ow = await build_open_world(db_engine, client, headers, "toggle")
    op = ow.world.operation_id
    url = f"/api/v1/operations/{op}/publish"
    csv_url = f"/open-data/operations/{op}/streets.csv"
    client.cookies.clear()
    assert (await client.get(csv_url)).status_code == 404
    first = await client.post(url, headers=await headers("coordinator"))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["published"] is True and body["published_by"] == "Chris Coordinator"
    assert body["links"]["csv"] == csv_url and body["links"]["ogc_collection"].endswith(f"operation-{op}-streets")
    published = await client.get(csv_url)
    assert published.status_code == 200 and published.headers["cache-control"] == "no-cache"
    again = await client.post(url, headers=await headers("coordinator"))
    assert again.json()["published_at"] == body["published_at"]  # publishing again changes nothing
    withdrawn = await client.delete(url, headers=await headers("coordinator"))
    assert withdrawn.status_code == 200 and withdrawn.json()["published"] is False
    assert (await client.get(csv_url)).status_code == 404
    async with db_engine.connect() as conn:
        actions = (await conn.execute(text(
            "SELECT action FROM audit_log WHERE entity_type = 'operation' AND entity_id = :op ORDER BY id"),
            {"op": str(op)})).scalars().all()
    assert actions == ["opendata.publish", "opendata.withdraw"]


async def test_priorities(unpublished, client, headers, other_coordinator):
    op = unpublished.world.operation_id
    url = f"/api/v1/operations/{op}/priorities"
    h = await headers("coordinator")
    assert (await client.get(url, headers=h)).json() == {"priorities": [], "contact": None}
    r = await client.put(url, headers=h, json={"priorities": ["  " + PRIORITIES[0] + " ", PRIORITIES[1]],
                                               "contact": "Call 101"})
    assert r.status_code == 200 and r.json() == {"priorities": PRIORITIES[:2], "contact": "Call 101"}
    assert (await client.get(url, headers=h)).json()["priorities"] == PRIORITIES[:2]
    bad = {
        "four": {"priorities": ["a", "b", "c", "d"]},
        "empty": {"priorities": ["ok", "   "]},
        "long": {"priorities": ["x" * 201]},
        "line break": {"priorities": ["one\ntwo"]},
        "override": {"priorities": ["abc\u202edef"]},
        "contact": {"priorities": [], "contact": "y" * 301},
    }
    for label, body in bad.items():
        r = await client.put(url, headers=h, json=body)
        assert r.status_code == 422, (label, r.text)
        assert r.json()["detail"][:1].isupper(), (label, r.json())
    r = await client.put(url, headers=h, json={"priorities": "not a list"})
    assert r.status_code == 422
    r = await client.put(url, headers=h, json={"priorities": [], "unknown": 1})
    assert r.status_code in (400, 422)
    assert (await client.get(url, headers=h)).json()["priorities"] == PRIORITIES[:2]  # nothing saved was lost
    assert (await client.put(url, headers=other_coordinator, json={"priorities": []})).status_code == 403
    r = await client.put(url, headers=h, json={"priorities": []})
    assert r.json() == {"priorities": [], "contact": None}
