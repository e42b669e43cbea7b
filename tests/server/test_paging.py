"""Every paged list follows server/lib/paging.py: one cursor format, 400 for a cursor it did not give
out, 422 for a limit outside 1..maximum (never clamped), and pages that repeat and miss nothing."""

from __future__ import annotations

import base64

import pytest

from server.lib.paging import Keyset, cursor_of

# (path, who asks, the list's maximum)
LISTS = [
    ("/api/v1/operations", "admin", 500),
    ("/api/v1/followups", "coordinator", 500),
    ("/api/v1/operations/{op}/households", "coordinator", 1000),
    ("/api/v1/operations/{op}/revisits", "coordinator", 1000),
    ("/api/v1/operations/{op}/visits", "coordinator", 1000),
    ("/api/v1/notifications/undelivered", "coordinator", 1000),
    ("/api/v1/devices", "admin", 500),
]
BAD_CURSORS = ["not-a-cursor", "2147483648", cursor_of(["x", "y", "z", "w"]), cursor_of([2**40, 1, 1]),
               base64.urlsafe_b64encode(b"\x00\xff").decode()]


@pytest.mark.parametrize(("path", "who", "maximum"), LISTS, ids=[p for p, *_ in LISTS])
async def test_a_cursor_the_list_did_not_give_out_is_400(client, headers, demo, path, who, maximum):
    for cursor in BAD_CURSORS:
        r = await client.get(path.format(op=demo.operation_id), params={"cursor": cursor}, headers=await headers(who))
        assert r.status_code == 400, (cursor, r.text)
        assert r.json()["field"] == "cursor" and "leave `cursor` out" in r.json()["detail"]


@pytest.mark.parametrize(("path", "who", "maximum"), LISTS, ids=[p for p, *_ in LISTS])
async def test_a_limit_outside_one_to_the_maximum_is_422_never_clamped(client, headers, demo, path, who, maximum):
    url = path.format(op=demo.operation_id)
    for limit in (0, -1, maximum + 1):
        r = await client.get(url, params={"limit": limit}, headers=await headers(who))
        assert r.status_code == 422, (limit, r.text)
        assert r.json()["field"] == "limit" and f"from 1 to {maximum}" in r.json()["detail"]
    r = await client.get(url, params={"limit": maximum}, headers=await headers(who))
    assert r.status_code == 200, r.text


async def test_the_pull_keeps_the_same_limit_rule(client, headers, demo):
    r = await client.get("/api/v1/sync/pull", params={"operation_id": demo.operation_id, "limit": 5001},
                         headers=await headers("officer"))
    assert r.status_code == 422 and r.json()["field"] == "limit" and "from 1 to 5000" in r.json()["detail"]


async def test_pages_of_doors_repeat_nothing_and_miss_nothing(client, headers, demo):
    url = f"/api/v1/operations/{demo.operation_id}/households"
    h = await headers("coordinator")
    whole = (await client.get(url, params={"limit": 1000}, headers=h)).json()
    assert whole["next"] is None and len(whole["items"]) > 40
    seen, cursor = [], None
    while True:
        page = (await client.get(url, params={"limit": 17, **({"cursor": cursor} if cursor else {})},
                                 headers=h)).json()
        assert len(page["items"]) <= 17
        seen += [d["household_id"] for d in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [d["household_id"] for d in whole["items"]]


def test_a_cursor_is_the_sort_key_and_round_trips():
    import datetime as dt
    import uuid

    pages = Keyset(tuple[dt.datetime, uuid.UUID], default=2, maximum=3)
    key = (dt.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=dt.UTC), uuid.uuid4())
    assert pages.after(cursor_of(key)) == key
    assert pages.after(None) is None and pages.after("") is None
    items, following = pages.page([1, 2, 3], 2, key=lambda n: (key[0], key[1]))
    assert items == [1, 2] and pages.after(following) == key
    assert pages.page([1, 2], 2, key=lambda n: key) == ([1, 2], None)
    with pytest.raises(ValueError):
        Keyset(tuple[int], default=5, maximum=3)
