"""Import a questionnaire from an XLSForm workbook (the dashboard's upload and `doorstep questionnaire
import`), export any published version back.

An import is checked whole before anything is stored: the workbook's shape (``xlsform``), the
definition (the shared engine's rules), and every word in every language against the tablet's fonts
(``fonts``). Each problem names the sheet, the row and the column; a refused import stores nothing.
"""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.audit import audit
from server.lib.auth import CurrentUser
from server.lib.exceptions import Invalid, NotFound

from .fonts import FontsMissing, undrawable
from .repository import Published, publish_new_version, published_version
from .xlsform import Imported, Problem, XLSFormError, read_xlsform, write_xlsform


class ImportProblem(msgspec.Struct):
    sheet: str
    row: int | None
    column: str | None
    message: str


class ImportResult(msgspec.Struct):
    id: str
    version: int
    title: str
    #: False when the same definition was already published (nothing new was made).
    created: bool
    languages: list[str]
    warnings: list[str] = []
    message: str = ""


def check_workbook(data: bytes) -> Imported:
    """The questionnaire in ``data``; raises XLSFormError listing every problem."""
    imported = read_xlsform(data)
    questionnaire = imported.questionnaire
    try:
        missing = undrawable(questionnaire)
    except FontsMissing as exc:
        raise XLSFormError([Problem("workbook", None, None, str(exc))]) from None
    if missing:
        names = {language.code: language.name for language in questionnaire.languages}
        rows = imported.rows
        problems = []
        for item in missing:
            language = f"{names.get(item.language, item.language)} ({item.language})" if questionnaire.languages \
                else ""
            column = f"label::{language}" if language else "label"
            if item.question_id:
                sheet, row = "survey", rows.get(item.question_id)
            elif item.where == "the language's name":
                sheet, row = "survey", 1
            elif item.where in ("the word for yes", "the word for no"):
                sheet, row = "choices", None
            else:
                sheet, row = "settings", 2
                column = ("translated_title" if item.where == "the title" else "description") + (
                    f"::{language}" if language and item.language != questionnaire.default_language else "")
            problems.append(Problem(sheet, row, column, item.describe(names)))
        problems.sort(key=lambda p: (("survey", "choices", "settings").index(p.sheet), p.row or 0))
        raise XLSFormError(problems)
    return imported


def problem_detail(error: XLSFormError) -> Invalid:
    count = len(error.problems)
    first = str(error.problems[0])
    return Invalid(f"The workbook cannot be imported: {count} problem{'s' if count != 1 else ''} to put right. "
                   f"First: {first}", extra={"problems": [msgspec.to_builtins(ImportProblem(
                       p.sheet, p.row, p.column, p.message)) for p in error.problems]})


async def import_workbook(session: AsyncSession, data: bytes, *, user: CurrentUser | None = None,
                          filename: str = "") -> ImportResult:
    """Check the workbook and publish it as a new version (or say which version it already is)."""
    try:
        imported = check_workbook(data)
    except XLSFormError as exc:
        raise problem_detail(exc) from None
    published: Published = await publish_new_version(session, imported.definition)
    questionnaire = imported.questionnaire
    if published.created:
        message = f"Published {published.id} ({questionnaire.title})."
        if published.asked_for:
            message += (f" {published.asked_for} was already published with other content, so this is version "
                        f"{published.version}: published versions never change.")
        if user is not None:  # the command line has no user: its runner is whoever may reach the database
            await audit(session, user, "questionnaire.import", "questionnaire", published.id,
                        {"filename": filename[:200], "version": published.version})
    else:
        message = f"Nothing new: this workbook is {published.id}, already published."
    languages = [language.code for language in questionnaire.languages] or [questionnaire.default_language]
    return ImportResult(id=published.id, version=published.version, title=questionnaire.title,
                        created=published.created, languages=languages, warnings=imported.warnings, message=message)


async def export_workbook(session: AsyncSession, questionnaire_id: str) -> bytes:
    questionnaire = await published_version(session, questionnaire_id)
    if questionnaire is None:
        raise NotFound(f"There is no published questionnaire {questionnaire_id!r}.")
    return write_xlsform(questionnaire)
