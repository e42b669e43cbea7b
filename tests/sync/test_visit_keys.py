"""The visit table's composite keys (migration 0007): the database itself refuses a visit whose
household or team belongs to another operation, whoever writes it, and deleting an operation
still takes its visits with it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.sync.conftest import make_operation

INSERT = text("""INSERT INTO visit (id, operation_id, household_id, team_id, device_id, visited_at, outcome,
                                    content_hash)
                 VALUES (:id, :op, :household, :team, 'keys-test', :at, 'no_answer', 'x')""")


async def _insert(db_engine, op_id: int, household: int, team: int) -> None:
    from server.db.engine import transaction

    async with transaction(db_engine) as session:
        await session.execute(INSERT, {"id": uuid.uuid4(), "op": op_id, "household": household, "team": team,
                                       "at": dt.datetime.now(dt.UTC)})


async def test_a_visit_must_be_on_its_operations_household_and_team(db_engine, demo):
    mine = await make_operation(db_engine, demo, households=2)
    other = await make_operation(db_engine, demo, households=2)
    await _insert(db_engine, mine.id, mine.household_ids[0], mine.team_a)  # consistent: stored

    with pytest.raises(IntegrityError, match="fk_visit_household_id_household"):
        await _insert(db_engine, mine.id, other.household_ids[0], mine.team_a)
    with pytest.raises(IntegrityError, match="fk_visit_team_id_team"):
        await _insert(db_engine, mine.id, mine.household_ids[0], other.team_a)
    with pytest.raises(IntegrityError, match="fk_visit_household_id_household"):
        await _insert(db_engine, 2**31 - 1, mine.household_ids[0], mine.team_a)  # no such operation


async def test_deleting_an_operation_still_deletes_its_visits(db_engine, demo):
    from server.db.engine import transaction

    gone = await make_operation(db_engine, demo, households=2)
    await _insert(db_engine, gone.id, gone.household_ids[1], gone.team_b)
    async with transaction(db_engine) as session:
        await session.execute(text("DELETE FROM operation WHERE id = :op"), {"op": gone.id})
        left = (await session.execute(text("SELECT count(*) FROM visit WHERE operation_id = :op"),
                                      {"op": gone.id})).scalar_one()
    assert left == 0


async def test_users_are_deactivated_not_deleted(db_engine, demo):
    """visit.user_id has no foreign key (migration 0007): the stamp stays true because no user is deleted."""
    from server.db.engine import transaction

    with pytest.raises(DBAPIError, match=r"Deactivate the account instead"):
        async with transaction(db_engine) as session:
            await session.execute(text("DELETE FROM app_user WHERE username = 'officer'"))
    async with db_engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM app_user WHERE username = 'officer'"))).scalar_one() == 1
