"""Fixtures for the card left at the door: an operation of its own, cards left by the officer's pair."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared_schemas.cards import new_code, shown
from tests.sync.conftest import SyncOperation, make_operation, pull_all, push, visit  # noqa: F401  (fixtures)


@pytest.fixture
async def card_op(db_engine, demo) -> SyncOperation:
    return await make_operation(db_engine, demo, households=6)


@pytest.fixture
async def leave_card(push):  # noqa: F811  (the push fixture, imported above)
    """leave_card(op, household_index) -> the code, as the tablet shows it (K7M2Q-9XH4T), after pushing
    the card_left visit that carries it."""

    async def leave(op: SyncOperation, household: int = 0) -> str:
        code = new_code()
        r = await push([visit(op, household=household, outcome="card_left", card_code=code)])
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "stored", r.text
        return shown(code)

    return leave


@pytest.fixture
async def fresh_throttle(db_engine):
    """No wrong codes counted against the test client before the test, and none left after it."""
    async def clear() -> None:
        async with db_engine.begin() as conn:
            await conn.execute(text("DELETE FROM sign_in_throttle WHERE key LIKE 'card-client:%'"))
    await clear()
    yield
    await clear()
