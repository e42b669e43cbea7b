"""Routing on arrival: every default category lands at its agency, with a due date and a first event."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from server.db.engine import transaction
from tests.conftest import ROOT

DEFAULTS = {k: v for k, v in json.loads((ROOT / "fixtures" / "routing-defaults.json").read_text()).items()
            if not k.startswith("_")}


@pytest.mark.parametrize("category", sorted(DEFAULTS))
async def test_each_default_category_is_routed_to_its_agency(category, raise_followup, db_engine, demo_ids):
    fid = await raise_followup(category, priority="high")
    async with transaction(db_engine) as s:
        row = (await s.execute(text(
            "SELECT a.code, f.status, f.version, f.due_at - f.raised_at AS lead FROM followup f "
            "JOIN agency a ON a.id = f.agency_id WHERE f.id = :id"), {"id": fid})).one()
        events = (await s.execute(text(
            "SELECT from_status, to_status, version, agency_id, change_txid, change_seq FROM followup_event "
            "WHERE followup_id = :id"), {"id": fid})).all()
        mails = (await s.execute(text(
            "SELECT channel, target, status, body FROM notification WHERE followup_id = :id"), {"id": fid})).all()
    assert row.code == DEFAULTS[category]
    assert (row.status, row.version) == ("open", 1)
    assert row.lead == dt.timedelta(days=3)
    assert len(events) == 1
    assert (events[0].from_status, events[0].to_status, events[0].version) == (None, "open", 1)
    assert events[0].agency_id == demo_ids["agencies"][DEFAULTS[category]]
    assert events[0].change_txid > 0 and events[0].change_seq > 0
    assert [(m.channel, m.status) for m in mails] == [("email", "pending")]
    assert "/partner/followups/" + str(fid) in mails[0].body


async def test_default_routing_matches_the_issue(demo_ids):
    """Council for street problems, fire service for home fire safety, housing, police for the rest."""
    assert DEFAULTS["fly_tipping"].startswith("council") and DEFAULTS["graffiti"].startswith("council")
    assert DEFAULTS["street_lighting"].startswith("council") and DEFAULTS["abandoned_vehicle"].startswith("council")
    assert DEFAULTS["home_fire_safety_visit"].startswith("fire")
    assert DEFAULTS["housing_disrepair"] == "housing"
    assert {DEFAULTS[c] for c in ("anti_social_behaviour", "drugs", "safeguarding")} == {"police"}


@pytest.mark.parametrize(("priority", "raised", "due"), [
    ("urgent", "2026-03-06T10:00:00+00:00", "2026-03-07T10:00:00+00:00"),  # Friday + 1 calendar day
    ("high", "2026-03-06T10:00:00+00:00", "2026-03-09T10:00:00+00:00"),    # Friday + 3 calendar days
    ("normal", "2026-03-06T10:00:00+00:00", "2026-03-20T10:00:00+00:00"),  # Friday + 10 working days
    # Friday + 20 working days: Good Friday (3 April) and Easter Monday (6 April) are skipped.
    ("low", "2026-03-06T10:00:00+00:00", "2026-04-07T10:00:00+00:00"),
    ("normal", "2026-03-07T10:00:00+00:00", "2026-03-20T10:00:00+00:00"),  # Saturday: weekend skipped
    # Christmas Eve + 10 working days: Christmas, Boxing Day (observed on Monday 28 December)
    # and New Year's Day are not working days in England.
    ("normal", "2026-12-24T10:00:00+00:00", "2027-01-12T10:00:00+00:00"),
])
async def test_due_date_follows_priority(priority, raised, due, raise_followup, db_engine):
    fid = await raise_followup("graffiti", priority=priority, raised_at=dt.datetime.fromisoformat(raised))
    async with transaction(db_engine) as s:
        due_at = (await s.execute(text("SELECT due_at FROM followup WHERE id = :id"), {"id": fid})).scalar_one()
    assert due_at == dt.datetime.fromisoformat(due)


async def test_unknown_category_in_routing_falls_back_to_other_then_unrouted(raise_followup, db_engine, demo_ids):
    async with transaction(db_engine) as s:
        op = (await s.execute(text(
            "INSERT INTO operation (name, questionnaire_id, routing) "
            "SELECT 'Routing test ' || gen_random_uuid(), questionnaire_id, '{\"graffiti\": \"council\"}' "
            "FROM operation WHERE id = :op RETURNING id"), {"op": demo_ids["operation_id"]})).scalar_one()
    fid = await raise_followup("drugs", operation_id=op)
    routed = await raise_followup("graffiti", operation_id=op)
    async with transaction(db_engine) as s:
        rows = dict((await s.execute(text(
            "SELECT f.id, f.agency_id FROM followup f WHERE f.id = ANY(:ids)"), {"ids": [fid, routed]})).all())
        notes = (await s.execute(text("SELECT note FROM followup_event WHERE followup_id = :id"),
                                 {"id": fid})).scalar_one()
        count = (await s.execute(text("SELECT count(*) FROM notification WHERE followup_id = :id"),
                                 {"id": fid})).scalar_one()
    assert rows[fid] is None and rows[routed] == demo_ids["agencies"]["council"]
    assert "no agency" in notes and count == 0


def test_bank_holidays_follow_the_region():
    from server.domain.followups.hooks import bank_holidays

    today = dt.date(2026, 11, 25)
    england, scotland = set(bank_holidays("ENG", today)), set(bank_holidays("SCT", today))
    assert {dt.date(2026, 4, 3), dt.date(2026, 4, 6), dt.date(2026, 12, 28)} <= england
    assert dt.date(2027, 1, 4) in scotland and dt.date(2027, 1, 4) not in england  # 2 January, observed
    assert dt.date(2026, 4, 6) not in scotland  # no Easter Monday holiday in Scotland
    assert min(england).year == 2021 and max(england).year == 2027


def test_an_unknown_bank_holiday_region_is_refused_with_the_choices(monkeypatch):
    from server.settings import SettingsError, from_env

    monkeypatch.setenv("DOORSTEP_BANK_HOLIDAYS", "wales")
    with pytest.raises(SettingsError, match=r"DOORSTEP_BANK_HOLIDAYS is 'WALES': use one of ENG \(England\), WLS"):
        from_env()
    monkeypatch.setenv("DOORSTEP_BANK_HOLIDAYS", "sct")
    assert from_env().bank_holidays == "SCT"
