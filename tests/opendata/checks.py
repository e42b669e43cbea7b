"""What every public output must satisfy, written once for all of them."""

from __future__ import annotations

import re

from server.domain.opendata.fields import BY_NAME, COUNT_FIELDS, FIELD_NAMES
from tests.results.world import SECRETS

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b\d{{1,2}} (?:{MONTHS}) \d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b")
_PERCENT = re.compile(r"\b\d{1,3}%")
_PAGE = re.compile(r"\bPage \d+ of \d+\b")  # a printed report's page numbers
# A whole number standing alone (not part of a decimal, a version such as v3.0, a range or a longer number).
_SMALL = re.compile(r"(?<![\w.,/-])[1-7](?![\w.,%/-])")


def published_count_ok(value) -> bool:
    """0, suppressed (None), or a multiple of 5 that is at least 10."""
    return value is None or value == 0 or (isinstance(value, int) and value >= 10 and value % 5 == 0)


def assert_row_disclosed(row: dict, where: str) -> None:
    for name in COUNT_FIELDS:
        assert published_count_ok(row[name]), (where, name, row[name])
    for name, value in row.items():
        f = BY_NAME.get(name)
        if f is not None and f.kind == "rate" and value is not None:
            assert isinstance(value, int) and 0 <= value <= 100, (where, name, value)
            part, base = f.rate_of
            assert row[part] is not None, (where, name, "a rate over a suppressed count")


def assert_totals_follow_the_rule(totals: dict, expected: dict) -> None:
    for name, value in expected.items():
        assert totals[name] == value, ("totals", name, totals[name], value)
    assert_row_disclosed({k: totals[k] for k in FIELD_NAMES if k in totals}, "totals")


def assert_no_small_counts_in_text(text: str, where: str) -> None:
    """No figure from 1 to 7 in a text a person reads: dates (to the day), percentages and page numbers aside."""
    scrubbed = _PAGE.sub(" ", _PERCENT.sub(" ", _DATE.sub(" ", text)))
    found = [scrubbed[max(0, m.start() - 40):m.end() + 40] for m in _SMALL.finditer(scrubbed)]
    assert not found, (where, found)


def assert_no_secrets(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (where, secret)
