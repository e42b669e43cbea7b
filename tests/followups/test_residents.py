"""Residents' details: only with consent, only to the assigned agency and the coordinators, every view audited."""

from __future__ import annotations

import csv
import io
import logging
import uuid

from sqlalchemy import text

from server.db.engine import transaction


def _resident() -> dict:
    tag = uuid.uuid4().hex[:8]
    return {
        "name": f"Mrs Resident {tag}",
        "phone": f"0113 496 {int(tag[:4], 16) % 10000:04d}",
        "email": f"res-{tag}@example.org",
    }


async def _audits(db_engine, fid) -> list:
    async with transaction(db_engine) as s:
        return (await s.execute(text(
            "SELECT u.username, a.action, a.detail, a.at FROM audit_log a JOIN app_user u ON u.id = a.actor_user_id "
            "WHERE a.entity_type = 'followup' AND a.entity_id = :id AND a.action LIKE 'resident.%' ORDER BY a.id"),
            {"id": str(fid)})).all()


async def test_consented_details_go_to_assigned_agency_and_coordinator_each_view_audited(
        client, headers, raise_followup, db_engine):
    person = _resident()
    fid = await raise_followup("fly_tipping", consent=True, resident=person)
    for who in ("envhealth", "coordinator", "envhealth"):
        r = await client.get(f"/api/v1/followups/{fid}", headers=await headers(who))
        assert r.status_code == 200
        assert r.json()["resident"] == person
        assert r.headers["cache-control"] == "no-store"
    audits = await _audits(db_engine, fid)
    assert [(a.username, a.action) for a in audits] == [
        ("envhealth", "resident.view"), ("coordinator", "resident.view"), ("envhealth", "resident.view")]
    assert all(a.detail["via"] == "api" for a in audits)


async def test_other_agency_never_gets_them(client, headers, raise_followup, db_engine):
    fid = await raise_followup("fly_tipping", consent=True, resident=_resident())
    r = await client.get(f"/api/v1/followups/{fid}", headers=await headers("firesafety"))
    assert r.status_code == 404 and "Resident" not in r.text
    assert await _audits(db_engine, fid) == []


async def test_without_consent_nobody_sees_them(client, headers, raise_followup, db_engine):
    person = _resident()
    fid = await raise_followup("fly_tipping", consent=False, resident=person)
    for who in ("envhealth", "coordinator"):
        r = await client.get(f"/api/v1/followups/{fid}", headers=await headers(who))
        assert r.status_code == 200 and r.json()["resident"] is None
        assert person["name"] not in r.text and person["phone"] not in r.text
    assert await _audits(db_engine, fid) == []


async def test_lists_never_carry_them(client, headers, raise_followup):
    person = _resident()
    await raise_followup("fly_tipping", consent=True, resident=person)
    r = await client.get("/api/v1/followups", params={"limit": 500}, headers=await headers("envhealth"))
    assert r.status_code == 200 and person["name"] not in r.text and person["email"] not in r.text


async def test_csv_export_only_with_consent_and_audited(client, headers, raise_followup, db_engine):
    consented, refused = _resident(), _resident()
    yes = await raise_followup("street_lighting", consent=True, resident=consented)
    no = await raise_followup("street_lighting", consent=False, resident=refused)
    h = await headers("envhealth")
    plain = (await client.get("/api/v1/followups.csv", params={"category": "street_lighting"}, headers=h)).text
    assert consented["name"] not in plain and refused["name"] not in plain
    assert "resident_name" not in plain.splitlines()[0]
    r = await client.get("/api/v1/followups.csv", params={"category": "street_lighting", "residents": "true"},
                         headers=h)
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.text.removeprefix("\ufeff")))}  # Excel's BOM
    assert rows[str(yes)]["resident_name"] == consented["name"]
    assert rows[str(no)]["resident_name"] == "" and refused["name"] not in r.text
    assert [(a.username, a.action) for a in await _audits(db_engine, yes)] == [("envhealth", "resident.export")]
    assert await _audits(db_engine, no) == []
    # Another agency's export with residents asked for holds neither.
    other = (await client.get("/api/v1/followups.csv", params={"residents": "true"},
                              headers=await headers("firesafety"))).text
    assert consented["name"] not in other and str(yes) not in other


async def test_residents_details_never_reach_the_logs(client, headers, raise_followup, caplog):
    person = _resident()
    caplog.set_level(logging.DEBUG)
    fid = await raise_followup("graffiti", consent=True, resident=person)
    h = await headers("envhealth")
    await client.get(f"/api/v1/followups/{fid}", headers=h)
    await client.patch(f"/api/v1/followups/{fid}", json={"status": "nonsense", "version": 1}, headers=h)
    await client.get("/api/v1/followups.csv", params={"residents": "true"}, headers=h)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert person["name"] not in logged and person["phone"] not in logged and person["email"] not in logged


async def test_a_coordinator_of_another_operation_sees_nothing(client, headers, raise_followup, db_engine, tokens):
    """Coordinators see the operations they run, not every operation."""
    person = _resident()
    fid = await raise_followup("fly_tipping", consent=True, resident=person)
    username = f"coord-{uuid.uuid4().hex[:8]}"
    r = await client.post("/api/v1/users", json={"username": username, "password": "another-coordinator-pw",
                                                 "display_name": "Other Coordinator", "agency": "council",
                                                 "roles": ["coordinator"]}, headers=await headers("admin"))
    assert r.status_code == 201, r.text
    other = {"Authorization": f"Bearer {await tokens(username, 'another-coordinator-pw')}"}
    assert (await client.get(f"/api/v1/followups/{fid}", headers=other)).status_code == 404
    listed = await client.get("/api/v1/followups", params={"limit": 500}, headers=other)
    assert listed.status_code == 200 and listed.json()["items"] == []
    r = await client.patch(f"/api/v1/followups/{fid}", json={"version": 1, "agency": "police"}, headers=other)
    assert r.status_code == 404
    assert str(fid) not in (await client.get("/api/v1/followups.csv", params={"residents": "true"},
                                             headers=other)).text
    assert await _audits(db_engine, fid) == []
