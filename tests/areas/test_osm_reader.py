"""The OSM reader and door generation, without a database."""

from __future__ import annotations

import gzip
import math
from collections import Counter
from pathlib import Path

import osmium
import pytest

from server.domain.areas.features import AreaFileError, name_key
from server.domain.areas.generate import OFFSET_M, SPACING_M
from server.domain.areas.osm_reader import STREET_HIGHWAYS, read_area

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures/areas"
WOODHOUSE = FIXTURES / "leeds-woodhouse.osm.pbf"
BRISTOL = FIXTURES / "bristol-bs5.osm"
R = 6_371_008.8


def haversine(a, b) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


class Census(osmium.SimpleHandler):
    """A second, independent pass over a file (osmium's callback API, no code shared with the reader)."""

    def __init__(self):
        super().__init__()
        self.street_names: set[str] = set()
        self.residential_ways: list[tuple[str | None, float]] = []  # (name, length in metres)
        self.buildings = 0
        self.numbered: Counter[str] = Counter()  # "n"/"w"/"r" -> objects with addr:housenumber
        self.numbered_streets: set[str] = set()

    def _numbered(self, kind, o):
        if "addr:housenumber" in o.tags:
            self.numbered[kind] += 1
            if "addr:street" in o.tags:
                self.numbered_streets.add(name_key(o.tags["addr:street"]))

    def node(self, n):
        self._numbered("n", n)

    def way(self, w):
        self._numbered("w", w)
        self.buildings += "building" in w.tags
        if w.tags.get("highway") in STREET_HIGHWAYS and w.tags.get("name"):
            self.street_names.add(w.tags["name"])
        if w.tags.get("highway") == "residential":
            pts = [(n.lon, n.lat) for n in w.nodes]
            self.residential_ways.append(
                (w.tags.get("name"), sum(haversine(a, b) for a, b in zip(pts, pts[1:], strict=False)))
            )

    def relation(self, r):
        self._numbered("r", r)


def census(path: Path) -> Census:
    c = Census()
    c.apply_file(str(path), locations=True)
    return c


@pytest.fixture(scope="module")
def woodhouse():
    return read_area(WOODHOUSE)


@pytest.fixture(scope="module")
def bristol():
    return read_area(BRISTOL)


