"""Read an OSM extract (.osm XML or .osm.pbf) into streets and households. No database.

Streets: ways tagged highway=primary/secondary/tertiary/unclassified/residential/
living_street/service with a name; all ways of one name are one street. Footways,
cycleways, steps, pedestrian areas, tracks and trunk roads are not walked door to door
and are left out (see fixtures/areas/README.md).

Households: buildings (closed ways and multipolygon relations tagged building=*) with
addr:housenumber, at their centroid; nodes with addr:housenumber ("address points");
and generated doors along residential streets that have no house numbers in OSM
(server/domain/areas/generate.py).

Buildings: every building's outline (numbered or not), kept to be drawn faintly on the coordinators'
maps for a sense of place.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import osmium

from server.domain.areas.features import (
    Area,
    AreaFileError,
    BuildingFeature,
    HouseholdFeature,
    StreetFeature,
    name_key,
    number_side,
)
from server.domain.areas.generate import generate_households
from server.domain.areas.geometry import centroid
from server.domain.areas.linemerge import Node, join_ways

STREET_HIGHWAYS = frozenset(
    {"primary", "secondary", "tertiary", "unclassified", "residential", "living_street", "service"}
)
RESIDENTIAL_HIGHWAYS = frozenset({"residential", "living_street"})


def street_ref(name: str, locality: str | None) -> str:
    digest = hashlib.sha256(f"{name_key(name)}|{(locality or '').casefold()}".encode()).hexdigest()
    return f"OSM-ST-{digest[:10].upper()}"


def read_area(path: str | Path) -> Area:
    path = Path(path)
    if not path.is_file():
        raise AreaFileError(f"{path}: no such file")
    try:
        raw = _scan(path)
    except RuntimeError as exc:  # osmium reports parse and format errors as RuntimeError
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AreaFileError(f"{path.name}: not a readable OSM file ({detail})") from None
    if not raw.street_ways:
        raise AreaFileError(
            f"{path.name}: no named streets found (highway={'/'.join(sorted(STREET_HIGHWAYS))} with a name)"
        )
    return _assemble(raw)


class _Raw:
    def __init__(self) -> None:
        self.street_ways: dict[str, list[tuple[int, str, list[Node]]]] = defaultdict(list)
        self.display_name: dict[str, str] = {}
        self.households: list[HouseholdFeature] = []
        self.cities: Counter[str] = Counter()
        self.postcodes: dict[str, Counter[str]] = defaultdict(Counter)
        self.numbered_building_ways: set[int] = set()
        self.building_areas: set[int] = set()
        self.buildings: list[BuildingFeature] = []
        self.skipped: Counter[str] = Counter()


def _scan(path: Path) -> _Raw:
    raw = _Raw()
    # with_areas() assembles closed ways and multipolygon relations into areas (for
    # building centroids) and turns on the node location cache (for way geometry).
    for obj in osmium.FileProcessor(str(path)).with_areas():
        tags = obj.tags
        if not isinstance(obj, osmium.osm.Area):  # an area repeats its way's or relation's tags: count each object once
            if "addr:city" in tags:
                raw.cities[tags["addr:city"]] += 1
            if "addr:street" in tags and "addr:postcode" in tags:
                raw.postcodes[name_key(tags["addr:street"])][tags["addr:postcode"]] += 1
        if isinstance(obj, osmium.osm.Node):
            if "addr:housenumber" in tags:
                raw.households.append(_household(f"OSM-N{obj.id}", tags, obj.lon, obj.lat, "address_point"))
        elif isinstance(obj, osmium.osm.Way):
            if tags.get("highway") in STREET_HIGHWAYS and (tags.get("name") or "").strip():
                nodes = [(n.ref, (n.lon, n.lat)) for n in obj.nodes if n.location.valid()]
                if len(nodes) < 2:
                    raw.skipped["street way without node locations"] += 1
                    continue
                name = " ".join(tags["name"].split())
                raw.display_name.setdefault(name_key(name), name)
                raw.street_ways[name_key(name)].append((obj.id, tags["highway"], nodes))
            if "building" in tags and "addr:housenumber" in tags:
                raw.numbered_building_ways.add(obj.id)
        elif isinstance(obj, osmium.osm.Area) and "building" in tags:
            letter = "W" if obj.from_way() else "R"
            polygons = tuple(
                (_ring(ring), *(_ring(hole) for hole in obj.inner_rings(ring))) for ring in obj.outer_rings())
            raw.buildings.append(BuildingFeature(f"OSM-{letter}{obj.orig_id()}", polygons))
            if "addr:housenumber" in tags:
                outer = [list(p[0]) for p in polygons]
                inner = [list(hole) for p in polygons for hole in p[1:]]
                lon, lat = centroid(outer, inner)
                raw.households.append(_household(f"OSM-{letter}{obj.orig_id()}", tags, lon, lat, "building"))
                if obj.from_way():
                    raw.building_areas.add(obj.orig_id())
    raw.skipped["building with house number but no closed outline"] = len(
        raw.numbered_building_ways - raw.building_areas
    )
    return raw


def _ring(ring) -> tuple[tuple[float, float], ...]:
    # 7 decimals: a centimetre, as the households' points are stored.
    return tuple((round(n.lon, 7), round(n.lat, 7)) for n in ring)


def _household(ref: str, tags, lon: float, lat: float, source: str) -> HouseholdFeature:
    number = " ".join(tags["addr:housenumber"].split())
    street = tags.get("addr:street") or tags.get("addr:place")
    line = f"{number} {street}" if street else number
    prefix = [p for p in (tags.get("addr:unit"), tags.get("addr:housename")) if p]
    return HouseholdFeature(
        ref=ref,
        address=", ".join([*prefix, line])[:300],
        house_number=number[:40],
        street_name=street,
        postcode=(tags.get("addr:postcode") or "")[:12] or None,
        lon=round(lon, 7),
        lat=round(lat, 7),
        source=source,
        side=number_side(number),
    )


def _assemble(raw: _Raw) -> Area:
    # One locality for the whole extract: the commonest addr:city (ties: alphabetical).
    locality = min(raw.cities.items(), key=lambda kv: (-kv[1], kv[0]))[0] if raw.cities else None
    streets = []
    for key in sorted(raw.street_ways):
        ways = raw.street_ways[key]
        name = raw.display_name[key]
        streets.append(
            StreetFeature(
                ref=street_ref(name, locality),
                name=name,
                locality=locality,
                lines=tuple(tuple(line) for line in join_ways((wid, nodes) for wid, _, nodes in ways)),
                residential_lines=tuple(
                    tuple(line)
                    for line in join_ways((wid, nodes) for wid, hw, nodes in ways if hw in RESIDENTIAL_HIGHWAYS)
                ),
                way_ids=tuple(sorted(wid for wid, _, _ in ways)),
            )
        )
    by_key = {name_key(s.name): s for s in streets}
    osm_households = sorted(raw.households, key=lambda h: h.ref)
    numbered = {name_key(h.street_name) for h in osm_households if h.street_name and h.house_number}
    linked = [
        _with_street(h, by_key.get(name_key(h.street_name)) if h.street_name else None) for h in osm_households
    ]
    generated = []
    for s in streets:
        if s.is_residential and name_key(s.name) not in numbered:
            postcodes = raw.postcodes.get(name_key(s.name))
            postcode = min(postcodes.items(), key=lambda kv: (-kv[1], kv[0]))[0] if postcodes else None
            generated.extend(generate_households(s, postcode))
    skipped = {k: v for k, v in raw.skipped.items() if v}
    return Area(streets=tuple(streets), households=tuple(linked + generated), locality=locality, skipped=skipped,
                buildings=tuple(raw.buildings))


def _with_street(h: HouseholdFeature, street: StreetFeature | None) -> HouseholdFeature:
    if street is None:
        return h
    return replace(h, street_ref=street.ref)
