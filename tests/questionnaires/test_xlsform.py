"""Questionnaires written in a spreadsheet (issue 16): XLSForm in, XLSForm out. StreetSafe round-trips
unchanged, ODK's own converter (pyxform) accepts what Doorstep writes, and every problem in a workbook
is named by its sheet, row and column."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from server.domain.questionnaires.service import check_workbook
from server.domain.questionnaires.xlsform import XLSFormError, read_xlsform, write_xlsform
from shared_schemas.questionnaire import load_questionnaire, translated

from .workbooks import CHOICES, SETTINGS, SURVEY, with_cell, workbook

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = sorted((ROOT / "fixtures" / "questionnaires").glob("*.json"))


@pytest.mark.parametrize("path", VERSIONS, ids=lambda p: p.stem)
def test_streetsafe_round_trips_unchanged(path):
    original = load_questionnaire(path)
    again = read_xlsform(write_xlsform(original))
    assert again.questionnaire == original
    assert again.warnings == []
    # and a second time round, byte for byte the same sheets
    assert _cells(write_xlsform(again.questionnaire)) == _cells(write_xlsform(original))


def _cells(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


@pytest.mark.parametrize("path", VERSIONS, ids=lambda p: p.stem)
def test_the_exported_workbook_is_accepted_by_pyxform(path, tmp_path):
    from pyxform.xls2xform import convert

    questionnaire = load_questionnaire(path)
    file = tmp_path / f"{path.stem}.xlsx"
    file.write_bytes(write_xlsform(questionnaire))
    xform = convert(xlsform=str(file)).xform
    assert f'id="{questionnaire.id}"' in xform and f'version="{questionnaire.version}"' in xform
    for language in questionnaire.languages:  # one itext translation per language, every question in it
        assert f'<translation lang="{language.name} ({language.code})"' in xform
    if questionnaire.id.endswith("v3"):
        assert "Czy na każdym piętrze" in xform and "ਧੂੰਏਂ ਦਾ ਅਲਾਰਮ" in xform
        # the scale's condition: (1, 2 or 3), as ODK evaluates it
        assert "/data/feel_safe_after_dark  = 1 or  /data/feel_safe_after_dark  = 2" in xform
        assert 'relevant=" /data/smoke_alarm  = \'no\'"' in xform
        assert 'constraint="string-length(.) &lt;= 500"' in xform


def test_a_workbook_is_read_with_its_languages_types_conditions_and_limits():
    imported = read_xlsform(workbook())
    q = imported.questionnaire
    assert (q.id, q.version, q.title, q.default_language) == ("street-survey-v1", 1, "Street survey", "en")
    assert [(language.code, language.name, language.yes, language.no) for language in q.languages] == [
        ("en", "English", "Yes", "No"), ("pl", "Polski", "Tak", "Nie")]
    assert [(x.id, x.type.value) for x in q.questions] == [
        ("asb_seen", "yes_no"), ("asb_types", "multiple_choice"), ("people", "number"), ("moved_in", "date"),
        ("thanks", "note")]
    asb_seen, asb_types, people, moved_in, _ = q.questions
    assert asb_seen.required and asb_seen.concern == "anti_social_behaviour"
    assert asb_types.show_if.question == "asb_seen" and asb_types.show_if.equals is True
    assert asb_types.options[1].concern == "drugs" and asb_types.options[1].translations["pl"].label == \
        "Handel narkotykami"
    assert (people.integer, people.min, people.max, people.constraint_message) == (True, 1, 20, "Between 1 and 20")
    assert moved_in.show_if.answered is True
    assert translated(q, "pl").question("asb_types").help == "Zaznacz wszystkie"
    # Polish has no constraint message: shown in English, with a warning that says so
    assert imported.warnings == [
        "the questionnaire: no title in 'pl': the English words are shown instead",
        "question 'people': no constraint message in 'pl': the English words are shown instead"]


def _problems(data: bytes) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(XLSFormError) as caught:
        check_workbook(data)
    return [(p.sheet, p.row, p.column, p.message) for p in caught.value.problems]


def test_an_unknown_type_is_named_by_its_row():
    [(sheet, row, column, message)] = _problems(workbook(survey=with_cell(SURVEY, 4, "type", "geopoint")))
    assert (sheet, row, column) == ("survey", 4, "type")
    assert message.startswith("unknown type 'geopoint': Doorstep takes select_one, select_multiple, integer")


def test_a_relevant_that_does_not_parse_is_named_by_its_row():
    [(sheet, row, column, message)] = _problems(workbook(survey=with_cell(SURVEY, 3, "relevant",
                                                                         "${asb_seen} = 'yes' and")))
    assert (sheet, row, column) == ("survey", 3, "relevant")
    assert message == "it ends too early: expected a condition"
    [(_, row, column, message)] = _problems(workbook(survey=with_cell(SURVEY, 3, "relevant", "${asb_seen} ~ 3")))
    assert (row, column) == (3, "relevant") and message == "cannot read it from '~ 3' on"
    [(_, _, _, message)] = _problems(workbook(survey=with_cell(SURVEY, 3, "relevant", "${asb_seen} = 'maybe'")))
    assert message == "${asb_seen} is a yes/no question: compare it with 'yes' or 'no'"


def test_a_duplicate_name_is_named_by_its_row():
    [(sheet, row, column, message)] = _problems(workbook(survey=with_cell(SURVEY, 5, "name", "people")))
    assert (sheet, row, column) == ("survey", 5, "name")
    assert message == "'people' is used twice (also on row 4); each question needs its own name"


def test_a_circular_condition_is_named_by_its_row():
    survey = with_cell(SURVEY, 2, "relevant", "${people} > 2")  # a later question
    [(sheet, row, column, message)] = _problems(workbook(survey=survey))
    assert (sheet, row, column) == ("survey", 2, "relevant")
    assert "${people} is a later question" in message and "circular" in message
    [(_, row, _, message)] = _problems(workbook(survey=with_cell(SURVEY, 4, "relevant", "${people} != ''")))
    assert row == 4 and "${people} is this question itself" in message


def test_every_problem_is_listed_at_once_and_nothing_else_is_needed_to_find_them():
    survey = with_cell(with_cell(SURVEY, 4, "type", "integr"), 5, "required", "perhaps")
    choices = with_cell(CHOICES, 5, "name", "noise")
    found = _problems(workbook(survey=survey, choices=choices,
                               settings=with_cell(SETTINGS, 2, "version", "one")))
    assert [(sheet, row, column) for sheet, row, column, _ in found] == [
        ("settings", 2, "version"), ("choices", 5, "name"), ("survey", 4, "type"), ("survey", 5, "required")]


def test_a_language_the_fonts_cannot_draw_is_refused():
    survey = [row + [header] for row, header in zip(SURVEY, ["label::中文 (zh)", "你见过反社会行为吗？", "什么样的？",
                                                            "这里住几个人？", "你什么时候搬进来的？", "谢谢。"],
                                                  strict=True)]
    found = _problems(workbook(survey=survey))
    assert found[0] == ("survey", 1, "label::中文 (zh)",
                        "中文 (zh): the tablet's fonts cannot draw 中 文 (the language's name); Doorstep's fonts cover "
                        "Latin, Greek and Cyrillic, Arabic script, Hebrew, Gurmukhi, Devanagari, Bengali, Gujarati, "
                        "Tamil, Thai and Ethiopic")
    assert found[1][:3] == ("survey", 2, "label::中文 (zh)")
    assert found[1][3].startswith("中文 (zh): the tablet's fonts cannot draw 你 见 过 反 社 会 行 为 …")
    assert [row for _, row, _, _ in found] == [1, 2, 3, 4, 5, 6]


def test_urdu_and_punjabi_are_drawable_and_so_is_every_demo_version():
    for path in VERSIONS:
        check_workbook(write_xlsform(load_questionnaire(path)))


def test_a_file_that_is_not_a_workbook():
    assert _problems(b"type,name\ntext,q1\n") == [
        ("workbook", None, None, "this is not an .xlsx workbook: save it from your spreadsheet program as Excel "
                                 "Workbook (.xlsx)")]


def test_groups_and_metadata_are_left_out_with_a_warning():
    survey = [SURVEY[0], ["start", "start"] + [""] * 9, ["begin group", "g1", "Group"] + [""] * 8, *SURVEY[1:],
              ["end group"] + [""] * 10]
    imported = read_xlsform(workbook(survey=survey))
    assert [q.id for q in imported.questionnaire.questions][0] == "asb_seen"
    assert any("row 2: start is recorded by Doorstep itself" in w for w in imported.warnings)
    assert any("row 3: groups are shown as one page" in w for w in imported.warnings)
