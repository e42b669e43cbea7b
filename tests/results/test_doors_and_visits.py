"""Doors (with statuses), the revisit list and visits: keyset pages that add up to the records pushed."""

from __future__ import annotations

import pytest

from .world import World, build_world, door_states, make_visits, push


@pytest.fixture(scope="module")
async def dworld(db_engine, demo, client, headers) -> World:
    w = await build_world(db_engine, "doors")
    await push(client, headers, w, make_visits(w, list(w.households), per_door=(0, 3)))
    return w


async def _all_pages(client, headers, url: str, limit: int) -> tuple[list[dict], int]:
    items: list[dict] = []
    cursor = None
    pages = 0
    while True:
        sep = "&" if "?" in url else "?"
        r = await client.get(f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                             headers=await headers("coordinator"))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return items, pages


async def test_households_page_by_key_and_carry_each_doors_status(dworld, client, headers):
    w = dworld
    items, pages = await _all_pages(client, headers, f"/api/v1/operations/{w.operation_id}/households", 5)
    assert pages == -(-len(w.households) // 5) or pages == -(-len(w.households) // 5) + 1
    assert sorted(i["household_id"] for i in items) == sorted(w.households)  # each door once
    keys = [((i["street_id"] or 0), i["door_order"], i["household_id"]) for i in items]
    assert keys == sorted(keys)
    states = door_states(w)
    for i in items:
        st = states[i["household_id"]]
        assert i["status"] == st["status"] and i["attempts"] == st["attempts"], i
        assert i["last_outcome"] == st["last"]
        assert i["street_id"] == w.households[i["household_id"]]
    assert {i["status"] for i in items} >= {"not_knocked", "to_revisit", "answered"}


async def test_households_of_one_street_and_by_status(dworld, client, headers):
    w = dworld
    street = w.street_ids[0]
    items, _ = await _all_pages(client, headers,
                                f"/api/v1/operations/{w.operation_id}/households?street_id={street}", 4)
    assert sorted(i["household_id"] for i in items) == sorted(h for h, s in w.households.items() if s == street)
    states = door_states(w)
    for status in ("not_knocked", "to_revisit", "answered", "refused", "vacant", "do_not_visit"):
        got, _ = await _all_pages(client, headers,
                                  f"/api/v1/operations/{w.operation_id}/households?status={status}", 3)
        assert sorted(i["household_id"] for i in got) == sorted(h for h, st in states.items()
                                                                if st["status"] == status), status


async def test_the_revisit_list(dworld, client, headers):
    w = dworld
    items, _ = await _all_pages(client, headers, f"/api/v1/operations/{w.operation_id}/revisits", 3)
    states = door_states(w)
    waiting = {h: st for h, st in states.items() if st["status"] == "to_revisit"}
    assert waiting, "the test world has doors to revisit"
    assert sorted(i["household_id"] for i in items) == sorted(waiting)
    for i in items:
        assert i["attempts"] == waiting[i["household_id"]]["attempts"] > 0
        assert i["last_outcome"] not in ("answered", "refused", "vacant", "do_not_visit")
        assert i["street_name"] in (None, "Alder Row", "Birch Lane", "Cedar Close", "Damson Walk")
    one = w.street_ids[1]
    per_street, _ = await _all_pages(client, headers,
                                     f"/api/v1/operations/{w.operation_id}/revisits?street_id={one}", 50)
    assert sorted(i["household_id"] for i in per_street) == sorted(h for h in waiting if w.households[h] == one)


async def test_the_printable_revisit_page(dworld, client, headers):
    w = dworld
    r = await client.get(f"/dashboard/operations/{w.operation_id}/revisits", headers=await headers("coordinator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    waiting = [h for h, st in door_states(w).items() if st["status"] == "to_revisit"]
    assert r.text.count("data-household-id=") == len(waiting)
    for h in waiting:
        assert f'data-household-id="{h}"' in r.text
    assert "@media print" not in r.text  # print styles live in the stylesheet
    assert "/static/dashboard/dashboard.css" in r.text


async def test_visits_page_newest_first_without_answers_or_notes(dworld, client, headers):
    w = dworld
    items, _ = await _all_pages(client, headers, f"/api/v1/operations/{w.operation_id}/visits", 7)
    assert sorted(i["id"] for i in items) == sorted(v["id"] for v in w.visits)
    keys = [(i["visited_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    for i in items:
        assert set(i) == {"id", "household_id", "street_id", "team_id", "outcome", "visited_at", "concerns",
                          "received_at", "supersedes", "superseded_by"}
        assert i["supersedes"] is None and i["superseded_by"] is None  # nothing corrected in this world


@pytest.mark.parametrize("path", ["households", "revisits", "visits"])
async def test_a_cursor_that_was_not_given_out_is_refused(dworld, client, headers, path):
    r = await client.get(f"/api/v1/operations/{dworld.operation_id}/{path}?cursor=garbage",
                         headers=await headers("coordinator"))
    assert r.status_code == 400 and "cursor" in r.json()["detail"]


async def test_an_unknown_status_is_refused_with_the_statuses(dworld, client, headers):
    r = await client.get(f"/api/v1/operations/{dworld.operation_id}/households?status=asleep",
                         headers=await headers("coordinator"))
    assert r.status_code == 400 and "to_revisit" in r.json()["detail"] and "not_knocked" in r.json()["detail"]


async def test_doors_come_in_the_tablets_walk_order(demo, client, headers):
    # One walk rule (shared_schemas.walk): each side of a street in house-number order, the doors
    # numbered on another street or not at all after them; the revisit list reads the same way.
    from shared_schemas.walk import walk_key

    items, _ = await _all_pages(client, headers, f"/api/v1/operations/{demo.operation_id}/households", 1000)
    streets: dict[int, list[dict]] = {}
    for item in items:
        if item["street_id"] is not None:
            streets.setdefault(item["street_id"], []).append(item)
    checked = 0
    for doors in streets.values():
        name = doors[0]["street_name"]
        walked = sorted(doors, key=lambda d: walk_key(name, d["address"], d["house_number"], None, d["door_order"]))
        assert [d["household_id"] for d in doors] == [d["household_id"] for d in walked], name
        assert [d["door_order"] for d in doors] == list(range(1, len(doors) + 1)), name
        checked += sum(1 for d in doors if d["house_number"])
    assert checked > 100
    cavendish = next(d for d in streets.values() if d[0]["street_name"] == "Cavendish Road")
    numbers = [d["house_number"] for d in cavendish if d["address"].endswith("Cavendish Road")]
    assert numbers[:4] == ["1", "3", "5", "7"]
