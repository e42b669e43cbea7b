"""OGC API – Features at /ogc: the documents, paging, bbox, bad input, who sees which collections; the
public items are the CSV's rows under the rule; the internal layers hold no resident's details.
GDAL's OAPIF driver and schemathesis read it from a real server process."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from server.domain.opendata.fields import FIELD_NAMES

from .checks import assert_no_secrets, assert_row_disclosed
from .test_publishing import other_coordinator, unpublished  # noqa: F401 - fixtures shared with this module
from .world import BIG

ASH_ONLY = "-1.5505,53.7995,-1.5485,53.8015"  # Ash Row's line and doors, nothing else (world.py places them)


def _streets(op: int) -> str:
    return f"operation-{op}-streets"


async def _all_items(client, url: str, headers=None) -> tuple[list[dict], list[dict]]:
    """Every feature by following `next` links; also each page's body."""
    features, pages = [], []
    while url:
        r = await client.get(url, headers=headers or {})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/geo+json"
        body = r.json()
        pages.append(body)
        features += body["features"]
        assert body["numberReturned"] == len(body["features"])
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].removeprefix("http://testserver.local") if nxt else None
    return features, pages


async def test_landing_conformance_and_api_document(client):
    client.cookies.clear()
    r = await client.get("/ogc")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    links = {link["rel"]: link for link in r.json()["links"]}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["data"]["href"].endswith("/ogc/collections") and links["data"]["href"].startswith("http")
    assert links["conformance"]["href"].endswith("/ogc/conformance")
    conf = (await client.get("/ogc/conformance")).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30" in conf
    api = await client.get("/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0") and "/collections/{collectionId}/items" in doc["paths"]


async def test_public_collections_and_their_items_are_the_csv_rows(open_world, client):
    client.cookies.clear()
    op = open_world.world.operation_id
    listed = (await client.get("/ogc/collections")).json()["collections"]
    ids = {c["id"] for c in listed}
    assert _streets(op) in ids and not any(i.endswith(("-doors", "-followups", "-full")) for i in ids)
    meta = (await client.get(f"/ogc/collections/{_streets(op)}")).json()
    x0, y0, x1, y1 = meta["extent"]["spatial"]["bbox"][0]
    assert -1.551 < x0 < x1 < -1.53 and 53.79 < y0 < y1 < 53.81
    assert "Open Government Licence" in meta["attribution"]
    assert {link["rel"] for link in meta["links"]} >= {"self", "items", "license", "describedby"}
    # Paged two at a time: a next link on every page but the last.
    features, pages = await _all_items(client, f"/ogc/collections/{_streets(op)}/items?limit=2")
    assert [len(p["features"]) for p in pages] == [2, 1]
    assert all(p["numberMatched"] == len(BIG) for p in pages)
    assert [any(link["rel"] == "next" for link in p["links"]) for p in pages] == [True, False]
    csv_text = (await client.get(f"/open-data/operations/{op}/streets.csv")).text
    rows = {int(r["unit_id"]): r for r in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))}
    assert sorted(f["id"] for f in features) == sorted(rows)
    for f in features:
        props = f["properties"]
        assert list(props) == list(FIELD_NAMES)
        assert_row_disclosed(props, f"ogc {props['unit_name']}")
        as_csv = {k: "" if v is None else str(v) for k, v in props.items()}
        assert as_csv == rows[f["id"]], props["unit_name"]  # the same figures as the CSV
    one = await client.get(f"/ogc/collections/{_streets(op)}/items/{open_world.streets['Ash Row']}")
    assert one.status_code == 200 and one.json()["properties"]["unit_name"] == "Ash Row"


