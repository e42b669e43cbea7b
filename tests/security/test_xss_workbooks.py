"""Stored XSS through a questionnaire workbook (issue 11, "every text that came from a file"): an
XLSForm whose title and labels carry markup, and a broken one whose problems quote a hostile cell, are
uploaded through the questionnaires page in Chromium with a dialog listener; both show as text."""

from __future__ import annotations

import html
import uuid

import pytest
from sqlalchemy import text

from shared_schemas.cards import new_code, shown
from tests.questionnaires.workbooks import SETTINGS, SURVEY, with_cell, workbook
from tests.security.support import signed_in_page, watch

EVIL_TITLE = "Survey <img src=x onerror=alert(4)>"
EVIL_LABEL = '<svg onload=alert(3)></svg>Seen "><script>alert(2)</script> anything?'
EVIL_TYPE = "<img src=x onerror=alert(1)>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_a_workbooks_texts_reach_a_resident_as_text(client, headers, db_engine, demo):
    """The same hostile workbook as an operation's questionnaire: the resident's page (plain, no script)
    shows its title and label escaped, never as markup."""
    from tests.sync.conftest import make_operation, visit

    form_id = f"evil-{uuid.uuid4().hex[:8]}"
    settings = with_cell(with_cell(SETTINGS, 2, "form_id", form_id), 2, "form_title", EVIL_TITLE)
    r = await client.post("/api/v1/questionnaires/import?filename=evil.xlsx",
                          content=workbook(survey=with_cell(SURVEY, 2, "label::English (en)", EVIL_LABEL),
                                           settings=settings),
                          headers={**await headers("coordinator"), "Content-Type": XLSX})
    assert r.status_code == 200, r.text
    op = await make_operation(db_engine, demo, households=2)
    async with db_engine.begin() as conn:
        await conn.execute(text("UPDATE operation SET questionnaire_id = :q WHERE id = :o"),
                           {"q": r.json()["id"], "o": op.id})
    code = new_code()
    # Not marked browser: browser tests run last (tests/conftest.py), and no async test can run once
    # Playwright's loop runs in this thread.
    r = await client.post("/api/v1/sync/push", headers=await headers("officer"), json={
        "device_id": "tab-evil", "records": [visit(op, household=0, outcome="card_left", card_code=code)]})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "stored", r.text
    page = await client.post("/respond", data={"code": shown(code), "lang": "en"},
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert page.status_code == 200, page.text
    assert html.escape(EVIL_TITLE, quote=False) in page.text or html.escape(EVIL_TITLE) in page.text
    assert "Seen &#34;&gt;&lt;script&gt;" in page.text or "Seen &quot;&gt;&lt;script&gt;" in page.text, page.text
    for raw in ("<img src=x", "<svg onload", "<script>alert"):
        assert raw not in page.text, raw


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_hostile_texts_in_a_workbook_stay_text(live_server, browser, screens_dir, width):
    form_id = f"evil-{uuid.uuid4().hex[:8]}"
    settings = with_cell(with_cell(SETTINGS, 2, "form_id", form_id), 2, "form_title", EVIL_TITLE)
    good = workbook(survey=with_cell(SURVEY, 2, "label::English (en)", EVIL_LABEL), settings=settings)
    bad = workbook(survey=with_cell(SURVEY, 3, "type", EVIL_TYPE),
                   settings=with_cell(settings, 2, "form_id", form_id + "-bad"))
    context, page = signed_in_page(browser, live_server, "coordinator", area="/dashboard", width=width)
    seen = watch(page)
    try:
        page.goto(f"{live_server}/dashboard/questionnaires")
        page.set_input_files("#questionnaire-file", files=[{"name": "bad.xlsx", "mimeType": XLSX, "buffer": bad}])
        page.click("#upload-questionnaire button[type=submit]")
        page.wait_for_selector("#upload-problems li")
        problems = page.inner_text("#upload-problems")
        assert "<img src=x onerror=alert(1)>" in problems, problems
        assert page.query_selector_all("#upload-problems img, #upload-problems script") == []

        page.set_input_files("#questionnaire-file", files=[{"name": "evil.xlsx", "mimeType": XLSX, "buffer": good}])
        page.click("#upload-questionnaire button[type=submit]")
        page.wait_for_selector("#upload-result:not(:empty)")
        assert f"{form_id}-v1" in page.inner_text("#upload-result"), page.inner_text("#upload-result")
        # The page reloads itself after a publish, listing the new version.
        row = page.wait_for_selector(f"tr[data-questionnaire-id='{form_id}-v1']", timeout=20_000)
        assert EVIL_TITLE in row.inner_text(), row.inner_text()
        assert row.query_selector_all("img, script, svg") == []
        row.hover()
        page.screenshot(path=str(screens_dir / f"security-xss-workbook-{width}.png"), full_page=True)
    finally:
        context.close()
    assert seen.dialogs == [] and seen.refused == [], (seen.dialogs, seen.refused)

