"""Read an address list (CSV) into checked rows and refused rows. No database.

The file is read whole before anything is written (one bad file never leaves half an import):
- text: UTF-8 (with or without a byte-order mark), else Windows-1252 (what Excel saves on a
  British Windows PC); anything else is refused as a whole;
- columns: by name, case-insensitively, with the aliases of ``columns.py`` (AddressBase, LLPG);
  a file without a UPRN column, or without easting/northing or latitude/longitude columns, is
  refused as a whole with the columns it does have;
- rows: each checked on its own. A refused row is listed with its line number and the reason
  (no UPRN, a UPRN that is not a number, the same UPRN on an earlier line, coordinates that are
  not numbers, outside Great Britain, easting and northing or latitude and longitude swapped,
  degrees in the easting/northing columns, no address); the other rows go in.
Text from the file is hostile: control characters are dropped, lengths capped to the columns'.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from server.domain.addresses.columns import map_columns
from server.domain.addresses.grid import grid_to_lonlat, in_gb_box, in_grid, lonlat_in_gb
from server.domain.areas.features import number_side
from server.lib.exceptions import Invalid

MAX_UPRN = 999_999_999_999  # UPRNs have at most 12 digits
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"\d{1,12}")
_NUMBER = re.compile(r"\s*(\d+[A-Za-z]?(?:\s*-\s*\d+[A-Za-z]?)?)\b")


class AddressFileError(Invalid):
    """The whole file cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class AddressRow:
    line: int
    uprn: int
    address: str
    house_number: str | None
    street_name: str | None
    usrn: int | None
    postcode: str | None
    lon: float
    lat: float
    side: str
    # For rows given in easting/northing: where the row would be with the two swapped (to tell a
    # swap that stays inside Great Britain by the operation's area); None otherwise.
    swapped: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    line: int
    reason: str
    uprn: str | None = None


@dataclass
class AddressList:
    rows: list[AddressRow]
    refused: list[Refusal]
    encoding: str
    columns: dict[str, str]  # field -> the column name used (the first one, for the summary)
    blank_lines: int = 0
    data_lines: int = 0
    coordinates: dict[str, int] = field(default_factory=dict)  # "easting/northing" | "latitude/longitude" -> rows


def decode(data: bytes, name: str) -> tuple[str, str]:
    head = data[:4096]
    if data.startswith(b"PK\x03\x04"):
        raise AddressFileError(f"{name} is a zip or an Excel workbook, not a CSV file: save the sheet as "
                               "\"CSV UTF-8 (comma delimited)\" and upload that.")
    if b"\x00" in head:
        raise AddressFileError(f"{name} is not a CSV text file (it holds binary data). Upload the address list "
                               "as CSV.")
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise AddressFileError(f"{name} is neither UTF-8 nor Windows-1252 text: save it as \"CSV UTF-8\" and "
                               "upload it again.") from None


def _clean(value: str, limit: int) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


Progress = Callable[[int], None]


