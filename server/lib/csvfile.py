"""The project's one CSV writer, for every CSV it serves (street results, follow-ups, open data).

UTF-8 with a byte-order mark (so spreadsheets read accents), RFC 4180 (CRLF line ends, quotes
where needed), None as an empty cell, numbers as numbers, and every text cell, in every column
and the header row too, made safe for a spreadsheet: text that Excel, LibreOffice or Google
Sheets would run as a formula (it starts with =, +, -, @, a tab or a carriage return, or their
full-width forms, after any leading spaces) gets a leading apostrophe, which they show as text.
Names of streets and operations, places, descriptions and residents' details all come from
files and people, so no column is trusted to be plain.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: What a spreadsheet may read as the start of a formula (OWASP "CSV injection"), full-width too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: object) -> object:
    """A cell as the writer puts it: text that could run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_document(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([spreadsheet_safe(name) for name in header])
    writer.writerows([spreadsheet_safe(value) for value in row] for row in rows)
    return out.getvalue()
