"""Stored XSS (issue 11): text from a map file or a person is shown as text, never run.

The review imported an OpenStreetMap extract with a street named
``Evil <img src=x onerror=alert(9)> Street`` and the dashboard map ran it in a coordinator's page
when the street was hovered. Here the same extract goes through the real importer (`doorstep
import-osm`), a coordinator names a pair with markup too, a visit makes the door one to revisit,
and Chromium hovers and clicks everything that shows those names, listening for a dialog.
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


def _osm(path: Path) -> Path:
    """A street with the hostile name and two doors on it, as an OSM extract (XML-escaped, as OSM writes it)."""
    name = quoteattr(EVIL_STREET)
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
<node id="1" version="1" lat="53.9000" lon="-1.6000"/>
<node id="2" version="1" lat="53.9008" lon="-1.5970"/>
<node id="3" version="1" lat="53.9004" lon="-1.5990"><tag k="addr:housenumber" v="1"/>
  <tag k="addr:street" v={name}/></node>
<node id="4" version="1" lat="53.9006" lon="-1.5980"><tag k="addr:housenumber" v="3"/>
  <tag k="addr:street" v={name}/></node>
<way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v={name}/></way>
</osm>
""")
    return path


def _bearer(base: str, username: str, password: str = DEMO) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _hostile_operation(base: str, database_url: str, tmp_path: Path) -> tuple[int, int]:
    """(operation id, street id): the extract imported, a pair with a hostile name on it, one door knocked."""
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
    pushed = httpx.post(f"{base}/api/v1/sync/push", headers=officer,
                        json={"device_id": "xss-test", "records": [visit]}, timeout=30)
    assert pushed.json()["results"][0]["status"] == "stored", pushed.text
    return op_id, street["id"]


def test_hostile_names_from_a_map_file_and_a_person_stay_text(live_server, database_url, browser, tmp_path,
                                                               screens_dir):
    op_id, street_id = _hostile_operation(live_server, database_url, tmp_path)
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
            # Nothing the names carried became an element.
            assert page.query_selector("img[src='x']") is None and page.query_selector("main b[onmouseover]") is None
    finally:
        context.close()
    assert seen.dialogs == [], f"a hostile name ran as script: {seen.dialogs}"
    assert seen.refused == [], f"the CSP had to refuse something (it should never come to that): {seen.refused}"