def test_woodhouse_counts_match_an_independent_pass(woodhouse):
    c = census(WOODHOUSE)
    # The numbers the extract was described with, then the same from osmium's callback API.
    assert (len(c.street_names), len(c.residential_ways), c.buildings, sum(c.numbered.values())) == (37, 21, 80, 21)
    assert {s.name for s in woodhouse.streets} == c.street_names
    sources = Counter(h.source for h in woodhouse.households)
    # Woodhouse's 21 house numbers are all on nodes (shops and cafés on Woodhouse Lane and
    # Blenheim Terrace); no building has one.
    assert sources["address_point"] == c.numbered["n"] == 21
    assert sources["building"] == c.numbered["w"] + c.numbered["r"] == 0
    # No residential street has an OSM house number, so every named residential way gets
    # doors: 2 per full 12 m of its length (each of these ways is a piece on its own).
    assert not {name_key(n) for n, _ in c.residential_ways if n} & c.numbered_streets
    expected = sum(2 * int(length // SPACING_M) for name, length in c.residential_ways if name)
    assert sources["generated"] == expected == 278
    assert len(woodhouse.households) == 299


def test_bristol_counts_match_an_independent_pass(bristol):
    c = census(BRISTOL)
    assert (len(c.street_names), c.buildings, sum(c.numbered.values())) == (10, 89, 43)
    assert {s.name for s in bristol.streets} == c.street_names
    sources = Counter(h.source for h in bristol.households)
    assert sources["building"] == c.numbered["w"] == 43
    assert sources["address_point"] == 0
    # Claremont Terrace is the one residential street without house numbers: 55.1 m long,
    # so 4 positions (6, 18, 30, 42 m) and 8 doors.
    generated = [h for h in bristol.households if h.source == "generated"]
    assert {h.street_name for h in generated} == {"Claremont Terrace"}
    (length,) = [n for name, n in c.residential_ways if name == "Claremont Terrace"]
    assert 48 <= length < 60
    assert len(generated) == 8
    # The generated doors take the postcode the street's OSM buildings carry.
    assert {h.postcode for h in generated} == {"BS5 9NX"}


def test_buildings_become_households_at_their_centroid_with_their_address(bristol):
    h = next(h for h in bristol.households if h.ref == "OSM-W905830140")
    assert (h.address, h.house_number, h.postcode, h.source, h.side) == (
        "1 Terrell Gardens", "1", "BS5 9NY", "building", "odd",
    )
    street = next(s for s in bristol.streets if s.name == "Terrell Gardens")
    assert h.street_ref == street.ref
    outline = [(n.lon, n.lat) for o in osmium.FileProcessor(str(BRISTOL)).with_locations()
               if o.type_str() == "w" and o.id == 905830140 for n in o.nodes]
    # The centroid of a small house lies inside its outline's bounding box, near its middle.
    lons, lats = [p[0] for p in outline], [p[1] for p in outline]
    assert min(lons) < h.lon < max(lons) and min(lats) < h.lat < max(lats)
    assert haversine((h.lon, h.lat), (sum(lons[:-1]) / len(lons[:-1]), sum(lats[:-1]) / len(lats[:-1]))) < 3


def test_ways_of_one_name_are_joined_into_one_line(woodhouse):
    # St. Marks Road is three tertiary ways (10, 3 and 3 nodes) meeting end to end: one line of 14 points.
    marks = next(s for s in woodhouse.streets if s.name == "St. Marks Road")
    assert marks.way_ids == (609718990, 609718991, 609718992)
    assert len(marks.lines) == 1 and len(marks.lines[0]) == 14
    # Clarendon Road: two ways (16 and 21 nodes) sharing one node.
    clarendon = next(s for s in woodhouse.streets if s.name == "Clarendon Road")
    assert [len(line) for line in clarendon.lines] == [36]


def test_joining_reverses_ways_and_keeps_separate_pieces_apart(osm):
    # A -> B, C -> B (drawn backwards) and C -> D: one line A B C D; E -> F elsewhere: a second piece.
    path = osm.write(
        "join.osm",
        osm.node(1, -1.5600, 53.80), osm.node(2, -1.5590, 53.80), osm.node(3, -1.5580, 53.80),
        osm.node(4, -1.5570, 53.80), osm.node(5, -1.5500, 53.81), osm.node(6, -1.5490, 53.81),
        osm.way(10, [1, 2], highway="residential", name="Mill Lane"),
        osm.way(11, [3, 2], highway="service", name="Mill  Lane"),
        osm.way(12, [3, 4], highway="residential", name="Mill Lane"),
        osm.way(13, [5, 6], highway="residential", name="Mill Lane"),
        osm.way(14, [1, 4], highway="footway", name="Mill Lane"),  # footways are not streets
    )
    (street,) = read_area(path).streets
    assert street.name == "Mill Lane" and street.way_ids == (10, 11, 12, 13)
    assert street.lines == (
        ((-1.56, 53.8), (-1.559, 53.8), (-1.558, 53.8), (-1.557, 53.8)),
        ((-1.55, 53.81), (-1.549, 53.81)),
    )
    # Only the residential ways carry generated doors (the service way does not).
    assert street.residential_lines == (
        ((-1.56, 53.8), (-1.559, 53.8)), ((-1.558, 53.8), (-1.557, 53.8)), ((-1.55, 53.81), (-1.549, 53.81)),
    )


def test_generated_doors_worked_by_hand(woodhouse):
    # Blandford Grove is one residential way of two nodes, 41.5 m long, with no OSM house
    # numbers: positions at 6, 18 and 30 m from its first node (42 m would be past the end);
    # 1, 3, 5 on the left 10 m out, 2, 4, 6 on the right.
    street = next(s for s in woodhouse.streets if s.name == "Blandford Grove")
    (a, b), = street.residential_lines
    doors = {h.house_number: h for h in woodhouse.households if h.street_ref == street.ref}
    assert sorted(doors, key=int) == ["1", "2", "3", "4", "5", "6"]
    kx = math.pi / 180 * R * math.cos(math.radians(a[1]))
    ky = math.pi / 180 * R
    bx, by = (b[0] - a[0]) * kx, (b[1] - a[1]) * ky
    ab = math.hypot(bx, by)
    for number, h in doors.items():
        px, py = (h.lon - a[0]) * kx, (h.lat - a[1]) * ky
        along = (px * bx + py * by) / ab
        across = (bx * py - by * px) / ab  # > 0: left of the direction a -> b
        n = int(number)
        assert along == pytest.approx(SPACING_M / 2 + SPACING_M * ((n - 1) // 2), abs=0.05)
        assert across == pytest.approx(OFFSET_M if n % 2 else -OFFSET_M, abs=0.05)
        assert (h.side, h.address, h.source, h.ref) == (
            "odd" if n % 2 else "even", f"{n} Blandford Grove", "generated",
            f"OSM-G-{street.ref.removeprefix('OSM-ST-')}-{n}",
        )


def test_generated_sides_odd_left_even_right_everywhere(woodhouse):
    streets = {s.ref: s for s in woodhouse.streets}
    for h in (h for h in woodhouse.households if h.source == "generated"):
        line = min(streets[h.street_ref].residential_lines,
                   key=lambda ln: min(haversine(p, (h.lon, h.lat)) for p in ln))
        # sign of the cross product with the nearest segment's direction, in local metres
        best = None
        for a, b in zip(line, line[1:], strict=False):
            kx = math.cos(math.radians(a[1]))
            ax, ay, bx, by = a[0] * kx, a[1], b[0] * kx, b[1]
            px, py = h.lon * kx, h.lat
            t = max(0.0, min(1.0, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
            d = math.hypot(ax + t * (bx - ax) - px, ay + t * (by - ay) - py)
            cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
            if best is None or d < best[0]:
                best = (d, cross)
        assert (best[1] > 0) == (int(h.house_number) % 2 == 1), h.address


def test_reading_is_deterministic():
    first, second = read_area(WOODHOUSE), read_area(WOODHOUSE)
    assert first == second
    refs = [h.ref for h in first.households]
    assert len(refs) == len(set(refs)), "household refs are unique"
    assert len({s.ref for s in first.streets}) == 37
    # Street refs hang on name and locality only: stable across re-imports and other edits.
    cromer = next(s for s in first.streets if s.name == "Cromer Terrace")
    assert cromer.ref.startswith("OSM-ST-") and cromer.locality == "Leeds"


def test_address_names_match_street_names_loosely(osm):
    # OSM writes "St. Marks Road" on the highway and "St Marks Road" in addresses.
    assert name_key("St. Marks Road") == name_key("st marks  road")
    assert name_key("George & Dragon Lane") == name_key("George and Dragon Lane")
    path = osm.write(
        "names.osm",
        osm.node(1, -1.56, 53.80), osm.node(2, -1.559, 53.80),
        osm.node(3, -1.5595, 53.8001, addr__housenumber="7", addr__street="St Marks Road"),
        osm.way(10, [1, 2], highway="tertiary", name="St. Marks Road"),
    )
    area = read_area(path)
    (h,) = area.households
    assert h.street_ref == area.streets[0].ref and h.source == "address_point" and h.side == "odd"


def test_a_multipolygon_building_uses_the_centroid_of_its_outline_less_its_hole(osm):
    # A 4 x 4 (in 0.0001°) square with a 2 x 2 hole in its right half: the area-weighted
    # centroid moves left of the square's centre by (4 * 0.00005) / (16 - 4) = 1/60 of 0.001°.
    sq = [(1, 0, 0), (2, 4, 0), (3, 4, 4), (4, 0, 4)]
    hole = [(5, 2, 1), (6, 3, 1), (7, 3, 3), (8, 2, 3)]
    nodes = [osm.node(i, -1.5 + x * 1e-4, 53.8 + y * 1e-4) for i, x, y in sq + hole]
    path = osm.write(
        "mp.osm", *nodes,
        osm.node(20, -1.501, 53.799), osm.node(21, -1.499, 53.799),
        osm.way(100, [1, 2, 3, 4, 1]), osm.way(101, [5, 6, 7, 8, 5]),
        osm.way(102, [20, 21], highway="residential", name="Hall Road"),
        osm.relation(7, [("way", 100, "outer"), ("way", 101, "inner")],
                     type="multipolygon", building="yes", addr__housenumber="12", addr__street="Hall Road"),
    )
    area = read_area(path)
    h = next(h for h in area.households if h.ref == "OSM-R7")
    # outer: area 16, centre (2, 2); hole: area 2, centre (2.5, 2) -> x = (32 - 5) / 14
    assert h.lon == pytest.approx(-1.5 + (16 * 2 - 2 * 2.5) / 14 * 1e-4, abs=1e-7)  # stored to 1e-7°
    assert h.lat == pytest.approx(53.8 + 2e-4, abs=1e-7)
    assert (h.source, h.address, h.side) == ("building", "12 Hall Road", "even")
    # Hall Road has a house number, so no doors are generated along it.
    assert [x.source for x in area.households] == ["building"]


def test_a_building_outline_that_does_not_close_is_reported_not_guessed(osm):
    path = osm.write(
        "open.osm",
        osm.node(1, -1.56, 53.80), osm.node(2, -1.559, 53.80), osm.node(3, -1.559, 53.801),
        osm.way(10, [1, 2], highway="residential", name="Open Road", ),
        osm.way(11, [1, 2, 3], building="house", addr__housenumber="3", addr__street="Open Road"),
    )
    area = read_area(path)
    assert not [h for h in area.households if h.source == "building"]
    assert area.skipped == {"building with house number but no closed outline": 1}


def test_objects_out_of_id_order_are_refused(osm):
    # osmium requires sorted ids (every OSM export is sorted); a shuffled file is refused, not half-read.
    path = osm.write(
        "shuffled.osm", osm.node(1, -1.56, 53.80), osm.node(2, -1.559, 53.80),
        osm.way(11, [1, 2], highway="residential", name="Mill Lane"),
        osm.way(10, [2, 1], highway="residential", name="Mill Lane"),
    )
    with pytest.raises(AreaFileError, match="out of order"):
        read_area(path)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.osm", b"", "not a readable OSM file (XML parsing error"),
        ("cut.osm", b'<?xml version="1.0"?>\n<osm version="0.6"><node id="1" lat="5', "not a readable OSM file"),
        ("nothing.osm", b'<?xml version="1.0"?>\n<osm version="0.6"></osm>\n', "no named streets found"),
        ("cut.osm.pbf", WOODHOUSE.read_bytes()[:20000], "not a readable OSM file (PBF error"),
        ("text.osm.pbf", b"hello, I am not a PBF file\n", "not a readable OSM file (PBF error"),
        ("notes.txt", b"hello\n", "Could not detect file format"),
        ("bristol.osm.gz", gzip.compress(BRISTOL.read_bytes())[:3000], "not a readable OSM file"),
    ],
)
def test_bad_files_raise_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AreaFileError) as err:
        read_area(path)
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith(name)


def test_a_missing_file_is_an_area_file_error(tmp_path):
    with pytest.raises(AreaFileError, match="no such file"):
        read_area(tmp_path / "nope.osm.pbf")
