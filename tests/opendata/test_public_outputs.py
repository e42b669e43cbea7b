"""Every public output of the planted world under the disclosure rule: the CSV (read by the csv module),
the GeoJSON (read by GDAL), the data package (validated and read by frictionless, from a real server
process), the open-data page. Signed out throughout."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import subprocess
from email.utils import parsedate_to_datetime

import pytest

from server.domain.opendata.fields import COUNT_FIELDS, FIELD_NAMES, RATE_FIELDS

from .checks import (
    assert_no_secrets,
    assert_no_small_counts_in_text,
    assert_row_disclosed,
    assert_totals_follow_the_rule,
)
from .world import BIG, EXPECTED


def _typed(row: dict[str, str]) -> dict:
    out: dict = {}
    for k, v in row.items():
        if k in COUNT_FIELDS or k in {f.name for f in RATE_FIELDS} or k == "unit_id":
            out[k] = None if v == "" else int(v)
        else:
            out[k] = v
    return out


def _check_units(rows: list[dict], where: str) -> None:
    assert [r["unit_name"] for r in rows] == list(BIG), where  # Cherry Close + Damson Walk: 3 households, withheld
    for r in rows:
        assert_row_disclosed(r, f"{where} {r['unit_name']}")
        for name, value in EXPECTED[r["unit_name"]].items():
            assert r[name] == value, (where, r["unit_name"], name, r[name], value)


async def test_streets_csv(open_world, client):
    client.cookies.clear()
    r = await client.get(f"/open-data/operations/{open_world.world.operation_id}/streets.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    # A CSV cannot say inside when its figures last changed: the answer's Last-Modified does, to the day,
    # the same day as the GeoJSON's last_updated.
    geojson = (await client.get(f"/open-data/operations/{open_world.world.operation_id}/streets.geojson")).json()
    modified = parsedate_to_datetime(r.headers["last-modified"])
    assert modified.date().isoformat() == geojson["last_updated"] and modified.time() == dt.time()
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(text[1:]))
    assert reader.fieldnames == list(FIELD_NAMES)
    rows = [_typed(row) for row in reader]
    _check_units(rows, "csv")
    assert_no_secrets(text, "csv")
    assert "1 Ash Row" not in text  # no door-level rows


async def test_streets_geojson_read_by_gdal(open_world, client, tmp_path):
    op = open_world.world.operation_id
    r = await client.get(f"/open-data/operations/{op}/streets.geojson")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["licence"].startswith("Contains public sector information")
    assert "OpenStreetMap" in body["attribution"]
    assert_totals_follow_the_rule(body["totals"], EXPECTED["totals"])
    rows = [{**f["properties"]} for f in body["features"]]
    _check_units(rows, "geojson")
    for f in body["features"]:
        assert f["id"] == f["properties"]["unit_id"] == open_world.streets[f["properties"]["unit_name"]]
        assert f["geometry"]["type"] == "MultiLineString"
        for line in f["geometry"]["coordinates"]:
            for lon, lat in line:  # RFC 7946: longitude, latitude in WGS 84
                assert -1.6 < lon < -1.5 and 53.79 < lat < 53.81
    assert_no_secrets(r.text, "geojson")
    # GDAL reads it as a GeoJSON layer with one feature per unit, and nulls where counts are suppressed.
    path = tmp_path / "streets.geojson"
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("OGRFeature(") == len(BIG)
    assert re.search(r"households_visited \(Integer\) = \(null\)", out.stdout)


async def test_the_operation_page(open_world, client):
    client.cookies.clear()
    op = open_world.world.operation_id
    r = await client.get(f"/open-data/operations/{op}/")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Contains public sector information licensed under the Open Government Licence v3.0." in html
    assert "OpenStreetMap contributors" in html and 'id="last-updated"' in html
    assert "Not published yet" not in html
    for name, value in re.findall(r'data-count="([a-z_]+)">([^<]*)<', html):
        assert value in ("fewer than 8", "&lt;8", "0") or (int(value.replace(",", "")) % 5 == 0
                                                           and int(value.replace(",", "")) >= 10), (name, value)
    text = re.sub(r"<[^>]+>", " ", html)
    assert_no_small_counts_in_text(text, "page")
    assert_no_secrets(html, "page")
    for street in BIG:
        assert street in html
    assert "Cherry Close" not in html  # withheld with the other small streets
    for link in ("streets.csv", "streets.geojson", "datapackage.json", "report.pdf"):
        assert f"/open-data/operations/{op}/{link}" in html
    listing = await client.get("/open-data")
    assert listing.status_code == 200 and open_world.world.name in listing.text


@pytest.mark.slow
def test_the_data_package_validates_and_its_resources_obey_the_rule(open_world, live_server):
    url = f"{live_server}/open-data/operations/{open_world.world.operation_id}/datapackage.json"
    out = subprocess.run([".venv/bin/frictionless", "validate", "--json", url], capture_output=True, text=True,
                         timeout=180)
    report = json.loads(out.stdout)
    assert out.returncode == 0 and report["valid"], json.dumps(report, indent=1)[:4000]
    from frictionless import Package

    package = Package(url)
    assert [lic["name"] for lic in package.to_descriptor()["licenses"]] == ["OGL-UK-3.0"]
    resource = package.get_resource("streets")
    assert resource.schema.missing_values == [""]
    with resource:
        rows = [dict(row) for row in resource.row_stream]
    _check_units(rows, "datapackage")
    described = {f.name: f.description for f in resource.schema.fields}
    assert all(described[n] for n in FIELD_NAMES)
