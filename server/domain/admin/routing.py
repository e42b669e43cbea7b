"""Routing defaults: the follow-up routing table (category → agency) a new operation starts with.
Kept by admins; each operation's coordinator changes their own copy afterwards."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Agency, RoutingDefault
from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import Invalid
from shared_schemas.codes import FollowupCategory


async def routing_defaults(session: AsyncSession) -> dict[str, str]:
    """Category → agency code, in the categories' order."""
    rows = dict((await session.execute(
        select(RoutingDefault.category, Agency.code).join(Agency, Agency.id == RoutingDefault.agency_id))).all())
    return {c.value: rows[c.value] for c in FollowupCategory if c.value in rows}


async def set_routing_defaults(session: AsyncSession, actor: CurrentUser,
                               routing: dict[str, str | None]) -> dict[str, str]:
    """Replace the defaults (a category sent with no agency is left unrouted); audited with what changed."""
    known = {c.value for c in FollowupCategory}
    for category in routing:
        if category not in known:
            raise Invalid(f"Unknown category {category!r}; the categories are {', '.join(sorted(known))}.",
                          field=f"$.routing.{category}")
    agencies = dict((await session.execute(select(Agency.code, Agency.id))).all())
    for category, code in routing.items():
        if code and code not in agencies:
            raise Invalid(f"There is no agency {code!r} (for {category}); the agencies are "
                          f"{', '.join(sorted(agencies))}.", field=f"$.routing.{category}")
    before = await routing_defaults(session)
    wanted = {c: code for c, code in routing.items() if code}
    await session.execute(delete(RoutingDefault).where(RoutingDefault.category.not_in(list(wanted) or [""])))
    if wanted:
        stmt = pg_insert(RoutingDefault).values([
            {"category": c, "agency_id": agencies[code], "updated_by": actor.id} for c, code in wanted.items()])
        await session.execute(stmt.on_conflict_do_update(
            index_elements=["category"],
            set_={"agency_id": stmt.excluded.agency_id, "updated_by": actor.id, "updated_at": func.now()},
            where=RoutingDefault.agency_id != stmt.excluded.agency_id))
    changes = {c: {"from": before.get(c), "to": wanted.get(c)} for c in known
               if before.get(c) != wanted.get(c)}
    if changes:
        await audit(session, actor, "routing_defaults.update", "routing_defaults", "defaults", {"changes": changes})
    return await routing_defaults(session)
