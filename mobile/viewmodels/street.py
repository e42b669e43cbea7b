"""One street: its households in door order with their status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile import words
from shared_schemas import cards
from shared_schemas.codes import label
from shared_schemas.walk import walk_key

from .base import Observable
from .context import AppContext

SIDES = ("all", "odd", "even")


@dataclass(frozen=True)
class DoorRow:
    id: int
    address: str
    number: str
    side: str
    status: str  # not_knocked / revisit / done / do_not_visit (colour key)
    status_text: str  # "Not knocked", "No answer ×2", "Done (Answered)", "Do not visit"
    others: str  # "Other pair: 1 visit" or ""
    can_visit: bool  # False for do-not-visit doors
    generated: bool = False  # placed along the street where OpenStreetMap had no numbers: may not exist


def status_of(row: Any) -> tuple[str, str]:
    status = str(row.status)
    if status == "not_knocked":
        return "not_knocked", words._("Not knocked")
    if status == "do_not_visit":
        return "do_not_visit", words._("Do not visit")
    if status == "done":
        return "done", (words._("Done: {outcome}").format(outcome=words._(label(row.last_outcome)))
                         if row.last_outcome else words._("Done"))
    # to revisit: the map's legend says "Knock again" too
    last = words._(label(row.last_outcome) if row.last_outcome else "No answer")
    times = f" ×{row.no_answers}" if row.no_answers else ""
    return "revisit", words._("Knock again: {outcome}").format(outcome=last) + times


def drafts_text(count: int) -> str:
    """' · 2 drafts': visits in progress, named apart from the knocks (they are none yet)."""
    if not count:
        return ""
    return " · " + (words._("1 draft") if count == 1 else words._("{count} drafts").format(count=count))


def side_of(row: Any) -> str:
    if row.side:
        return str(row.side)
    digits = "".join(ch for ch in (row.house_number or "") if ch.isdigit())
    if digits:
        return "even" if int(digits) % 2 == 0 else "odd"
    return ""


class StreetViewModel(Observable):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.street_id: int | None = None
        self.name = ""
        self.side = "all"
        self.rows: list[DoorRow] = []
        self.all_rows: list[DoorRow] = []
        self.summary = ""
        self.on_visit: Callable[[int], None] | None = None
        self.on_message: Callable[[str], None] | None = None
        #: The doors with a visit in progress (the App gives the store's drafts).
        self.drafts_for: Callable[[], set[int]] = lambda: set()

    def load(self, street_id: int | None = None) -> None:
        if street_id is not None:
            self.street_id = street_id
        ctx = self.ctx
        if self.street_id is None or ctx.operation_id is None:
            return
        street = ctx.street(self.street_id)
        name = getattr(street, "name", "") if street is not None else ""
        households = ctx.store.households_on_street(ctx.operation_id, self.street_id, order="door")
        households.sort(key=lambda h: walk_key(name, h.address, h.house_number, h.side, h.door_order))
        drafts = self.drafts_for()
        refused = ctx.store.rejected_households(ctx.operation_id)
        cards_left = ctx.store.card_codes(ctx.operation_id, self.street_id)
        rows = []
        knocked = closed = 0
        for h in households:
            # Counted by the shared rule from what was saved (a draft is no knock, nor does it undo one).
            knocked += h.door_status.knocked
            closed += h.door_status.closed
            key, text = status_of(h)
            if h.id in drafts:
                key, text = "draft", words._("Draft: tap to carry on")
            elif h.id in refused:
                key, text = "rejected", words._("Refused by the server")
            others = "" if not h.other_team_visits else words._("Other pair: 1 visit") \
                if h.other_team_visits == 1 else words._("Other pair: {count} visits").format(count=h.other_team_visits)
            if h.id in cards_left:  # the code on the card left there, to read out or check
                card = words._("Card code {code}").format(code=cards.shown(cards_left[h.id]))
                others = f"{card}  ·  {others}" if others else card
            rows.append(DoorRow(h.id, h.address, h.house_number or "", side_of(h), key, text, others,
                                key != "do_not_visit", h.generated))
        in_progress = sum(1 for r in rows if r.status == "draft")
        self.set(name=name, all_rows=rows,
                 summary=words._("{knocked} / {doors} knocked · {closed} closed").format(
                     knocked=knocked, doors=len(rows), closed=closed) + drafts_text(in_progress))
        self._apply()

    def set_side(self, side: str) -> None:
        if side not in SIDES:
            raise ValueError(side)
        self.side = side
        self._apply()

    def _apply(self) -> None:
        rows = [r for r in self.all_rows if self.side == "all" or r.side == self.side]
        self.rows = rows
        self.changed("rows", "side")

    def row(self, household_id: int) -> DoorRow | None:
        return next((r for r in self.all_rows if r.id == household_id), None)

    def visit(self, household_id: int) -> None:
        row = self.row(household_id)
        if row is not None and not row.can_visit:
            if self.on_message:
                self.on_message(words._("{address}: do not visit. Nothing to record here.").format(address=row.address))
            return
        if self.on_visit:
            self.on_visit(household_id)
