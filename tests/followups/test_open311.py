"""Open311 GeoReport v2: keys per agency, only its own follow-ups, standard fields, no residents' details;
read by the real `georeport` client library against the live server."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
import requests
from georeport import GeoReport

FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
          "agency_responsible", "requested_datetime", "updated_datetime", "expected_datetime", "address", "lat",
          "long"}


async def _key(client, headers, code: str) -> str:
    r = await client.post(f"/api/v1/agencies/{code}/open311-key", headers=await headers("admin"))
    assert r.status_code == 201, r.text
    return r.json()["api_key"]


async def test_discovery_and_services_are_open(client):
    d = (await client.get("/open311/v2/discovery.json")).json()
    assert d["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    services = (await client.get("/open311/v2/services.json")).json()
    codes = {s["service_code"] for s in services}
    assert {"fly_tipping", "home_fire_safety_visit", "safeguarding"} <= codes
    assert all(s["metadata"] is False and s["type"] == "realtime" for s in services)


async def test_keys_are_needed_issued_by_admins_and_stored_hashed(client, headers, db_engine):
    from sqlalchemy import text

    from server.db.engine import transaction
    assert (await client.get("/open311/v2/requests.json")).status_code == 401
    r = await client.get("/open311/v2/requests.json", params={"api_key": "d311_not-a-real-key"})
    assert r.status_code == 401 and r.json()[0]["code"] == 401
    assert (await client.post("/api/v1/agencies/housing/open311-key",
                              headers=await headers("coordinator"))).status_code == 403
    key = await _key(client, headers, "housing")
    async with transaction(db_engine) as s:
        stored = (await s.execute(text("SELECT open311_key_hash FROM agency WHERE code = 'housing'"))).scalar_one()
    assert key not in stored and len(stored) == 64
    assert (await client.get("/open311/v2/requests.json", params={"api_key": key})).status_code == 200
    # A new key replaces the old one.
    newer = await _key(client, headers, "housing")
    assert (await client.get("/open311/v2/requests.json", params={"api_key": key})).status_code == 401
    assert (await client.get("/open311/v2/requests.json", params={"api_key": newer})).status_code == 200


async def test_an_agency_sees_only_its_own_with_standard_fields(client, headers, raise_followup):
    env_key = await _key(client, headers, "council-envhealth")
    fire_key = await _key(client, headers, "fire-safety")
    person = {"name": "Open311 Resident Zed", "phone": "0113 000 0311", "email": "zed@example.org"}
    mine = await raise_followup("graffiti", priority="high", consent=True, resident=person,
                                description="Graffiti on the railway bridge")
    theirs = await raise_followup("home_fire_safety_visit")
    r = await client.get("/open311/v2/requests.json", params={"api_key": env_key})
    items = {i["service_request_id"]: i for i in r.json()}
    assert str(mine) in items and str(theirs) not in items
    item = items[str(mine)]
    assert set(item) >= FIELDS
    assert item["status"] == "open" and item["service_code"] == "graffiti" and item["service_name"] == "Graffiti"
    assert item["agency_responsible"] == "Leeds City Council Environmental Health"
    assert item["requested_datetime"].endswith("Z") and item["expected_datetime"].endswith("Z")
    assert isinstance(item["lat"], float) and isinstance(item["long"], float) and item["address"]
    assert "Zed" not in r.text and "0113 000 0311" not in r.text
    # By id: its own answers; another agency's answers 404, as if it did not exist.
    one = await client.get(f"/open311/v2/requests/{mine}.json", params={"api_key": env_key})
    assert one.status_code == 200 and one.json()[0]["service_request_id"] == str(mine)
    assert (await client.get(f"/open311/v2/requests/{theirs}.json", params={"api_key": env_key})).status_code == 404
    assert (await client.get(f"/open311/v2/requests/{mine}.json", params={"api_key": fire_key})).status_code == 404
    assert (await client.get("/open311/v2/requests.json",
                             params={"api_key": env_key, "service_request_id": str(theirs)})).json() == []


async def test_filters(client, headers, raise_followup):
    key = await _key(client, headers, "council-envhealth")
    env = await headers("envhealth")
    old = await raise_followup("abandoned_vehicle", raised_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    new = await raise_followup("abandoned_vehicle")
    other = await raise_followup("street_lighting")
    r = await client.patch(f"/api/v1/followups/{new}", json={"status": "resolved", "version": 1,
                                                              "note": "Removed by the council"}, headers=env)
    assert r.status_code == 200

    async def ids(**params) -> set[str]:
        r = await client.get("/open311/v2/requests.json", params={"api_key": key, **params})
        assert r.status_code == 200, r.text
        return {i["service_request_id"] for i in r.json()}

    by_code = await ids(service_code="abandoned_vehicle")
    assert str(new) in by_code and str(other) not in by_code and str(old) not in by_code  # default: last 90 days
    closed = await ids(status="closed", service_code="abandoned_vehicle,street_lighting")
    assert str(new) in closed and str(other) not in closed
    assert str(other) in await ids(status="open", service_code="street_lighting")
    window = await ids(start_date="2026-01-01T00:00:00Z", end_date="2026-01-31T00:00:00Z")
    assert str(old) in window and str(new) not in window
    one = (await client.get(f"/open311/v2/requests/{new}.json", params={"api_key": key})).json()[0]
    assert one["status"] == "closed" and one["status_notes"] == "Removed by the council"
    bad = await client.get("/open311/v2/requests.json", params={"api_key": key, "start_date": "last tuesday"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    assert (await client.get("/open311/v2/requests.json",
                             params={"api_key": key, "service_code": "potholes"})).status_code == 400


async def test_the_georeport_client_library_reads_it(live_server, client, headers, raise_followup, tmp_path,
                                                     monkeypatch):
    """georeport sends no key on reads, so it authenticates the way requests does: from .netrc."""
    key = await _key(client, headers, "fire-safety")
    mine = await raise_followup("home_fire_safety_visit", priority="urgent", description="Smoke alarm beeping")
    theirs = await raise_followup("fly_tipping")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login open311 password {key}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    api = GeoReport(live_server + "/open311/v2", jurisdiction="fire-safety")

    services = await asyncio.to_thread(api.get_service_list)
    assert "home_fire_safety_visit" in {s["service_code"] for s in services}
    found = await asyncio.to_thread(api.get_service_requests, service_code="home_fire_safety_visit", status="open")
    ids = {r["service_request_id"] for r in found}
    assert str(mine) in ids and str(theirs) not in ids
    one = await asyncio.to_thread(api.get_service_request, str(mine))
    assert one["description"] == "Smoke alarm beeping" and one["status"] == "open"
    assert one["agency_responsible"].startswith("West Yorkshire Fire")
    with pytest.raises(requests.HTTPError) as err:
        await asyncio.to_thread(api.get_service_request, str(theirs))
    assert err.value.response.status_code == 404
    # Without the key (no .netrc) the same client is refused.
    monkeypatch.setenv("NETRC", str(tmp_path / "absent"))
    with pytest.raises(requests.HTTPError) as err:
        await asyncio.to_thread(api.get_service_requests)
    assert err.value.response.status_code == 401


async def test_the_cli_issues_a_key_that_works(client, database_url):
    from tests.support import doorstep

    done = await asyncio.to_thread(doorstep, "open311-key", "police")
    assert done.exit_code == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("d311_")
    r = await client.get("/open311/v2/requests.json", params={"api_key": key})
    assert r.status_code == 200
    unknown = await asyncio.to_thread(doorstep, "open311-key", "nobody")
    assert unknown.exit_code != 0 and "nobody" in unknown.stderr