async def test_bbox_limit_and_bad_input(open_world, client):
    op = open_world.world.operation_id
    items = f"/ogc/collections/{_streets(op)}/items"
    inside = (await client.get(f"{items}?bbox={ASH_ONLY}")).json()
    assert [f["properties"]["unit_name"] for f in inside["features"]] == ["Ash Row"]
    assert inside["numberMatched"] == 1
    nowhere = (await client.get(f"{items}?bbox=10,10,11,11")).json()
    assert nowhere["features"] == [] and nowhere["numberMatched"] == 0
    across = (await client.get(f"{items}?bbox=170,53,-1.5485,54")).json()  # across the antimeridian, west to -1.5485
    assert [f["properties"]["unit_name"] for f in across["features"]] == ["Ash Row"]
    big = await client.get(f"{items}?limit=50000")
    assert big.status_code == 200 and "limit=1000" in next(x["href"] for x in big.json()["links"] if x["rel"] == "self")
    bad = {"bbox=1,2,3": "3 values", "bbox=a,b,c,d": "not four numbers", "bbox=1,2,3,4,5,6": "6 values",
           "bbox=1,60,2,50": "min latitude", "bbox=1,2,300,4": "outside", "bbox=nan,1,2,3": "finite",
           "limit=0": "whole number", "limit=-3": "whole number", "limit=ten": "whole number",
           "cursor=abc": "cursor", "colour=red": "Unknown query parameter", "bbox-crs=EPSG:27700": "bbox-crs",
           "f=html": "encoding"}
    for query, reason in bad.items():
        r = await client.get(f"{items}?{query}")
        assert r.status_code == 400, (query, r.text)
        assert reason in r.json()["detail"], (query, r.json())
    for url in (f"/ogc/collections/operation-{op}-nope/items", "/ogc/collections/operation-99999999-streets",
                "/ogc/collections/whatever/items", f"{items}/999999999", f"{items}/abc",
                f"{items}/{open_world.streets['Cherry Close']}"):  # withheld in "other streets"
        r = await client.get(url)
        assert r.status_code == 404, url
        assert r.json()["detail"]


async def test_internal_layers_for_the_coordinator_only(open_world, unpublished, client, headers,  # noqa: F811
                                                        other_coordinator):  # noqa: F811
    op, hidden = open_world.world.operation_id, unpublished.world.operation_id
    coordinator = await headers("coordinator")
    ids = {c["id"] for c in (await client.get("/ogc/collections", headers=coordinator)).json()["collections"]}
    for kind in ("streets-full", "doors", "followups"):
        assert f"operation-{op}-{kind}" in ids and f"operation-{hidden}-{kind}" in ids
        assert (await client.get(f"/ogc/collections/operation-{op}-{kind}")).status_code == 404  # signed out
        assert (await client.get(f"/ogc/collections/operation-{op}-{kind}",
                                 headers=other_coordinator)).status_code == 404
    assert _streets(hidden) not in ids  # not published: no public collection, even for its coordinator
    assert (await client.get("/ogc/collections", headers={"Authorization": "Bearer forged"})).status_code == 401
    # Doors with their status, every page; no resident's details.
    doors, pages = await _all_items(client, f"/ogc/collections/operation-{op}-doors/items?limit=15", coordinator)
    assert len(doors) == sum(len(v) for v in open_world.households.values()) == pages[0]["numberMatched"]
    assert {d["properties"]["status"] for d in doors} == {"answered", "to_revisit", "not_knocked"}
    assert all(d["geometry"]["type"] == "Point" for d in doors)
    ash = (await client.get(f"/ogc/collections/operation-{op}-doors/items?bbox={ASH_ONLY}", headers=coordinator)).json()
    assert ash["numberMatched"] == 12 and {d["properties"]["street_name"] for d in ash["features"]} == {"Ash Row"}
    followups, _ = await _all_items(client, f"/ogc/collections/operation-{op}-followups/items", coordinator)
    assert sorted(f["properties"]["category"] for f in followups) == sorted(
        ["street_lighting", "fly_tipping", "anti_social_behaviour", "street_lighting"])
    assert all(f["properties"]["agency_code"] and f["properties"]["status"] == "open" for f in followups)
    fid = followups[0]["id"]
    one = await client.get(f"/ogc/collections/operation-{op}-followups/items/{fid}", headers=coordinator)
    assert one.status_code == 200 and one.json()["id"] == fid
    assert (await client.get(f"/ogc/collections/operation-{op}-followups/items/{uuid.uuid4()}",
                             headers=coordinator)).status_code == 404
    full, _ = await _all_items(client, f"/ogc/collections/operation-{op}-streets-full/items", coordinator)
    api = (await client.get(f"/api/v1/operations/{op}/streets", headers=coordinator)).json()["items"]
    by_id = {s["street_id"]: s for s in api}
    for f in full:  # the dashboard's own figures, unrounded
        p = f["properties"]
        assert p["households"] == by_id[f["id"]]["households"] and p["answered"] == by_id[f["id"]]["answered"]
    assert {f["properties"]["name"]: f["properties"]["answered"] for f in full}["Beech Lane"] == 3
    for body in (doors, followups, full):
        text = str(body)
        assert_no_secrets(text, "internal layer")
        assert "description" not in text and "resident" not in text


