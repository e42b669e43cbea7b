""""You said, we did" for the planted world: the page and the PDF (its text read back by pypdf) say what
residents said and what was done, hold the priorities and the licence line, and no count from 1 to 7."""

from __future__ import annotations

import io
import re
from html import unescape

from pypdf import PdfReader

from .checks import assert_no_secrets, assert_no_small_counts_in_text, published_count_ok
from .test_publishing import unpublished  # noqa: F401 - a fixture shared with this module
from .world import CONTACT, PRIORITIES

OGL_LINE = "Contains public sector information licensed under the Open Government Licence v3.0."


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _counts_obey_the_rule(html: str) -> None:
    found = re.findall(r'data-count="([a-z_]+)">([^<]*)<', html)
    assert found
    for name, value in found:
        figure = None if value in ("fewer than 8", "&lt;8") else int(value.replace(",", ""))
        assert published_count_ok(figure), (name, value)


async def test_the_operation_report_page(open_world, client):
    client.cookies.clear()
    op = open_world.world.operation_id
    r = await client.get(f"/open-data/operations/{op}/report")
    assert r.status_code == 200, r.text
    html = r.text
    text = _text(html)
    for words in ("You said", "We did", "What happens next", "Who to contact", OGL_LINE, CONTACT, *PRIORITIES,
                  "How safe do you feel walking in this area after dark?", "OpenStreetMap contributors"):
        assert words in text, words
    _counts_obey_the_rule(html)
    assert_no_small_counts_in_text(text, "report page")
    assert_no_secrets(html, "report page")
    # Anti-social behaviour: 9 households -> 10, 30% of the 30 who answered; feeling unsafe: 1 -> suppressed.
    assert re.search(r"Anti-social behaviour</td><td class=\"num\" data-count=\"concern_anti_social_behaviour\">10<",
                     html)
    assert re.search(r"Feeling unsafe</td><td class=\"num\" data-count=\"concern_feeling_unsafe\">&lt;8<", html)
    # Feeling safe after dark: 29 households answered "4" (30, 97%), one answered "1" (suppressed).
    assert re.search(r"●●●●○</span> </td><td class=\"num\" data-count=\"answer\">30</td><td class=\"num\">97%", html)
    assert re.search(r"●○○○○</span> Very unsafe</td><td class=\"num\" data-count=\"answer\">&lt;8</td>"
                     r"<td class=\"num\">–", html)
    assert f'src="/open-data/operations/{op}/map.svg"' in html
    svg = await client.get(f"/open-data/operations/{op}/map.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "<text" not in svg.text


async def test_a_street_report_and_the_withheld_ones(open_world, client):
    op = open_world.world.operation_id
    ash = open_world.streets["Ash Row"]
    r = await client.get(f"/open-data/operations/{op}/units/{ash}/report")
    assert r.status_code == 200, r.text
    text = _text(r.text)
    assert "Ash Row" in text and "households on Ash Row" in text
    _counts_obey_the_rule(r.text)
    assert_no_small_counts_in_text(text, "Ash Row report")
    assert re.search(r'data-count="fix_graffiti_removed">10<', r.text)
    for withheld in (open_world.streets["Cherry Close"], 0, 999999):  # a small street; the other streets (too few)
        missing = await client.get(f"/open-data/operations/{op}/units/{withheld}/report")
        assert missing.status_code == 404 and "Other streets" in missing.text
        assert (await client.get(f"/open-data/operations/{op}/units/{withheld}/report.pdf")).status_code == 404


async def test_the_report_pdf(open_world, client, headers):
    client.cookies.clear()
    op = open_world.world.operation_id
    r = await client.get(f"/open-data/operations/{op}/report.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    text = _pdf_text(r.content)
    for words in ("You said", "We did", OGL_LINE, *PRIORITIES, "Anti-social behaviour"):
        assert words in text, words
    assert_no_small_counts_in_text(text, "report PDF")
    assert_no_secrets(text, "report PDF")
    assert "fewer than 8" in text
    # The street's own report as a PDF.
    unit = await client.get(f"/open-data/operations/{op}/units/{open_world.streets['Elm Street']}/report.pdf")
    unit_text = _pdf_text(unit.content)
    assert "Elm Street" in unit_text and "You said" in unit_text and OGL_LINE in unit_text
    assert_no_small_counts_in_text(unit_text, "Elm Street PDF")
    # A new priority shows in the next PDF (a rendered copy is kept only while nothing changes).
    changed = [*PRIORITIES[:2], "A residents' walkabout with the council before the spring"]
    put = await client.put(f"/api/v1/operations/{op}/priorities", headers=await headers("coordinator"),
                           json={"priorities": changed, "contact": CONTACT})
    assert put.status_code == 200, put.text
    again = _pdf_text((await client.get(f"/open-data/operations/{op}/report.pdf")).content)
    assert changed[2] in again and PRIORITIES[2] not in again
    await client.put(f"/api/v1/operations/{op}/priorities", headers=await headers("coordinator"),
                     json={"priorities": PRIORITIES, "contact": CONTACT})


async def test_coordinators_print_before_publishing(unpublished, client, headers):  # noqa: F811
    client.cookies.clear()
    op = unpublished.world.operation_id
    for path in ("report", "report.pdf", "map.svg"):
        assert (await client.get(f"/open-data/operations/{op}/{path}")).status_code == 404, path
        assert (await client.get(f"/open-data/operations/{op}/{path}",
                                 headers=await headers("officer"))).status_code == 404, path
    page = await client.get(f"/open-data/operations/{op}/report", headers=await headers("coordinator"))
    assert page.status_code == 200 and "Draft: not published yet" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    pdf = await client.get(f"/open-data/operations/{op}/report.pdf", headers=await headers("coordinator"))
    assert pdf.status_code == 200 and "Draft: not published yet" in _pdf_text(pdf.content)
