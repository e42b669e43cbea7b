"""Writes the demo's address list and area from the Woodhouse OSM extract (fixtures/areas/README.md).

    .venv/bin/python scripts/make-woodhouse-addresses.py

The doors are OSM's address points and the doors the importer generates along streets without house
numbers, as a council's AddressBase Plus extract would list them, with made-up UPRNs (999 000 000 001
upward) and USRNs (99 000 001 upward), both in ranges no real property or street has. Deterministic:
the same extract always gives the same files.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from convertbng.cutil import convert_bng

from server.domain.areas.features import leading_number
from server.domain.areas.osm_reader import read_area

AREAS = Path(__file__).resolve().parents[1] / "fixtures" / "areas"
FIRST_UPRN = 999_000_000_001
FIRST_USRN = 99_000_001
COLUMNS = ["UPRN", "USRN", "SAO_TEXT", "PAO_START_NUMBER", "PAO_START_SUFFIX", "PAO_TEXT", "STREET_DESCRIPTION",
           "TOWN_NAME", "POSTCODE_LOCATOR", "X_COORDINATE", "Y_COORDINATE"]


def main() -> None:
    area = read_area(AREAS / "leeds-woodhouse.osm.pbf")
    streets = sorted(area.streets, key=lambda s: s.name)
    usrn = {s.name: FIRST_USRN + i for i, s in enumerate(streets) if i % 2 == 0}  # half the streets have one
    rows: list[dict] = []
    uprn = FIRST_UPRN
    for h in sorted(area.households, key=lambda h: (h.street_name or "", leading_number(h.house_number) or 0, h.ref)):
        number = leading_number(h.house_number)
        if h.source == "generated" and number is not None and number % 10 == 9:
            continue  # a generated door the council does not list: it stays generated
        e, n = convert_bng([h.lon], [h.lat])
        suffix = (h.house_number or "")[len(str(number)):].strip() if number is not None else ""
        flats = ["Flat 1", "Flat 2"] if h.source == "generated" and number is not None and number % 15 == 0 else [""]
        for flat in flats:
            street = h.street_name or ""
            rows.append({
                "UPRN": uprn, "USRN": usrn.get(street, ""), "SAO_TEXT": flat,
                "PAO_START_NUMBER": number if number is not None else "", "PAO_START_SUFFIX": suffix,
                "PAO_TEXT": "" if number is not None else (h.house_number or ""),
                # Every eighth row leaves the street out, as some gazetteer rows do: nearest street, or USRN.
                "STREET_DESCRIPTION": "" if uprn % 8 == 0 else street.upper(),
                "TOWN_NAME": "LEEDS", "POSTCODE_LOCATOR": h.postcode or "",
                "X_COORDINATE": f"{float(e[0]):.2f}", "Y_COORDINATE": f"{float(n[0]):.2f}",
            })
            uprn += 1
    # Two rows a real export might hold, to show the refused list: a UPRN listed twice, and a row whose
    # easting and northing were swapped by hand.
    rows.append({**rows[3], "SAO_TEXT": "Rear"})
    swapped = dict(rows[10])
    swapped["UPRN"] = uprn
    swapped["X_COORDINATE"], swapped["Y_COORDINATE"] = rows[10]["Y_COORDINATE"], rows[10]["X_COORDINATE"]
    rows.append(swapped)
    with open(AREAS / "leeds-woodhouse-addresses.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)

    lons = [c[0] for s in area.streets for line in s.lines for c in line]
    lats = [c[1] for s in area.streets for line in s.lines for c in line]
    w, e_, s_, n_ = min(lons) - 0.001, max(lons) + 0.001, min(lats) - 0.001, max(lats) + 0.001
    outline = [[round(x, 5), round(y, 5)] for x, y in ((w, s_), (e_, s_), (e_, n_), (w, n_), (w, s_))]
    (AREAS / "leeds-woodhouse-area.geojson").write_text(json.dumps(
        {"type": "Feature", "properties": {"name": "Woodhouse, Leeds (demo area)"},
         "geometry": {"type": "Polygon", "coordinates": [outline]}}, indent=1) + "\n")
    print(f"{len(rows)} rows, area {outline}")


if __name__ == "__main__":
    main()
