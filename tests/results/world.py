"""A small operation of our own (streets, households, two pairs) and records pushed through the real
sync API, with the raw records kept so tests can count everything themselves.

Secrets (a resident's name, phone, notes, free-text answers, follow-up descriptions) are planted in
every record, so a test can prove none of them comes out of any results output.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from server.db.engine import transaction
from server.domain.operations.teams import save_team
from shared_schemas.codes import CLOSING_OUTCOMES, TABLET_OUTCOMES, FixCategory, FollowupCategory
from shared_schemas.questionnaire import concerns, load_questionnaire
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
QUESTIONNAIRE_ID = "streetsafe-community-v1"
QUESTIONNAIRE = load_questionnaire(ROOT / "fixtures" / "questionnaires" / f"{QUESTIONNAIRE_ID}.json")
SECRET_NAME = "Zebedee Quillfeather"
SECRET_PHONE = "07911 123461"
SECRET_NOTE = "keysafe code QX4471 under the plant pot"
SECRET_COMMENT = "my neighbour Ophelia Grimsditch deals from number 9"
SECRETS = (SECRET_NAME, SECRET_PHONE, SECRET_NOTE, SECRET_COMMENT, "Quillfeather", "Grimsditch", "123461", "QX4471",
           "keysafe", "plant pot")
PRECEDENCE = ("answered", "refused", "do_not_visit", "vacant")

# (street name, households); the last street has none.
STREETS = [("Alder Row", 12), ("Birch Lane", 8), ("Cedar Close", 5), ("Damson Walk", 0)]
UNMATCHED_HOUSEHOLDS = 2


@dataclass
class World:
    operation_id: int
    name: str
    street_ids: list[int]
    other_street_id: int  # a street of another operation
    households: dict[int, int | None]  # household id -> street id
    teams: dict[str, int]  # "A"/"B" -> team id
    pusher: dict[str, str]  # team key -> username who pushes for it
    team_of_street: dict[int | None, str]
    visits: list[dict] = field(default_factory=list)
    fixes: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)
    followup_status: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(20261125))


async def build_world(db_engine, label: str) -> World:
    """Streets, households and pairs of a new operation, run by the demo coordinator."""
    routing = {k: v for k, v in json.loads((ROOT / "fixtures" / "routing-defaults.json").read_text()).items()
               if not k.startswith("_")}
    async with transaction(db_engine) as s:
        op, name = await factories.operation(s, prefix=f"Results test {label}", questionnaire_id=QUESTIONNAIRE_ID,
                                             routing=routing)
        street_ids = []
        households: dict[int, int | None] = {}
        for i, (street, n) in enumerate(STREETS):
            x = -1.55 + i * 0.002
            sid = (await s.execute(text(
                "INSERT INTO street (operation_id, ref, name, locality, geom) VALUES (:op, :ref, :name, 'Testham', "
                "ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(:x, 53.800), ST_MakePoint(:x + 0.0008, 53.801)), 4326))) "
                "RETURNING id"), {"op": op, "ref": f"T-{i}", "name": street, "x": x})).scalar_one()
            street_ids.append(sid)
            for d in range(n):
                hid = (await s.execute(text(
                    "INSERT INTO household (operation_id, ref, address, house_number, street_id, door_order, geom) "
                    "VALUES (:op, :ref, :addr, :num, :sid, :order, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
                    "RETURNING id"), {"op": op, "ref": f"H-{i}-{d}", "addr": f"{d + 1} {street}", "num": str(d + 1),
                                      "sid": sid, "order": d, "x": x + 0.0001, "y": 53.800 + d * 0.00005})).scalar_one()
                households[hid] = sid
        for d in range(UNMATCHED_HOUSEHOLDS):
            hid = (await s.execute(text(
                "INSERT INTO household (operation_id, ref, address, house_number, street_id, geom) "
                "VALUES (:op, :ref, :addr, NULL, NULL, ST_SetSRID(ST_MakePoint(-1.60, 53.9), 4326)) RETURNING id"),
                {"op": op, "ref": f"H-far-{d}", "addr": f"Far Farm {d + 1}"})).scalar_one()
            households[hid] = None
        other_street = (await s.execute(text("SELECT min(id) FROM street WHERE operation_id <> :op"),
                                        {"op": op})).scalar_one()
        users = await factories.users(s)
        team_a = await save_team(s, op, "Pair A", [users["officer"], users["councillor"]], street_ids[:2])
        team_b = await save_team(s, op, "Pair B", [users["pcso"], users["firefighter"]], street_ids[2:])
        teams = {"A": team_a.id, "B": team_b.id}
    team_of_street = {street_ids[0]: "A", street_ids[1]: "A", street_ids[2]: "B", street_ids[3]: "B", None: "A"}
    return World(op, name, street_ids, other_street, households, teams, {"A": "officer", "B": "pcso"}, team_of_street)


def _answers(rng: random.Random) -> dict:
    answers: dict = {"feel_safe_after_dark": rng.randint(1, 5), "asb_seen": rng.random() < 0.5,
                     "smoke_alarm": rng.random() < 0.6, "hear_back": rng.choice(["newsletter", "online"]),
                     "other_comments": SECRET_COMMENT}
    if answers["feel_safe_after_dark"] <= 3:
        answers["unsafe_reasons"] = rng.sample(["poor_lighting", "people_hanging_around", "drug_activity",
                                                "traffic", "other"], rng.randint(0, 3))
    if not answers["smoke_alarm"]:
        answers["fire_safety_visit"] = rng.random() < 0.5
    if rng.random() < 0.5:
        answers["graffiti"] = rng.random() < 0.5
    if rng.random() < 0.5:
        answers["street_lighting"] = rng.choice(["good", "poor", "lights_out"])
    return answers


def make_visits(world: World, households: list[int], per_door: tuple[int, int] = (0, 3),
                start: dt.datetime | None = None) -> list[dict]:
    rng = world.rng
    start = start or dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    out = []
    for hid in households:
        for k in range(rng.randint(*per_door)):
            outcome = rng.choice([o.value for o in TABLET_OUTCOMES])
            team = world.team_of_street[world.households[hid]]
            record = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": world.operation_id,
                      "household_id": hid, "team_id": world.teams[team],
                      "visited_at": (start + dt.timedelta(minutes=len(world.visits) + len(out), seconds=k))
                      .isoformat().replace("+00:00", "Z"),
                      "outcome": outcome, "questionnaire": QUESTIONNAIRE_ID,
                      "notes": f"{SECRET_NOTE}; spoke to {SECRET_NAME} on {SECRET_PHONE}"}
            if outcome == "answered":
                record["answers"] = _answers(rng)
            out.append(record)
    return out


async def push(client, headers, world: World, records: list[dict]) -> None:
    by_team: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        team = next(k for k, v in world.teams.items() if v == r.get("team_id", world.teams["A"]))
        by_team[team].append(r)
    for team, batch in by_team.items():
        for i in range(0, len(batch), 200):
            chunk = batch[i:i + 200]
            resp = await client.post("/api/v1/sync/push", headers=await headers(world.pusher[team]),
                                     json={"device_id": f"test-{team}", "records": chunk})
            assert resp.status_code == 200, resp.text
            statuses = Counter(x["status"] for x in resp.json()["results"])
            assert statuses == {"stored": len(chunk)}, resp.json()["results"]
    for r in records:
        {"visit": world.visits, "fix": world.fixes, "followup": world.followups}[r["type"]].append(r)
        if r["type"] == "followup":
            world.followup_status[r["id"]] = "open"


def make_fixes_and_followups(world: World, n: int = 12) -> list[dict]:
    rng = world.rng
    out = []
    answered_visits = [v for v in world.visits if world.households[v["household_id"]] is not None]
    for i in range(n):
        target_kind = ["street_id", "household_id", "visit_id"][i % 3]
        if target_kind == "street_id":
            target = {"street_id": rng.choice(world.street_ids)}
        elif target_kind == "household_id":
            target = {"household_id": rng.choice([h for h, s in world.households.items() if s is not None])}
        else:
            target = {"visit_id": rng.choice(answered_visits)["id"]}
        street = _street_of(world, target)
        team = world.teams[world.team_of_street[street]]
        at = (dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=i)).isoformat()
        out.append({"type": "fix", "id": str(uuid.uuid4()), "operation_id": world.operation_id, "team_id": team,
                    "category": rng.choice([c.value for c in FixCategory]), "done_at": at,
                    "notes": SECRET_NOTE, **target})
        out.append({"type": "followup", "id": str(uuid.uuid4()), "operation_id": world.operation_id,
                    "team_id": team, "category": rng.choice([c.value for c in FollowupCategory]),
                    "priority": "normal", "description": f"{SECRET_COMMENT}; call {SECRET_NAME}",
                    "resident_consent": True, "resident": {"name": SECRET_NAME, "phone": SECRET_PHONE},
                    "raised_at": at, **target})
    return out


def _street_of(world: World, record: dict) -> int | None:
    if record.get("street_id"):
        return record["street_id"]
    if record.get("household_id"):
        return world.households[record["household_id"]]
    visit = next(v for v in world.visits if v["id"] == record["visit_id"])
    return world.households[visit["household_id"]]


# ---------------------------------------------------------------- the test's own count


def door_states(world: World) -> dict[int, dict]:
    """Per household: attempts, status by the documented precedence, concerns raised."""
    states = {h: {"attempts": 0, "outcomes": set(), "concerns": set(), "last": None} for h in world.households}
    for v in sorted(world.visits, key=lambda v: (v["visited_at"], v["id"])):
        st = states[v["household_id"]]
        st["attempts"] += 1
        st["outcomes"].add(v["outcome"])
        st["last"] = v["outcome"]
        if v["outcome"] == "answered":
            st["concerns"] |= concerns(QUESTIONNAIRE, v["answers"])
    for st in states.values():
        closing = [o for o in PRECEDENCE if o in st["outcomes"]]
        # the world is pushed by tablets: every closing outcome but the server's answered_online
        assert set(PRECEDENCE) == {o.value for o in CLOSING_OUTCOMES} - {"answered_online"}
        st["status"] = closing[0] if closing else ("to_revisit" if st["attempts"] else "not_knocked")
    return states


def expected_streets(world: World) -> dict[int | None, dict]:
    """Every figure of every street (and of the households on no street, under None), counted here."""
    states = door_states(world)
    out: dict[int | None, dict] = {}
    for sid in [*world.street_ids, None]:
        doors = [states[h] for h, s in world.households.items() if s == sid]
        n = len(doors)
        e = {
            "households": n,
            "knocked": sum(1 for d in doors if d["attempts"]),
            "closed": sum(1 for d in doors if d["status"] in PRECEDENCE),
            "answered": sum(1 for d in doors if d["status"] == "answered"),
            "to_revisit": sum(1 for d in doors if d["status"] == "to_revisit"),
            "refused": sum(1 for d in doors if d["status"] == "refused"),
            "vacant": sum(1 for d in doors if d["status"] == "vacant"),
            "do_not_visit": sum(1 for d in doors if d["status"] == "do_not_visit"),
            "visits": sum(d["attempts"] for d in doors),
            "concerns": dict(Counter(c for d in doors for c in d["concerns"])),
            "fixes": dict(Counter(f["category"] for f in world.fixes if _street_of(world, f) == sid)),
            "followups": dict(Counter(world.followup_status[f["id"]] for f in world.followups
                                      if _street_of(world, f) == sid)),
        }
        e["coverage"] = round(e["knocked"] / n, 4) if n else None
        e["contact_rate"] = round(e["answered"] / n, 4) if n else None
        out[sid] = e
    return out


def nonzero(d: dict) -> dict:
    return {k: v for k, v in d.items() if v}
