"""Helpers for the follow-up tests: follow-ups raised as a push would store them.

Each test makes its own follow-ups with new UUIDs (the database is shared by the whole
suite), inserted the way the sync push inserts them and then passed to the same hook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from sqlalchemy import select, text

from server.db.engine import transaction
from server.db.models import Followup, FollowupResident, Household, Operation
from server.domain.followups.hooks import on_followups_stored
from server.settings import get_settings


@pytest.fixture(scope="session")
async def demo_ids(db_engine, demo):
    async with transaction(db_engine) as session:
        op = (await session.execute(select(Operation).where(Operation.id == demo.operation_id))).scalar_one()
        household = (await session.execute(
            select(Household.id, Household.street_id).where(Household.operation_id == op.id,
                                                             Household.street_id.is_not(None))
            .order_by(Household.id).limit(1))).one()
        team = (await session.execute(text(
            "SELECT t.id FROM team t JOIN team_member m ON m.team_id = t.id JOIN app_user u ON u.id = m.user_id "
            "WHERE t.operation_id = :op AND u.username = 'officer'"), {"op": op.id})).scalar_one()
        officer = (await session.execute(text("SELECT id FROM app_user WHERE username='officer'"))).scalar_one()
        agencies = dict((await session.execute(text("SELECT code, id FROM agency"))).all())
        return {"operation_id": op.id, "household_id": household.id, "street_id": household.street_id,
                "team_id": team, "officer_id": officer, "agencies": agencies}


@pytest.fixture(scope="session")
async def raise_followup(db_engine, demo_ids):
    """raise_followup(category, priority=..., consent=..., resident=...) -> UUID, committed and routed."""

    async def make(category: str, *, priority: str = "normal", consent: bool = False,
                   resident: dict | None = None, description: str = "Test follow-up",
                   raised_at: dt.datetime | None = None, operation_id: int | None = None) -> uuid.UUID:
        fid = uuid.uuid4()
        raised_at = raised_at or dt.datetime.now(dt.UTC)
        async with transaction(db_engine) as session:
            session.add(Followup(
                id=fid, operation_id=operation_id or demo_ids["operation_id"], team_id=demo_ids["team_id"],
                user_id=demo_ids["officer_id"], device_id="test-device", category=category, priority=priority,
                description=description, resident_consent=consent, raised_at=raised_at,
                household_id=demo_ids["household_id"], street_id=demo_ids["street_id"],
                content_hash=hashlib.sha256(fid.bytes).hexdigest()))
            await session.flush()
            if resident:
                session.add(FollowupResident(followup_id=fid, **resident))
                await session.flush()
            await on_followups_stored(session, [fid], get_settings())
        return fid

    return make


@pytest.fixture(scope="session")
async def agency_operation(db_engine, demo_ids):
    """agency_operation(webhook_url=None, secret=None) -> (agency_code, agency_id, operation_id):
    a new agency that every follow-up category of a new operation (run by `coordinator`) is routed to."""

    async def make(webhook_url: str | None = None, secret: str | None = None) -> tuple[str, int, int]:
        code = f"test-{uuid.uuid4().hex[:10]}"
        async with transaction(db_engine) as s:
            agency_id = (await s.execute(text(
                "INSERT INTO agency (code, name, kind, email, webhook_url, webhook_secret) "
                "VALUES (:c, :n, 'council', :e, :u, :s) RETURNING id"),
                {"c": code, "n": f"Test agency {code}", "e": f"{code}@agency.example", "u": webhook_url,
                 "s": secret})).scalar_one()
            op = (await s.execute(text(
                "INSERT INTO operation (name, questionnaire_id, routing) "
                "SELECT 'Notify test ' || :c, questionnaire_id, jsonb_build_object('graffiti', CAST(:c AS text), "
                "'other', CAST(:c AS text)) FROM operation WHERE id = :op RETURNING id"),
                {"c": code, "op": demo_ids["operation_id"]})).scalar_one()
            await s.execute(text(
                "INSERT INTO operation_coordinator (operation_id, user_id) "
                "SELECT :op, id FROM app_user WHERE username = 'coordinator'"), {"op": op})
        return code, agency_id, op

    return make


@pytest.fixture(scope="session")
async def make_partner(client, headers):
    """make_partner(agency_code) -> (user id, display name) of a new partner of that agency."""

    async def make(agency: str) -> tuple[int, str]:
        name = "p-" + uuid.uuid4().hex[:8]
        r = await client.post("/api/v1/users", headers=await headers("admin"), json={
            "username": name, "password": "partner-password", "display_name": f"Officer {name}", "agency": agency,
            "roles": ["partner"]})
        assert r.status_code == 201, r.text
        return r.json()["id"], f"Officer {name}"

    return make
