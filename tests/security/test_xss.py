"""Stored XSS (issue 11): text from a map file or a person is shown as text, never run.

The review imported an OpenStreetMap extract with a street named
``Evil <img src=x onerror=alert(9)> Street`` and the dashboard map ran it in a coordinator's page
when the street was hovered. Here the same extract goes through the real importer (`doorstep
import-osm`), a coordinator names a pair with markup too, a visit makes the door one to revisit, a
follow-up on the street carries markup in its description, the operation is published, and
Chromium hovers and clicks everything that shows those texts (dashboard, set-up, revisits, the
partner inbox and follow-up page, the open data pages, report and map image), listening for a dialog.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path
from xml.sax.saxutils import quoteattr

import httpx
import pytest

from tests.security.support import DEMO, signed_in_page, watch

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
EVIL_STREET = "Evil <img src=x onerror=alert(9)> Street"
EVIL_PAIR = '<b onmouseover="alert(7)">Pair</b><script>alert(8)</script>'
EVIL_NOTE = 'Bins <svg onload=alert(6)></svg> "><script>alert(5)</script> by the wall'
DOORS = 10  # a street of 8 doors or more is published on its own (the disclosure rule)


def _osm(path: Path) -> Path:
    """A street with the hostile name and its doors, as an OSM extract (XML-escaped, as OSM writes it)."""
    name = quoteattr(EVIL_STREET)
    doors = "\n".join(
        f'<node id="{10 + i}" version="1" lat="{53.9001 + i * 0.00006:.5f}" lon="{-1.5995 + i * 0.00024:.5f}">'
        f'<tag k="addr:housenumber" v="{2 * i + 1}"/><tag k="addr:street" v={name}/></node>' for i in range(DOORS))
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
<node id="1" version="1" lat="53.9000" lon="-1.6000"/>
<node id="2" version="1" lat="53.9008" lon="-1.5970"/>
{doors}
<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v={name}/></way>
</osm>
""")
    return path


def _bearer(base: str, username: str, password: str = DEMO) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _hostile_operation(base: str, database_url: str, tmp_path: Path) -> tuple[int, int, str]:
    """(operation id, street id, follow-up id): the extract imported, a pair with a hostile name on it,
    one door knocked, a follow-up with a hostile description, the operation published."""
    coordinator, admin = _bearer(base, "coordinator"), _bearer(base, "admin")
    tag = uuid.uuid4().hex[:8]
    area = {"type": "Polygon", "coordinates": [[[-1.601, 53.899], [-1.596, 53.899], [-1.596, 53.901],
                                                [-1.601, 53.901], [-1.601, 53.899]]]}
    op = httpx.post(f"{base}/api/v1/operations", headers=coordinator, json={
        "name": f"XSS {tag}", "area": area, "questionnaire_id": "streetsafe-community-v1"})
    assert op.status_code == 201, op.text
    op_id = op.json()["id"]
    imported = subprocess.run([sys.executable, "-m", "server.cli", "import-osm", str(_osm(tmp_path / "evil.osm")),
                               "--operation", f"XSS {tag}"], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "DATABASE_URL": database_url}, timeout=120)
    assert imported.returncode == 0, imported.stderr
    visitors = []
    for agency in ("police", "fire"):
        name = f"xss-{agency}-{tag}"
        r = httpx.post(f"{base}/api/v1/users", headers=admin, json={
            "username": name, "password": "a-long-enough-password", "display_name": f"XSS {agency}",
            "agency": agency, "roles": ["visitor"]})
        assert r.status_code == 201, r.text
        visitors.append((name, r.json()["id"]))
    setup = httpx.get(f"{base}/api/v1/operations/{op_id}/setup", headers=coordinator).json()
    street = next(s for s in setup["streets"] if s["name"] == EVIL_STREET)
    team = httpx.post(f"{base}/api/v1/operations/{op_id}/teams", headers=coordinator, json={
        "name": EVIL_PAIR, "member_ids": [v[1] for v in visitors], "street_ids": [street["id"]]})
    assert team.status_code == 201, team.text
    assert httpx.post(f"{base}/api/v1/operations/{op_id}/open", headers=coordinator).status_code == 200
    officer = _bearer(base, visitors[0][0], "a-long-enough-password")
    pack = httpx.get(f"{base}/api/v1/operations/{op_id}/pack", headers=officer, timeout=30).json()
    door = pack["households"][0]
    visit = {"type": "visit", "id": str(uuid.uuid4()), "operation_id": op_id, "household_id": door["id"],
             "team_id": team.json()["id"], "visited_at": dt.datetime.now(dt.UTC).isoformat(),
             "outcome": "no_answer"}
    followup = {"type": "followup", "id": str(uuid.uuid4()), "operation_id": op_id, "team_id": team.json()["id"],
                "category": "graffiti", "priority": "high", "description": EVIL_NOTE, "resident_consent": False,
                "raised_at": dt.datetime.now(dt.UTC).isoformat(), "street_id": street["id"]}
    pushed = httpx.post(f"{base}/api/v1/sync/push", headers=officer,
                        json={"device_id": "xss-test", "records": [visit, followup]}, timeout=30)
    assert [r["status"] for r in pushed.json()["results"]] == ["stored", "stored"], pushed.text
    published = httpx.post(f"{base}/api/v1/operations/{op_id}/publish", headers=coordinator, timeout=30)
    assert published.status_code == 200, published.text
    return op_id, street["id"], followup["id"]