# ---------------------------------------------------------------- real clients against a real server process


def _ogrinfo(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GDAL_HTTP_HEADERS"}
    env.update(GDAL_HTTP_TIMEOUT="30", CPL_DEBUG="ON")
    if token:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {token}"
    return subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow
def test_gdal_reads_the_service(open_world, live_server):
    import httpx

    op = open_world.world.operation_id
    service = f"OAPIF:{live_server}/ogc"
    listed = _ogrinfo(service)
    assert listed.returncode == 0, listed.stderr
    assert f": {_streets(op)} " in listed.stdout and f"operation-{op}-doors" not in listed.stdout
    # Every feature, two a page (smaller than the collection), typed from the collection's schema.
    paged = _ogrinfo("-oo", "PAGE_SIZE=2", service, _streets(op))
    assert paged.returncode == 0, paged.stderr
    assert paged.stdout.count("OGRFeature(") == len(BIG)
    assert len(re.findall(r"items\?limit=2", paged.stderr)) >= 2  # it followed a next link
    assert "households: Integer" in paged.stdout
    assert set(re.findall(r"unit_name \(String\) = (.+)", paged.stdout)) == set(BIG)
    # A spatial filter: GDAL sends it as bbox, and only Ash Row comes back.
    x0, y0, x1, y1 = ASH_ONLY.split(",")
    spat = _ogrinfo("-spat", x0, y0, x1, y1, service, _streets(op))
    assert spat.returncode == 0, spat.stderr
    assert re.findall(r"unit_name \(String\) = (.+)", spat.stdout) == ["Ash Row"]
    assert re.search(r"items\?limit=\d+&bbox=", spat.stderr)
    # With a coordinator's token: the internal layers are listed and read, every door, fifteen a page.
    token = httpx.post(f"{live_server}/api/v1/auth/token",
                       json={"username": "coordinator", "password": "doorstep-demo"}).json()["access_token"]
    signed_in = _ogrinfo(service, token=token)
    assert signed_in.returncode == 0, signed_in.stderr
    for kind in ("streets-full", "doors", "followups"):
        assert f"operation-{op}-{kind}" in signed_in.stdout
    doors = _ogrinfo("-oo", "PAGE_SIZE=15", service, f"operation-{op}-doors", token=token)
    assert doors.returncode == 0, doors.stderr
    assert doors.stdout.count("OGRFeature(") == sum(len(v) for v in open_world.households.values())
    assert "status (String) = answered" in doors.stdout
    followups = _ogrinfo(service, f"operation-{op}-followups", token=token)
    assert followups.stdout.count("OGRFeature(") == 4 and "agency_code (String)" in followups.stdout


OGC_DOCUMENT = __import__("server.domain.opendata.ogc_openapi", fromlist=["openapi_document"]).openapi_document(
    "http://127.0.0.1/ogc", 100, 1000)
ogc_schema = schemathesis.openapi.from_dict(OGC_DOCUMENT, config=schemathesis.Config.from_dict({}))


@pytest.fixture(scope="module")
def ogc_target(open_world, live_server) -> tuple[str, str]:
    return f"{live_server}/ogc", _streets(open_world.world.operation_id)


@pytest.mark.slow
@ogc_schema.parametrize()
@settings(max_examples=15, deadline=None, database=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_the_ogc_openapi_document_holds_on_a_real_server(case, ogc_target):
    """schemathesis reads the OGC API's own OpenAPI document and checks every answer of a real server
    process: never a 5xx, the documented content type and schema. Half the collection ids are pointed
    at the published test collection, so the answers get past "not found"."""
    base, collection = ogc_target
    params = case.path_parameters or {}
    if "collectionId" in params and len(str(params["collectionId"])) % 2 == 0:
        params["collectionId"] = collection
    case.call_and_validate(base_url=base, timeout=30, checks=[not_a_server_error, content_type_conformance,
                                                              response_schema_conformance])
