"""Tablet store benchmarks: saving a visit, importing a large pack, opening a long street.

    .venv/bin/python bench/mobile.py [--households 20000] [--street 500] [--saves 500]

Works on a real SQLCipher file (encrypted, WAL, synchronous=FULL) in a temporary folder on the same
disk as the project, prints each figure beside its target, and exits 1 if one is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile.store import Store  # noqa: E402
from mobile.store.keys import FileKeys  # noqa: E402
from shared_schemas.codes import OperationStatus, Outcome  # noqa: E402
from shared_schemas.pack import Pack, PackHousehold, PackMember, PackOperation, PackStreet, PackTeam  # noqa: E402
from shared_schemas.questionnaire import load_questionnaire  # noqa: E402
from shared_schemas.records import Fix, Followup, ResidentContact, Visit  # noqa: E402

OPERATION_ID, TEAM_ID = 1, 1
QUESTIONNAIRE = load_questionnaire(ROOT / "fixtures" / "questionnaires" / "streetsafe-community-v1.json")
ANSWERS = {"feel_safe_after_dark": 2, "unsafe_reasons": ["poor_lighting"], "asb_seen": True,
           "asb_types": [], "asb_reported": False, "smoke_alarm": False, "fire_safety_visit": True,
           "hear_back": "newsletter", "other_comments": "Lights out by the garages since March."}


def build_pack_json(households: int, per_street: int) -> bytes:
    """A pack shaped like a real one: streets with geometry, households with addresses."""
    streets, doors = [], []
    for s in range(households // per_street):
        street_id = 1000 + s
        line = [[-1.56 + i * 1e-4, 53.80 + s * 1e-3] for i in range(20)]
        streets.append(PackStreet(id=street_id, ref=f"USRN{street_id:08d}", name=f"Bench Street {s}",
                                  locality="Woodhouse", geometry={"type": "MultiLineString", "coordinates": [line]}))
        for n in range(1, per_street + 1):
            doors.append(PackHousehold(
                id=street_id * 10_000 + n, ref=f"UPRN{street_id:06d}{n:06d}", address=f"{n} Bench Street {s}, Leeds",
                house_number=str(n), postcode=f"LS6 {n % 9}AB", street_id=street_id,
                lon=-1.56 + n * 1e-5, lat=53.80 + s * 1e-3, side="odd" if n % 2 else "even", door_order=(n + 1) // 2))
    team = PackTeam(id=TEAM_ID, name="Pair 1", street_ids=[s.id for s in streets], members=[
        PackMember(user_id=1, username="officer", agency_code="police"),
        PackMember(user_id=2, username="councillor", agency_code="council")])
    pack = Pack(operation=PackOperation(id=OPERATION_ID, name="Bench operation", status=OperationStatus.ACTIVE,
                                        questionnaire_id=QUESTIONNAIRE.id),
                questionnaire=QUESTIONNAIRE, streets=streets, households=doors, teams=[team], cursor="0")
    return msgspec.json.encode(pack)


def make_visit(household_id: int, moment: datetime, rng: random.Random) -> tuple[Visit, list[Fix], list[Followup]]:
    outcome = rng.choice([Outcome.ANSWERED, Outcome.ANSWERED, Outcome.NO_ANSWER, Outcome.CARD_LEFT, Outcome.REFUSED])
    answered = outcome == Outcome.ANSWERED
    visit = Visit(id=uuid.uuid4(), operation_id=OPERATION_ID, household_id=household_id, team_id=TEAM_ID,
                  visited_at=moment, outcome=outcome, questionnaire=QUESTIONNAIRE.id if answered else None,
                  answers=dict(ANSWERS) if answered else {})
    if not answered or rng.random() > 0.3:
        return visit, [], []
    fix = Fix(id=uuid.uuid4(), operation_id=OPERATION_ID, team_id=TEAM_ID, category="advice_given",
              done_at=moment, visit_id=visit.id)
    followup = Followup(id=uuid.uuid4(), operation_id=OPERATION_ID, team_id=TEAM_ID,
                        category="home_fire_safety_visit", description="No working smoke alarm; wants a visit",
                        resident_consent=True, resident=ResidentContact(name="A Resident", phone="07911 123000"),
                        raised_at=moment, visit_id=visit.id)
    return visit, [fix], [followup]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--street", type=int, default=500, help="households per street")
    parser.add_argument("--saves", type=int, default=500, help="visits saved for the p95")
    args = parser.parse_args()
    rng = random.Random(1)
    results: list[tuple[str, float, float, str]] = []

    with (
        tempfile.TemporaryDirectory(prefix="doorstep-bench-") as folder,
        # The encrypted store's key in the throw-away folder too (not the user's key folder).
        Store.open(Path(folder) / "bench.db", keys=FileKeys(Path(folder) / "keys")) as store,
    ):
        raw = build_pack_json(args.households, args.street)

        # 1. Importing the pack as downloaded: decode the JSON, store it and its tables.
        started = time.perf_counter()
        pack = msgspec.json.decode(raw, type=Pack)
        store.save_pack(pack, etag='"bench"', raw=raw)
        import_s = time.perf_counter() - started
        results.append((f"import a {len(pack.households):,}-household pack ({len(raw) / 1e6:.1f} MB)",
                        import_s * 1000, 5000, "ms"))

        # 2. Saving visits (each with its outbox rows, one fsynced transaction), on one street.
        street_id = pack.streets[0].id
        doors = [h.id for h in pack.households if h.street_id == street_id]
        moment = datetime(2026, 5, 14, 17, 0, tzinfo=UTC)
        timings = []
        for n in range(args.saves):
            visit, fixes, followups = make_visit(rng.choice(doors), moment + timedelta(seconds=n), rng)
            started = time.perf_counter()
            store.record_visit(visit, fixes, followups)
            timings.append((time.perf_counter() - started) * 1000)
        results.append((f"save a visit with its outbox rows (p95 of {args.saves}; median "
                        f"{statistics.median(timings):.2f} ms)", percentile(timings, 95), 10, "ms"))

        # 3. Opening that street: every door in walking order with its status.
        opens = []
        for _ in range(20):
            started = time.perf_counter()
            rows = store.households_on_street(OPERATION_ID, street_id)
            opens.append((time.perf_counter() - started) * 1000)
        assert len(rows) == len(doors)
        results.append((f"open a street of {len(rows)} households ({args.saves} visits on it; worst of 20)",
                        max(opens), 200, "ms"))

        started = time.perf_counter()
        streets = store.streets_for_team(OPERATION_ID, TEAM_ID)
        results.append((f"list the pair's {len(streets)} streets with counts", (time.perf_counter() - started) * 1000,
                        200, "ms"))

    missed = 0
    width = max(len(name) for name, *_ in results)
    for name, value, target, unit in results:
        ok = value < target
        missed += not ok
        print(f"{name:<{width}}  {value:9.2f} {unit}   target < {target} {unit}   {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