def read_addresses(data: bytes, name: str = "the file", progress: Progress | None = None) -> AddressList:
    text, encoding = decode(data, name)
    reader, headers, cols = read_header(text, name)
    has_grid = "easting" in cols and "northing" in cols
    has_degrees = "latitude" in cols and "longitude" in cols

    def first(row: list[str], key: str) -> str:
        for i in cols.get(key, ()):
            if i < len(row) and row[i].strip():
                return row[i]
        return ""

    rows: list[AddressRow] = []
    refused: list[Refusal] = []
    seen: dict[int, int] = {}
    pending_grid: list[tuple[int, float, float]] = []  # (index into staged, e, n)
    staged: list[dict] = []
    blank = data_lines = 0
    line = 1
    counts = {"easting/northing": 0, "latitude/longitude": 0}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a quote never closed: the rest of the file is one field
            raise AddressFileError(f"{name}, line {start}: the CSV is broken there ({str(exc)[:80]}); "
                                   "fix the quoting and upload it again.") from None
        line = start
        if not any(v.strip() for v in row):
            blank += 1
            continue
        data_lines += 1
        if progress and data_lines % 5000 == 0:
            progress(data_lines)
        uprn_text = _clean(first(row, "uprn"), 40)
        if not uprn_text:
            refused.append(Refusal(line, "no UPRN"))
            continue
        digits = uprn_text[:-2] if uprn_text.endswith(".0") else uprn_text
        if not _DIGITS.fullmatch(digits) or not 0 < int(digits) <= MAX_UPRN:
            hint = " (a spreadsheet wrote it in scientific notation: format the column as a whole number)" \
                if "e+" in uprn_text.lower() else ""
            refused.append(Refusal(line, f"the UPRN {uprn_text!r} is not a whole number of 1 to 12 digits{hint}",
                                   uprn_text))
            continue
        uprn = int(digits)
        if uprn in seen:
            refused.append(Refusal(line, f"UPRN {uprn} is also on line {seen[uprn]} (the first one is used)",
                                   str(uprn)))
            continue
        seen[uprn] = line
        position = _position(row, first, has_grid, has_degrees)
        if isinstance(position, str):
            refused.append(Refusal(line, position, str(uprn)))
            continue
        address, number, street = _address(row, first, cols.get("address_lines", []))
        if not address:
            refused.append(Refusal(line, "no address (the address columns are empty)", str(uprn)))
            continue
        usrn_text = _clean(first(row, "usrn"), 20)
        usrn = int(usrn_text[:-2] if usrn_text.endswith(".0") else usrn_text) \
            if _DIGITS.fullmatch(usrn_text.removesuffix(".0")) else None
        postcode = _clean(first(row, "postcode"), 12).upper() or None
        entry = {"line": line, "uprn": uprn, "address": address, "house_number": number, "street_name": street,
                 "usrn": usrn, "postcode": postcode, "side": number_side(number)}
        kind, a, b = position
        entry["grid"] = kind == "grid"
        if kind == "grid":
            pending_grid.append((len(staged), a, b))
            counts["easting/northing"] += 1
        else:
            entry["lon"], entry["lat"] = b, a
            counts["latitude/longitude"] += 1
        staged.append(entry)

    # Grid rows: OSTN15 in one call for the rows and one for the same rows swapped.
    if pending_grid:
        e = [p[1] for p in pending_grid]
        n = [p[2] for p in pending_grid]
        lons, lats = grid_to_lonlat(e, n)
        swapped_lons, swapped_lats = grid_to_lonlat(n, e)
        for (i, _, _), lon, lat, slon, slat in zip(pending_grid, lons, lats, swapped_lons, swapped_lats, strict=False):
            staged[i]["lon"], staged[i]["lat"] = float(lon), float(lat)
            if not math.isnan(slon):
                staged[i]["swapped"] = (round(float(slon), 7), round(float(slat), 7))
    degrees = [s for s in staged if not s["grid"]]
    inside = lonlat_in_gb([s["lon"] for s in degrees], [s["lat"] for s in degrees])
    outside = {id(s) for s, ok in zip(degrees, inside, strict=False) if not ok}
    for s in staged:
        if math.isnan(s["lon"]) or id(s) in outside:
            refused.append(Refusal(s["line"], "outside Great Britain (beyond the reach of the National Grid)",
                                   str(s["uprn"])))
            continue
        del s["grid"]
        s["lon"], s["lat"] = round(s["lon"], 7), round(s["lat"], 7)
        rows.append(AddressRow(**s))
    refused.sort(key=lambda r: r.line)
    used = {k: _clean(headers[v[0]], 40) for k, v in cols.items()}
    return AddressList(rows=rows, refused=refused, encoding=encoding, columns=used, blank_lines=blank,
                       data_lines=data_lines, coordinates={k: v for k, v in counts.items() if v})


def read_header(text: str, name: str) -> tuple[Any, list[str], dict[str, list[int]]]:
    """The CSV reader past the header line, the headers, and which column holds what; refuses a file
    without a UPRN column, coordinate columns or address columns, naming the columns it has."""
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise AddressFileError(f"{name} is empty: it needs a header line and one line per address.") from None
    except csv.Error:
        raise AddressFileError(f"{name} is not a readable CSV file.") from None
    cols = map_columns(headers)
    shown_headers = ", ".join(_clean(h, 40) for h in headers[:12]) + (" …" if len(headers) > 12 else "")
    if "uprn" not in cols:
        raise AddressFileError(f"{name} has no UPRN column (its columns are: {shown_headers}). Each address "
                               "needs its Unique Property Reference Number in a column called UPRN.")
    if not (("easting" in cols and "northing" in cols) or ("latitude" in cols and "longitude" in cols)):
        raise AddressFileError(
            f"{name} has no coordinate columns (its columns are: {shown_headers}). Add easting and northing "
            "(British National Grid, EPSG:27700; X_COORDINATE and Y_COORDINATE also work) or latitude and "
            "longitude (WGS84) columns.")
    if not ({"address_lines", "single_line", "street", "pao_text", "sao_text"} & cols.keys()):
        raise AddressFileError(f"{name} has no address columns (its columns are: {shown_headers}). Add "
                               "address_line_1 (to _5), or address, or street with house_number.")
    return reader, headers, cols


