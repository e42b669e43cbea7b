"""The dashboard's new figures (issue 14) against the test's own count of what it pushed: visits per day and
cumulative coverage by London day, a date range applied to the street and pair figures, how residents
answered each question (doors, latest answers, no free text), the progress chart as SVG, building
outlines, the operations list's progress column and British dates on the revisit list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from .world import SECRETS, World, build_world, expected_streets, make_visits, nonzero, push

DAY1 = dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC)  # the Saturday before the clocks go forward
DAY3 = dt.datetime(2026, 3, 30, 22, 30, tzinfo=dt.UTC)  # 23:30 in London (BST): still the 30th there


@pytest.fixture(scope="module")
async def fworld(db_engine, demo, client, headers) -> World:
    w = await build_world(db_engine, "figures")
    doors = sorted(w.households)
    first = make_visits(w, doors[: len(doors) // 2], per_door=(1, 2), start=DAY1)
    await push(client, headers, w, first)
    later = make_visits(w, doors[len(doors) // 3:], per_door=(1, 1), start=DAY3)
    await push(client, headers, w, later)
    return w


def _london_day(visit: dict) -> dt.date:
    at = dt.datetime.fromisoformat(visit["visited_at"].replace("Z", "+00:00"))
    return at.astimezone(dt.timezone(dt.timedelta(hours=1 if at >= dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)
                                                  else 0))).date()


async def test_visits_per_day_and_cumulative_coverage(fworld, client, headers):
    w = fworld
    r = await client.get(f"/api/v1/operations/{w.operation_id}/progress", headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    body = r.json()
    per_day = Counter(_london_day(v) for v in w.visits)
    days = {d["day"]: d for d in body["days"]}
    last = max(per_day)  # visits late on the 30th run past London's midnight
    assert sorted(days) == [str(dt.date(2026, 3, 28) + dt.timedelta(days=i))
                            for i in range((last - dt.date(2026, 3, 28)).days + 1)]  # the gap day too
    for day, n in per_day.items():
        assert days[str(day)]["visits"] == n
    assert days["2026-03-29"]["visits"] == 0
    first_seen: dict[int, dt.date] = {}
    for v in sorted(w.visits, key=lambda v: v["visited_at"]):
        first_seen.setdefault(v["household_id"], _london_day(v))
    assert days[str(last)]["coverage"] == round(len(first_seen) / len(w.households), 4)
    assert days["2026-03-28"]["first_knocks"] == sum(1 for d in first_seen.values() if d == dt.date(2026, 3, 28))
    ranged = (await client.get(f"/api/v1/operations/{w.operation_id}/progress?from=2026-03-30&to=2026-04-02",
                               headers=await headers("coordinator"))).json()
    assert [d["day"] for d in ranged["days"]] == ["2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02"]
    assert ranged["days"][0]["coverage"] == days["2026-03-30"]["coverage"]  # counts doors knocked before too


async def test_a_date_range_limits_the_street_and_pair_figures(fworld, client, headers):
    w = fworld
    coordinator = await headers("coordinator")
    r = await client.get(f"/api/v1/operations/{w.operation_id}/streets?from=2026-03-30&to=2026-03-30",
                         headers=coordinator)
    assert r.status_code == 200, r.text
    in_range = dataclasses.replace(w, visits=[v for v in w.visits if _london_day(v) == dt.date(2026, 3, 30)])
    expected = expected_streets(in_range)
    for item in r.json()["items"]:
        e = expected[item["street_id"]]
        for k in ("households", "knocked", "closed", "answered", "to_revisit", "refused"):
            assert item[k] == e[k], (item["name"], k)
        assert nonzero(item["concerns"]) == e["concerns"]
    assert r.json()["totals"]["visits"] == len(in_range.visits)
    whole = (await client.get(f"/api/v1/operations/{w.operation_id}/streets", headers=coordinator)).json()
    assert whole["totals"]["visits"] == len(w.visits) > len(in_range.visits)
    pairs = (await client.get(f"/api/v1/operations/{w.operation_id}/pairs?from=2026-03-28&to=2026-03-28",
                              headers=coordinator)).json()["items"]
    assert sum(p["visits"] for p in pairs) == sum(1 for v in w.visits if _london_day(v) == dt.date(2026, 3, 28))
    for bad, words in (("from=28/03/2026", "YYYY-MM-DD"), ("from=2026-03-30&to=2026-03-28", "before it starts")):
        r = await client.get(f"/api/v1/operations/{w.operation_id}/streets?{bad}", headers=coordinator)
        assert r.status_code == 400 and words in r.json()["detail"], r.text


async def test_how_residents_answered_each_question_without_their_words(fworld, client, headers):
    w = fworld
    coordinator = await headers("coordinator")
    street = w.street_ids[0]
    latest: dict[int, dict] = {}
    for v in sorted(w.visits, key=lambda v: (v["visited_at"], v["id"])):
        if v["outcome"] == "answered":
            latest[v["household_id"]] = v["answers"]
    for street_id in (None, street):
        url = f"/api/v1/operations/{w.operation_id}/answers" + (f"?street_id={street_id}" if street_id else "")
        r = await client.get(url, headers=coordinator)
        assert r.status_code == 200, r.text
        body = r.json()
        mine = {h: a for h, a in latest.items() if street_id is None or w.households[h] == street_id}
        assert body["answered"] == len(mine)
        q = {x["id"]: x for x in body["questions"]}
        assert "other_comments" not in q  # a free-text question is never counted
        safe = {a["value"]: a["count"] for a in q["feel_safe_after_dark"]["answers"]}
        assert safe == {str(n): sum(1 for a in mine.values() if a.get("feel_safe_after_dark") == n)
                        for n in range(1, 6)}
        asb = {a["value"]: a["count"] for a in q["asb_seen"]["answers"]}
        assert asb == {"true": sum(1 for a in mine.values() if a.get("asb_seen") is True),
                       "false": sum(1 for a in mine.values() if a.get("asb_seen") is False)}
        reasons = {a["value"]: a["count"] for a in q["unsafe_reasons"]["answers"]}
        assert reasons["traffic"] == sum(1 for a in mine.values() if "traffic" in a.get("unsafe_reasons", []))
        assert not any(secret in r.text for secret in SECRETS)


async def test_the_progress_chart_is_an_svg_without_inline_styles(fworld, client, tokens):
    w = fworld
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens("coordinator")}"'}
    r = await client.get(f"/dashboard/operations/{w.operation_id}/progress.svg", headers=cookie)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(r.text)
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.find(f"{ns}title").text == f"Progress of {w.name}"
    days_with_visits = len({_london_day(v) for v in w.visits})
    bars = [r for r in svg.findall(f"{ns}rect") if r.find(f"{ns}title") is not None]  # a bar per day with visits
    assert len(bars) == days_with_visits and svg.find(f"{ns}polyline") is not None
    assert "style=" not in r.text and "<script" not in r.text
    page = await client.get(f"/dashboard/operations/{w.operation_id}?from=2026-03-30", headers=cookie)
    assert f'src="/dashboard/operations/{w.operation_id}/progress.svg?from=2026-03-30"' in page.text
    assert "Mon 30 Mar 2026" in page.text  # the range, said in British


async def test_the_operations_list_shows_each_operations_progress(fworld, client, tokens):
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens("coordinator")}"'}
    page = await client.get("/dashboard", headers=cookie)
    row = next(r for r in page.text.split("<tr ") if f'data-operation-id="{fworld.operation_id}"' in r)
    knocked = len({v["household_id"] for v in fworld.visits})
    pct = round(100 * knocked / len(fworld.households))
    assert f'<progress max="100" value="{pct}"' in row and f"{pct}%" in row


async def test_building_outlines_come_from_the_import(demo, client, headers):
    r = await client.get(f"/api/v1/operations/{demo.operation_id}/buildings", headers=await headers("coordinator"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    assert len(features) > 50 and all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    assert all(f["properties"] == {} for f in features)


async def test_the_printed_revisit_list_reads_in_walking_order(fworld, client, headers, tokens):
    """Each street's doors on the printed revisit list come in the pair's walking order (door_order, from
    shared_schemas.walk), as the API's revisit list gives them; its times are British."""
    import re

    w = fworld
    api = (await client.get(f"/api/v1/operations/{w.operation_id}/revisits?limit=1000",
                            headers=await headers("coordinator"))).json()["items"]
    assert api, "the world leaves doors to revisit"
    cookie = {"Cookie": f'doorstep_session="Bearer {await tokens("coordinator")}"'}
    page = (await client.get(f"/dashboard/operations/{w.operation_id}/revisits", headers=cookie)).text
    shown = [int(h) for h in re.findall(r'<tr data-household-id="(\d+)"', page)]
    assert sorted(shown) == sorted(d["household_id"] for d in api)
    street_of = {d["household_id"]: d["street_id"] for d in api}
    for street in {d["street_id"] for d in api}:
        walked = [d["household_id"] for d in sorted((d for d in api if d["street_id"] == street),
                                                    key=lambda d: d["door_order"])]
        assert [h for h in shown if street_of[h] == street] == walked
    assert not re.search(r"\b\d{1,2}:\d\d\s?[AP]M\b", page) and "UTC" not in page.split("<main", 1)[1]
