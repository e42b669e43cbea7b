"""Rows a pair reads back (issue 10, build 8: "review rows are aligned and not cut"): the sync page's
refused and waiting records and a door's "Earlier here" attempts, in both orientations, measured in
the real window against the real server, at the demo's longest address: every line of text starts at
the same left edge as the others in its row, lies inside the row, and is drawn whole (no line cut,
no words lost to an ellipsis)."""

from __future__ import annotations

import uuid

import pytest

from .conftest import open_walk_list

pytestmark = [pytest.mark.ui, pytest.mark.slow]


def _core(label, text_size):
    from kivy.core.text import Label as CoreLabel

    core = CoreLabel(text=label.text, font_size=label.font_size, bold=label.bold, font_name=label.font_name,
                     text_size=text_size, padding=label.padding, line_height=label.line_height)
    core.refresh()
    return core


def _texts(row):
    """The row's shown lines of text that are not button labels, top first."""
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    from .conftest import is_shown

    return sorted((w for w in row.walk(restrict=True) if isinstance(w, Label) and not isinstance(w, Button)
                   and type(w).__name__ != "Icon" and w.text.strip() and is_shown(w)),
                  key=lambda w: -w.to_window(w.x, w.top)[1])


def row_problems(row, where: str) -> list[str]:
    problems = []
    rx, ry = row.to_window(row.x, row.y)
    lines = _texts(row)
    assert lines, f"{where}: no text in the row"
    lefts = set()
    for label in lines:
        x, y = label.to_window(label.x, label.y)
        name = f"{where}: {label.text[:50]!r}"
        if x < rx - 1 or x + label.width > rx + row.width + 1 or y < ry - 1 or y + label.height > ry + row.height + 1:
            problems.append(f"{name} runs outside its row")
        if label.shorten or label.text_size[0] is None:  # one line: the whole text must fit the width
            whole = _core(label, (None, None)).content_width + label.padding[0] + label.padding[2]
            if whole > label.width + 1:
                problems.append(f"{name} needs {whole:.0f} px on one line, has {label.width:.0f}: cut")
        else:  # wrapped: every line must fit the height
            whole = _core(label, (label.width, None)).texture.height
            if whole > label.height + 1:
                problems.append(f"{name} needs {whole:.0f} px of lines, has {label.height:.0f}: cut")
        text_left = x + label.padding[0] + (0 if label.halign in ("left", "auto") else
                                            (label.width - label.texture_size[0]) / 2)
        lefts.add(round(text_left))
    if max(lefts) - min(lefts) > 2:
        problems.append(f"{where}: its lines start at different left edges {sorted(lefts)}")
    return problems


@pytest.mark.parametrize("orientation", ["landscape", "portrait"], indirect=True)
def test_review_rows_aligned_and_whole(walk, orientation):
    from mobile.store import records
    from shared_schemas.codes import Outcome
    from shared_schemas.records import Visit

    open_walk_list(walk)
    app, ctx = walk.app, walk.app.ctx
    doors = [(h, row) for row in app.streets_vm.rows for h in ctx.store.households_on_street(ctx.operation_id, row.id)]
    doors.sort(key=lambda d: -len(d[0].address))
    (door, street), (other, other_street) = doors[0], doors[1]
    # a visit an older app saved with a note over the limit: the server refuses it
    bad = Visit(id=uuid.uuid4(), operation_id=ctx.operation_id, household_id=door.id, team_id=ctx.team_id,
                visited_at=ctx.now(), outcome=Outcome.REFUSED, notes="x" * 4500)
    with ctx.store._write() as conn:
        records.insert_local(conn, bad)
    ctx.request_sync()
    walk.wait_until(lambda: ctx.store.outbox_rejected(), timeout=30, message="refused by the server")
    ctx.stop_engine()  # so that the next one waits
    try:
        walk.open_street(other_street.name)
        walk.tap(walk.door_row(other.address), step="door")
        walk.tap(walk.button("No answer"), step="no_answer")
        walk.wait_until(lambda: walk.screen.name == "street", message="saved")
        walk.tap(app.root.ids.sync_chip, step="sync")
        sync = walk.screen
        walk.wait_until(lambda: len(sync.ids.rv.data) >= 2, message="a refused and a waiting row")
        walk.pump(5)
        rows = sorted(sync.ids.rv.children[0].children, key=lambda w: -w.y)
        assert [r.rejected for r in rows[:2]] == [True, False]
        problems = [p for n, r in enumerate(rows) for p in row_problems(r, f"sync row {n}")]
        lefts = {round(_texts(r)[0].to_window(_texts(r)[0].x, 0)[0]) for r in rows}
        if max(lefts) - min(lefts) > 2:
            problems.append(f"the sync rows start at different left edges {sorted(lefts)}")
        walk.shot("sync_rows")
        app.switch_interface("cy")  # the same rows in Welsh, whose words run longer
        walk.pump(5)
        rows = sorted(sync.ids.rv.children[0].children, key=lambda w: -w.y)
        problems += [p for n, r in enumerate(rows) for p in row_problems(r, f"sync row {n} in Welsh")]
        walk.shot("sync_rows_welsh")
        app.switch_interface("en")
    finally:
        ctx.start_engine()
    # the door's earlier attempts, on its visit page
    app.go("streets", reset=True)
    walk.pump(3)
    walk.open_street(street.name)
    walk.tap(walk.door_row(door.address), step="door_with_history")
    lines = walk.screen.ids.attempts.children
    assert lines
    problems += [p for n, line in enumerate(lines) for p in row_problems(line, f"earlier line {n}")]
    walk.shot("earlier_here")
    assert not problems, "\n".join(problems)