@pytest.fixture(scope="module")
def hostile(live_server, database_url, tmp_path_factory) -> tuple[int, int, str]:
    return _hostile_operation(live_server, database_url, tmp_path_factory.mktemp("xss"))


def _nothing_became_an_element(page) -> None:
    assert page.query_selector("img[src='x']") is None and page.query_selector("main b[onmouseover]") is None
    assert page.query_selector("svg[onload]") is None


def test_hostile_names_from_a_map_file_and_a_person_stay_text(live_server, hostile, browser, screens_dir):
    op_id, street_id, _ = hostile
    context, page = signed_in_page(browser, live_server, "coordinator", area="/dashboard")
    seen = watch(page)
    try:
        page.goto(f"{live_server}/dashboard/operations/{op_id}")
        line = page.wait_for_selector(f"path.street-{street_id}")
        line.hover()
        tip = page.wait_for_selector(".leaflet-tooltip")
        assert tip.inner_text() == EVIL_STREET  # shown as the text it is
        line.click()
        page.wait_for_selector("#doors-table tr")
        assert page.inner_text("#street-name") == EVIL_STREET
        assert EVIL_STREET in page.inner_text("#doors-table")
        page.hover("#streets-table tbody tr:first-child a")
        page.click("#streets-table tbody tr:first-child a")
        page.wait_for_timeout(300)
        assert EVIL_PAIR in page.inner_text("#pairs-table")
        page.screenshot(path=str(screens_dir / "security-xss-dashboard.png"), full_page=True)
        for path in (f"/dashboard/operations/{op_id}/setup", f"/dashboard/operations/{op_id}/revisits", "/dashboard"):
            page.goto(live_server + path)
            page.hover("main")
            if path.endswith("/revisits"):
                assert EVIL_STREET in page.inner_text("main") and EVIL_PAIR in page.inner_text("main")
            if path.endswith("/setup"):
                assert EVIL_PAIR in page.inner_text("#teams-table")
                page.screenshot(path=str(screens_dir / "security-xss-setup.png"), full_page=True)
            _nothing_became_an_element(page)  # nothing the names carried became an element
    finally:
        context.close()
    assert seen.dialogs == [], f"a hostile name ran as script: {seen.dialogs}"
    assert seen.refused == [], f"the CSP had to refuse something (it should never come to that): {seen.refused}"


def test_hostile_texts_stay_text_in_the_partner_pages(live_server, hostile, browser, screens_dir):
    """The follow-up raised on the hostile street, in the inbox (its map's tooltip too) and on its page."""
    op_id, _, fid = hostile
    context, page = signed_in_page(browser, live_server, "coordinator", area="/partner")
    seen = watch(page)
    try:
        page.goto(f"{live_server}/partner?operation_id={op_id}")
        row = page.wait_for_selector(f"#followups tr[data-id='{fid}']")
        assert EVIL_STREET in row.inner_text() and EVIL_NOTE in row.inner_text()
        page.hover("#overview path.leaflet-interactive")
        page.wait_for_selector(".leaflet-tooltip")
        _nothing_became_an_element(page)
        row.query_selector("a").click()
        page.wait_for_url(f"{live_server}/partner/followups/{fid}")
        main = page.inner_text("main")
        assert EVIL_STREET in main and EVIL_NOTE in main
        page.hover("#map")
        _nothing_became_an_element(page)
        page.screenshot(path=str(screens_dir / "security-xss-followup.png"), full_page=True)
    finally:
        context.close()
    assert seen.dialogs == [], f"a hostile text ran as script: {seen.dialogs}"
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


@pytest.mark.parametrize("width", [1280, 390])
def test_hostile_names_stay_text_in_the_open_data(live_server, hostile, browser, screens_dir, width):
    """Signed out, as anyone: the published street under its hostile name on the public page (its map's
    tooltip hovered, the street clicked), the reports, and the map image opened on its own."""
    op_id, street_id, _ = hostile
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    seen = watch(page)
    base = f"{live_server}/open-data/operations/{op_id}"
    try:
        page.goto(f"{live_server}/open-data")
        assert page.query_selector(f"a[href='/open-data/operations/{op_id}/']") is not None
        page.goto(f"{base}/")
        assert EVIL_STREET in page.inner_text("#units")
        line = page.wait_for_selector(f"#map path.unit-{street_id}")
        line.hover()
        tip = page.wait_for_selector(".leaflet-tooltip")
        assert EVIL_STREET in tip.inner_text()
        line.click()
        _nothing_became_an_element(page)
        page.screenshot(path=str(screens_dir / f"security-xss-opendata-{width}.png"), full_page=True)
        for path in ("/report", f"/units/{street_id}/report"):
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            _nothing_became_an_element(page)
        assert EVIL_STREET in page.inner_text("h1, h2")  # the street's own report is titled with its name
        page.screenshot(path=str(screens_dir / f"security-xss-unit-report-{width}.png"), full_page=True)
        for path in ("/map.svg", f"/units/{street_id}/map.svg"):  # an SVG opened as a document can run script
            answer = page.goto(base + path)
            assert answer is not None and answer.status == 200
            assert answer.headers["content-type"].startswith("image/svg+xml")
            assert "sandbox" in answer.headers["content-security-policy"]  # no script runs in it, whatever it says
            assert page.query_selector("script") is None and page.query_selector("[onload], [onerror]") is None
    finally:
        context.close()
    assert seen.dialogs == [], f"a hostile name ran as script: {seen.dialogs}"
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)
