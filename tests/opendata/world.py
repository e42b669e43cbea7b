"""A test world with small numbers planted where a careless output would publish them, pushed through
the real sync API so the figures come from the same tables as in the field.

Streets (households): Ash Row (12, every household answered, nine of them raising anti-social
behaviour), Beech Lane (9: five visited, three answered, one of them feeling unsafe after dark),
Cherry Close (3: two answered), Damson Walk (0), Elm Street (16: thirteen answered). Fixes and
follow-ups: 8 graffiti removals and 3 follow-ups on Ash Row, 1 follow-up on Beech Lane, 2 fixes on
Cherry Close.

What the rule must make of it, counted here by hand (`EXPECTED`), is what every public output is
checked against.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from server.db.engine import transaction
from server.domain.operations.teams import save_team
from tests.results.world import QUESTIONNAIRE_ID, SECRET_COMMENT, SECRET_NAME, SECRET_NOTE, SECRET_PHONE, World, push

ROOT = Path(__file__).resolve().parents[2]

# (name, households, visited, answered); the answered are the first visited doors.
STREETS = [("Ash Row", 12, 12, 12), ("Beech Lane", 9, 5, 3), ("Cherry Close", 3, 2, 2), ("Damson Walk", 0, 0, 0),
           ("Elm Street", 16, 14, 13)]
BIG = ("Ash Row", "Beech Lane", "Elm Street")  # streets with 8 households or more: units of their own

QUIET = {"feel_safe_after_dark": 4, "asb_seen": False, "smoke_alarm": True, "hear_back": "newsletter",
         "other_comments": SECRET_COMMENT}
UNSAFE = {**QUIET, "feel_safe_after_dark": 1}
ASB = {**QUIET, "asb_seen": True}
PRIORITIES = ["Street lighting on Beech Lane fixed before the clocks change",
              "Weekly patrols where groups gather near the shops",
              "A bulky-waste collection day to stop fly-tipping"]
CONTACT = "Woodhouse neighbourhood policing team: call 101, or the council's community hub"


@dataclass
class OpenWorld:
    world: World
    streets: dict[str, int]  # name -> street id
    households: dict[str, list[int]] = field(default_factory=dict)


def answers_for(street: str, i: int) -> dict:
    if street == "Ash Row":
        return ASB if i < 9 else QUIET
    if street == "Beech Lane":
        return UNSAFE if i == 0 else QUIET
    return QUIET


async def build_open_world(db_engine, client, headers, label: str) -> OpenWorld:
    name = f"Open data {label} {uuid.uuid4().hex[:8]}"
    routing = {k: v for k, v in json.loads((ROOT / "fixtures" / "routing-defaults.json").read_text()).items()
               if not k.startswith("_")}
    streets: dict[str, int] = {}
    households: dict[str, list[int]] = {}
    by_household: dict[int, int | None] = {}
    async with transaction(db_engine) as s:
        op = (await s.execute(text(
            "INSERT INTO operation (name, status, questionnaire_id, routing, starts_on, ends_on) "
            "VALUES (:n, 'active', :q, CAST(:r AS jsonb), DATE '2026-11-20', DATE '2026-11-28') RETURNING id"),
            {"n": name, "q": QUESTIONNAIRE_ID, "r": json.dumps(routing)})).scalar_one()
        await s.execute(text("INSERT INTO operation_coordinator (operation_id, user_id) "
                             "SELECT :op, id FROM app_user WHERE username = 'coordinator'"), {"op": op})
        for i, (street, n, _, _) in enumerate(STREETS):
            x = -1.55 + i * 0.003  # streets side by side, west to east, 0.003° apart
            sid = (await s.execute(text(
                "INSERT INTO street (operation_id, ref, name, locality, geom) VALUES (:op, :ref, :name, 'Testham', "
                "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:x, 53.800), ST_MakePoint(:x + 0.001, 53.801)), 4326))) "
                "RETURNING id"), {"op": op, "ref": f"OD-{i}", "name": street, "x": x})).scalar_one()
            streets[street] = sid
            households[street] = []
            for d in range(n):
                hid = (await s.execute(text(
                    "INSERT INTO household (operation_id, ref, address, house_number, street_id, door_order, geom) "
                    "VALUES (:op, :ref, :addr, :num, :sid, :d, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) RETURNING id"),
                    {"op": op, "ref": f"OD-{i}-{d}", "addr": f"{d + 1} {street}", "num": str(d + 1), "sid": sid,
                     "d": d, "x": x + 0.00005 * d, "y": 53.800 + 0.00005 * d})).scalar_one()
                households[street].append(hid)
                by_household[hid] = sid
        users = dict((await s.execute(text("SELECT username, id FROM app_user"))).all())
        ids = list(streets.values())
        team_a = await save_team(s, op, "Pair A", [users["officer"], users["councillor"]], ids[:3])
        team_b = await save_team(s, op, "Pair B", [users["pcso"], users["firefighter"]], ids[3:])
    team_of = {sid: ("A" if sid in ids[:3] else "B") for sid in ids}
    w = World(op, name, ids, 0, by_household, {"A": team_a.id, "B": team_b.id}, {"A": "officer", "B": "pcso"},
              team_of)
    await push(client, headers, w, _visits(w, households))
    await push(client, headers, w, _fixes_and_followups(w, streets, households))
    return OpenWorld(w, streets, households)


def _at(minutes: int) -> str:
    return (dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)).isoformat()


def _visits(w: World, households: dict[str, list[int]]) -> list[dict]:
    out = []
    for street, _, visited, answered in STREETS:
        for i, hid in enumerate(households[street][:visited]):
            record = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": w.operation_id, "household_id": hid,
                      "team_id": w.teams[w.team_of_street[w.households[hid]]], "visited_at": _at(len(out)),
                      "outcome": "answered" if i < answered else "no_answer", "questionnaire": QUESTIONNAIRE_ID,
                      "notes": f"{SECRET_NOTE}; {SECRET_NAME} {SECRET_PHONE}"}
            if i < answered:
                record["answers"] = answers_for(street, i)
            out.append(record)
    return out


def _fixes_and_followups(w: World, streets: dict[str, int], households: dict[str, list[int]]) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, street: str, category: str, **extra) -> None:
        sid = streets[street]
        record = {"type": kind, "id": str(uuid.uuid4()), "operation_id": w.operation_id,
                  "team_id": w.teams[w.team_of_street[sid]], "category": category, "street_id": sid, **extra}
        if kind == "fix":
            record.update(done_at=_at(100 + len(out)), notes=SECRET_NOTE)
        else:
            record.update(raised_at=_at(100 + len(out)), priority="normal", description=f"{SECRET_COMMENT}",
                          resident_consent=True, resident={"name": SECRET_NAME, "phone": SECRET_PHONE})
        out.append(record)

    for _ in range(8):
        add("fix", "Ash Row", "graffiti_removed")
    for category in ("street_lighting", "fly_tipping", "anti_social_behaviour"):
        add("followup", "Ash Row", category)
    add("followup", "Beech Lane", "street_lighting")
    add("fix", "Cherry Close", "litter_picked")
    add("fix", "Cherry Close", "smoke_alarm_fitted")
    return out


#: What the rule makes of the world (published values; None = suppressed), counted by hand.
EXPECTED = {
    "Ash Row": {"households": 10, "households_visited": 10, "households_answered": 10, "answered_pct": 100,
                "visited_pct": 100, "concern_anti_social_behaviour": 10, "concern_anti_social_behaviour_pct": 75,
                "concern_feeling_unsafe": 0, "fix_graffiti_removed": 10, "followups_raised": None,
                "followups_resolved": 0},
    "Beech Lane": {"households": 10, "households_visited": None, "households_answered": None, "answered_pct": None,
                   "visited_pct": None, "concern_feeling_unsafe": None, "concern_feeling_unsafe_pct": None,
                   "followups_raised": None, "fix_graffiti_removed": 0},
    "Elm Street": {"households": 15, "households_visited": 15, "households_answered": 15, "answered_pct": 81,
                   "visited_pct": 88, "concern_anti_social_behaviour": 0},
    # Totals: 40 households (12+9+3+0+16) -> 40; visited 33 -> 35; answered 30 -> 30; unsafe 1 -> suppressed;
    # ASB 9 -> 10 (30% of 30); graffiti 8 -> 10; fixes of Cherry Close 1 each -> suppressed; follow-ups 4.
    "totals": {"households": 40, "households_visited": 35, "households_answered": 30, "answered_pct": 75,
               "visited_pct": 83, "concern_feeling_unsafe": None, "concern_feeling_unsafe_pct": None,
               "concern_anti_social_behaviour": 10, "concern_anti_social_behaviour_pct": 30,
               "fix_graffiti_removed": 10, "fix_litter_picked": None, "fix_smoke_alarm_fitted": None,
               "followups_raised": None, "followups_resolved": 0},
}