def _position(row, first, has_grid: bool, has_degrees: bool):
    """("grid", e, n) or ("degrees", lat, lon), or the reason the row's position cannot be used."""
    if has_grid and (first(row, "easting") or first(row, "northing")):
        e_text, n_text = first(row, "easting"), first(row, "northing")
        e, n = _number(e_text), _number(n_text)
        if e is None or n is None:
            bad = e_text if e is None else n_text
            which = "easting" if e is None else "northing"
            return f"the {which} {_clean(bad, 30)!r} is not a number (metres of the British National Grid)"
        if abs(e) <= 180 and abs(n) <= 180 and (e or n):
            return (f"easting {e:g} and northing {n:g} look like degrees: put latitude and longitude in columns "
                    "of those names, or give the grid position in metres")
        if not in_grid(e, n):
            if in_grid(n, e):
                return f"easting and northing look swapped ({e:.0f} is a northing, {n:.0f} an easting)"
            return f"outside Great Britain (easting {e:.0f}, northing {n:.0f} are beyond the National Grid)"
        return ("grid", e, n)
    if has_degrees and (first(row, "latitude") or first(row, "longitude")):
        lat_text, lon_text = first(row, "latitude"), first(row, "longitude")
        lat, lon = _number(lat_text), _number(lon_text)
        if lat is None or lon is None:
            bad = lat_text if lat is None else lon_text
            which = "latitude" if lat is None else "longitude"
            return f"the {which} {_clean(bad, 30)!r} is not a number (degrees)"
        if abs(lat) > 90 or abs(lon) > 180:
            if in_grid(lat, lon) or in_grid(lon, lat):
                return "latitude and longitude look like metres: put them in easting and northing columns"
            return f"latitude {lat:g}, longitude {lon:g} are not degrees"
        if not in_gb_box(lat, lon):
            if in_gb_box(lon, lat):
                return f"latitude and longitude look swapped ({lat:g} is a longitude, {lon:g} a latitude)"
            return f"outside Great Britain (latitude {lat:g}, longitude {lon:g})"
        return ("degrees", lat, lon)
    return "no coordinates (the easting/northing or latitude/longitude cells are empty)"


def _address(row: list[str], first, line_columns: list[int]) -> tuple[str, str | None, str | None]:
    """The one-line address, its house number and its street name.

    Address lines when the file has them, else a single-line address, else the address built from
    AddressBase/LLPG parts: secondary (flat) and primary (building) names, number and street.
    """
    street = _clean(first(row, "street"), 200) or None
    number = _clean(first(row, "house_number"), 40)
    if not number and first(row, "pao_start_number"):
        number = _clean(first(row, "pao_start_number") + first(row, "pao_start_suffix"), 20)
        end = _clean(first(row, "pao_end_number") + first(row, "pao_end_suffix"), 20)
        if end:
            number = f"{number}-{end}"
    lines = [_clean(row[i], 200) for i in line_columns if i < len(row)]
    lines = [x for x in lines if x]
    if lines:
        address = ", ".join(lines)
    elif first(row, "single_line"):
        address = _clean(first(row, "single_line"), 300)
    else:
        sao = _clean(first(row, "sao_text"), 100)
        if not sao and first(row, "sao_start_number"):
            sao = "Flat " + _clean(first(row, "sao_start_number") + first(row, "sao_start_suffix"), 20)
        pao = _clean(first(row, "pao_text"), 100)
        street_line = " ".join(x for x in (number, street or "") if x)
        address = ", ".join(x for x in (sao, pao, street_line) if x)
    if not number:
        # "12A Foo Road", "Flat 2, 12 Foo Road": the first number that starts an address part.
        for part in address.split(","):
            m = _NUMBER.match(part)
            if m and not part.strip().lower().startswith(("flat", "apartment", "unit")):
                number = m.group(1).replace(" ", "")
                break
    return address[:300], (number or None), street
