"""The demo's published password must never open a production server (issue 11).

`doorstep demo load` refuses without DOORSTEP_DEMO=1 (server/cli.py); and should the demo have
reached a real database anyway, a production start refuses to serve while one of its users can
still sign in with the password the README publishes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.models import User
from server.lib.passwords import verify_password

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


async def users_with_the_demo_password(engine: AsyncEngine, fixtures: Path = FIXTURES) -> list[str]:
    """The demo's users that are active and still sign in with the demo's published password.

    A production start refuses to serve while there is one (server/app.py, `doorstep serve`).
    """
    demo = json.loads((fixtures / "demo.json").read_text())
    names = [u["username"] for u in demo["users"]]
    async with engine.connect() as conn:
        rows = (await conn.execute(select(User.username, User.password_hash)
                                   .where(User.username.in_(names), User.active.is_(True)))).all()
    left = []
    for username, password_hash in rows:
        if await asyncio.to_thread(verify_password, password_hash, demo["password"]):
            left.append(username)
    return sorted(left)


def demo_passwords_refusal(usernames: list[str]) -> str:
    return (f"the demo's users {', '.join(usernames)} still have the demo's published password, and "
            "DOORSTEP_DEMO is not 1: give each a new password or deactivate it (an admin: PATCH "
            "/api/v1/users/NAME with {\"password\": …} or {\"active\": false}), or start with DOORSTEP_DEMO=1.")
