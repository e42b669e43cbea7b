"""Small XLSForm workbooks made with openpyxl, as a coordinator's spreadsheet program would save them."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

SURVEY = [
    ["type", "name", "label::English (en)", "label::Polski (pl)", "hint::English (en)", "hint::Polski (pl)",
     "required", "relevant", "constraint", "constraint_message::English (en)", "concern"],
    ["select_one yes_no", "asb_seen", "Seen anti-social behaviour?", "Widziałeś zachowania aspołeczne?", "", "",
     "yes", "", "", "", "anti_social_behaviour"],
    ["select_multiple asb", "asb_types", "What kind?", "Jakie?", "Choose all", "Zaznacz wszystkie", "",
     "${asb_seen} = 'yes'", "", "", ""],
    ["integer", "people", "How many people live here?", "Ile osób tu mieszka?", "", "", "", "",
     ". >= 1 and . <= 20", "Between 1 and 20", ""],
    ["date", "moved_in", "When did you move in?", "Kiedy się wprowadziłeś?", "", "", "", "${people} != ''", "", "",
     ""],
    ["note", "thanks", "Thank you.", "Dziękujemy.", "", "", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Polski (pl)", "concern"],
    ["yes_no", "yes", "Yes", "Tak", ""],
    ["yes_no", "no", "No", "Nie", ""],
    ["asb", "noise", "Noise", "Hałas", ""],
    ["asb", "dealing", "Drug dealing", "Handel narkotykami", "drugs"],
]
SETTINGS = [["form_title", "form_id", "version", "default_language"],
            ["Street survey", "street-survey", "1", "English (en)"]]


def workbook(survey: list[list[Any]] | None = None, choices: list[list[Any]] | None = None,
             settings: list[list[Any]] | None = None) -> bytes:
    book = openpyxl.Workbook()
    for index, (title, rows) in enumerate((("survey", survey or SURVEY), ("choices", choices or CHOICES),
                                           ("settings", settings or SETTINGS))):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_cell(rows: list[list[Any]], row: int, column: str, value: Any) -> list[list[Any]]:
    """A copy of ``rows`` with one cell changed (``row`` as the spreadsheet numbers it, header = 1)."""
    copy = [list(r) for r in rows]
    copy[row - 1][copy[0].index(column)] = value
    return copy
