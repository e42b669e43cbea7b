"""Uploads through the API: background jobs with progress and a summary, and every bad input refused
with a message that says what to fix (the same file twice at once, too large, not a file, the wrong file,
a closed operation), and areas drawn wrong."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from .conftest import AREA

ROOT = Path(__file__).resolve().parents[2]
WOODHOUSE = ROOT / "fixtures/areas/leeds-woodhouse.osm.pbf"


async def create(client, headers, name: str, area=AREA):
    return await client.post("/api/v1/operations", headers=await headers("coordinator"),
                             json={"name": name, "area": area, "questionnaire_id": "streetsafe-community-v1"})


async def wait_for(client, h, op_id: int, job_id: int) -> dict:
    for _ in range(200):
        job = (await client.get(f"/api/v1/operations/{op_id}/imports/{job_id}", headers=h)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def test_uploads_run_as_jobs_with_a_summary(client, headers, app):
    import uuid

    h = await headers("coordinator")
    op = (await create(client, headers, f"uploads-{uuid.uuid4().hex[:8]}",
                       {"type": "Polygon", "coordinates": [[[-1.575, 53.800], [-1.545, 53.800], [-1.545, 53.815],
                                                            [-1.575, 53.815], [-1.575, 53.800]]]})).json()
    r = await client.post(f"/api/v1/operations/{op['id']}/imports/osm?filename=woodhouse.osm.pbf",
                          content=WOODHOUSE.read_bytes(), headers={**h, "Content-Type": "application/octet-stream"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued"
    job = await wait_for(client, h, op["id"], r.json()["id"])
    assert job["status"] == "done", job
    assert job["summary"]["streets"] == 37 and job["summary"]["by_source"]["generated"] == 278

    csv = ROOT / "fixtures/areas/leeds-woodhouse-addresses.csv"
    r = await client.post(f"/api/v1/operations/{op['id']}/imports/addresses?filename={csv.name}",
                          content=csv.read_bytes(), headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    job = await wait_for(client, h, op["id"], r.json()["id"])
    assert job["status"] == "done", job
    assert job["summary"]["imported"] > 200 and job["summary"]["generated_replaced"] > 100
    doors = (await client.get(f"/api/v1/operations/{op['id']}/households?limit=1000", headers=h)).json()["items"]
    sources = {d["source"] for d in doors}
    assert {"generated", "address_list", "address_point"} <= sources  # the dashboard marks the generated ones
    listed = (await client.get(f"/api/v1/operations/{op['id']}/imports", headers=h)).json()["items"]
    assert [j["kind"] for j in listed[:2]] == ["addresses", "osm"]


async def test_the_same_file_twice_at_once_is_refused_once(client, headers):
    import uuid

    h = await headers("coordinator")
    op = (await create(client, headers, f"uploads-{uuid.uuid4().hex[:8]}")).json()
    data = b"UPRN,ADDRESS,EASTING,NORTHING\n1,1 Alpha Street,429000,434000\n"
    answers = await asyncio.gather(*(
        client.post(f"/api/v1/operations/{op['id']}/imports/addresses?filename=a.csv", content=data,
                    headers={**h, "Content-Type": "text/csv"}) for _ in range(2)))
    codes = sorted(a.status_code for a in answers)
    # Both can be accepted only if the first finished before the second arrived (it is tiny).
    assert codes in ([202, 409], [202, 202])
    if codes == [202, 409]:
        refused = next(a for a in answers if a.status_code == 409).json()
        assert "already being imported" in refused["detail"]


async def test_bad_uploads_say_what_to_fix(client, headers, app):
    import uuid

    h = await headers("coordinator")
    op = (await create(client, headers, f"uploads-{uuid.uuid4().hex[:8]}")).json()
    url = f"/api/v1/operations/{op['id']}/imports"
    r = await client.post(url + "/osm?filename=x.csv", content=b"uprn,address\n", headers={**h, "Content-Type":
                                                                                           "text/csv"})
    assert r.status_code == 422 and "not an OpenStreetMap extract" in r.json()["detail"]
    r = await client.post(url + "/addresses?filename=x.csv", content=b"uprn,address\n1,x\n",
                          headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 422 and "no coordinate columns" in r.json()["detail"]
    r = await client.post(url + "/addresses", content=b'{"a": 1}', headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 415
    # A type another site's page could send without asking (text/plain, a form) is refused as everywhere.
    for simple in ("text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"):
        r = await client.post(url + "/addresses?filename=x.csv", content=b"uprn,address\n",
                              headers={**h, "Content-Type": simple})
        assert r.status_code == 415, simple
    limit = app.state.settings.upload_max_bytes
    r = await client.post(url + "/addresses?filename=big.csv", content=b"x" * (limit + 1),
                          headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 413 and "MiB" in r.json()["detail"]
    r = await client.post(url + "/addresses?filename=x.csv", content=b"uprn,address\n1,x\n",
                          headers={**(await headers("officer")), "Content-Type": "text/csv"})
    assert r.status_code == 403


async def test_areas_drawn_wrong_are_refused_with_what_to_fix(client, headers):
    import uuid

    cases = [
        ({"type": "Polygon", "coordinates": [[[-1.56, 53.80], [-1.55, 53.80], [-1.55, 53.81]]]}, "at least 4"),
        ({"type": "Polygon", "coordinates": [[[-1.56, 53.80], [-1.55, 53.80], [-1.55, 53.81], [-1.56, 53.81]]]},
         "not closed"),
        ({"type": "Polygon", "coordinates": [[[-1.56, 53.80], [-1.55, 53.81], [-1.55, 53.80], [-1.56, 53.81],
                                              [-1.56, 53.80]]]}, "crosses itself"),
        ({"type": "Polygon", "coordinates": [[[-2.5, 53.3], [-1.0, 53.3], [-1.0, 54.0], [-2.5, 54.0],
                                              [-2.5, 53.3]]]}, "km²"),
        ({"type": "Polygon", "coordinates": [[[429000, 434000], [430000, 434000], [430000, 435000],
                                              [429000, 434000]]]}, "not longitude, latitude"),
        ({"type": "Point", "coordinates": [-1.55, 53.8]}, "Polygon or MultiPolygon"),
    ]
    for area, says in cases:
        r = await create(client, headers, f"bad-area-{uuid.uuid4().hex[:8]}", area)
        assert r.status_code == 422, (area, r.text)
        assert says in r.json()["detail"], (says, r.json())
        assert r.json()["field"] == "$.area"
    feature = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": AREA}]}
    r = await create(client, headers, f"feature-area-{uuid.uuid4().hex[:8]}", feature)
    assert r.status_code == 201, r.text
    assert json.loads(json.dumps(r.json()["area"]))["type"] == "MultiPolygon"


async def test_area_changes_while_planned_and_set_up_is_read_only_while_closed(client, headers):
    import uuid

    h = await headers("coordinator")
    op = (await create(client, headers, f"lifecycle-{uuid.uuid4().hex[:8]}")).json()
    smaller = {"type": "Polygon", "coordinates": [[[-1.56, 53.803], [-1.55, 53.803], [-1.55, 53.806],
                                                   [-1.56, 53.806], [-1.56, 53.803]]]}
    r = await client.put(f"/api/v1/operations/{op['id']}/area", json={"area": smaller}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["area"]["coordinates"][0][0][0] == [-1.56, 53.803]
    from sqlalchemy import text

    from server.db.engine import make_engine, transaction

    engine = make_engine()
    try:
        async with transaction(engine) as session:
            await session.execute(text("UPDATE operation SET status = 'closed', closed_at = now() WHERE id = :i"),
                                  {"i": op["id"]})
    finally:
        await engine.dispose()
    r = await client.put(f"/api/v1/operations/{op['id']}/area", json={"area": AREA}, headers=h)
    assert r.status_code == 409
    r = await client.post(f"/api/v1/operations/{op['id']}/teams", headers=h,
                          json={"name": "Late pair", "member_ids": [1, 2], "street_ids": []})
    assert r.status_code == 409 and "Reopen" in r.json()["detail"]
    r = await client.post(f"/api/v1/operations/{op['id']}/imports/addresses?filename=a.csv",
                          content=b"UPRN,ADDRESS,EASTING,NORTHING\n1,x,429000,434000\n",
                          headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 409
    r = await client.post(f"/api/v1/operations/{op['id']}/reopen", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "active" and r.json()["closed_at"] is None
    r = await client.post(f"/api/v1/operations/{op['id']}/close", headers=h)
    assert r.status_code == 200 and r.json()["closed_at"]
