"""The disclosure rule on its own: counts, rates and units, with the edge values written out."""

from __future__ import annotations

import pytest

from server.domain.opendata import disclosure, units
from server.domain.results.schemas import StreetResult, Totals
from server.domain.results.services import StreetRows

from .checks import published_count_ok


@pytest.mark.parametrize(("raw", "published"), [
    (0, 0), (1, None), (7, None), (8, 10), (9, 10), (10, 10), (12, 10), (13, 15), (17, 15), (18, 20), (22, 20),
    (23, 25), (1000, 1000), (1002, 1000), (1003, 1005)])
def test_counts(raw, published):
    assert disclosure.count(raw) == published


def test_every_count_is_zero_suppressed_or_a_multiple_of_five_from_ten():
    for n in range(0, 2000):
        assert published_count_ok(disclosure.count(n)), n
    with pytest.raises(ValueError):
        disclosure.count(-1)


@pytest.mark.parametrize(("part", "base", "pct"), [
    (12, 12, 100), (9, 12, 75), (13, 16, 81), (14, 16, 88), (0, 10, 0), (8, 9, None), (8, 10, 80),
    (1, 12, None),  # 8% of 12 would give the suppressed 1 back
    (11, 12, 92), (33, 40, 83), (1, 1000, None), (8, 1000, 1)])
def test_rates(part, base, pct):
    assert disclosure.rate(part, base) == pct


def test_words():
    assert disclosure.words(None) == "fewer than 8"
    assert disclosure.words(0) == "0" and disclosure.words(1235) == "1,235"


def _street(sid: int, name: str, households: int, answered: int, **concerns: int) -> StreetResult:
    return StreetResult(street_id=sid, ref=f"R{sid}", name=name, locality=None, households=households,
                        knocked=answered, closed=answered, answered=answered, to_revisit=0, refused=0, vacant=0,
                        do_not_visit=0, coverage=None, contact_rate=None, concerns=dict(concerns), fixes={},
                        followups={"open": 1} if sid == 2 else {})


def _rows(items: list[StreetResult], without_street: int = 0, answered_without: int = 0) -> StreetRows:
    def total(attr: str) -> int:
        return sum(getattr(i, attr) for i in items)

    concerns: dict[str, int] = {}
    for i in items:
        for k, v in i.concerns.items():
            concerns[k] = concerns.get(k, 0) + v
    totals = Totals(streets=len(items), households=total("households") + without_street,
                    knocked=total("knocked") + answered_without, closed=total("closed") + answered_without,
                    answered=total("answered") + answered_without, to_revisit=0, refused=0, vacant=0, do_not_visit=0,
                    coverage=None, contact_rate=None, concerns=concerns, fixes={}, followups={"open": 1}, visits=0,
                    households_without_street=without_street)
    line = '{"type":"MultiLineString","coordinates":[[[-1.5,53.8],[-1.49,53.81]]]}'
    return StreetRows(items=items, totals=totals, geometries=[line] * len(items))


def test_small_streets_are_one_unit_published_only_from_eight_households():
    items = [_street(1, "Big", 12, 12, feeling_unsafe=1), _street(2, "Small", 3, 2), _street(3, "Tiny", 4, 4)]
    # 3 + 4 = 7 households: the other streets are withheld, but still count in the totals.
    r = units.build(5, _rows(items))
    assert [u.unit_id for u in r.units] == [1] and r.other_withheld
    assert r.totals["households"] == 20 and r.totals["households_answered"] == 20  # 19 and 18 unrounded
    assert (
        r.units[0].values["concern_feeling_unsafe"] is None and r.units[0].values["concern_feeling_unsafe_pct"] is None
    )
    assert r.totals["followups_raised"] is None
    # One more door on no street: 8 together, published as unit 0, with both small streets' lines.
    r = units.build(5, _rows(items, without_street=1, answered_without=1))
    other = r.unit(disclosure.OTHER_UNIT_ID)
    assert other is not None and not r.other_withheld and other.name == "Other streets"
    assert other.street_ids == (2, 3) and other.includes_no_street
    assert other.values["households"] == 10 and other.values["households_answered"] is None  # 7 answered
    assert len(other.geometry["coordinates"]) == 2
    assert [u.unit_id for u in r.units] == [1, 0]  # the other streets last


def test_a_street_of_exactly_eight_is_its_own_unit():
    r = units.build(5, _rows([_street(1, "Eight", 8, 8)]))
    assert [u.unit_id for u in r.units] == [1] and r.units[0].values["households"] == 10
    assert r.units[0].values["answered_pct"] is None  # base 8 < 10
    assert not r.other_withheld
