"""Questionnaires for coordinators: the published versions, one as JSON or as an XLSForm workbook, and
the import of a workbook (the body is the .xlsx file itself, like the set-up page's uploads)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from server.lib.auth import current_user, requires_coordinator
from server.lib.exceptions import NotFound, PayloadTooLarge, UnsupportedMediaType
from server.lib.openapi import answers
from server.lib.security import FILE_TYPES

from .pages import questionnaires_page
from .repository import published_summaries, published_version
from .service import ImportResult, export_workbook, import_workbook
from .xlsform import MAX_BYTES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QID = Annotated[str, QueryParameter(max_length=120)]


class QuestionnaireSummary(msgspec.Struct):
    id: str
    version: int
    title: str
    published_at: Any
    languages: list[dict[str, Any]]
    questions: int
    #: How many operations ask it.
    operations: int


class QuestionnaireList(msgspec.Struct):
    items: list[QuestionnaireSummary]
    next: str | None = None


@get("/api/v1/questionnaires", guards=[requires_coordinator], tags=["questionnaires"],
     summary="The published questionnaire versions, newest first within each questionnaire",
     **answers(401, 403))
async def list_questionnaires(db_session: NamedDependency[AsyncSession]) -> QuestionnaireList:
    rows = await published_summaries(db_session)
    return QuestionnaireList(items=[msgspec.convert(row, QuestionnaireSummary) for row in rows])


@get("/api/v1/questionnaires/{questionnaire_id:str}", guards=[requires_coordinator], tags=["questionnaires"],
     summary="One published version's definition (JSON)", **answers(401, 403, 404))
async def get_questionnaire(questionnaire_id: str, db_session: NamedDependency[AsyncSession]) -> Response:
    questionnaire = await published_version(db_session, questionnaire_id[:120])
    if questionnaire is None:
        raise NotFound(f"There is no published questionnaire {questionnaire_id[:120]!r}.")
    return Response(content=msgspec.json.encode(questionnaire), media_type="application/json")


@get("/api/v1/questionnaires/{questionnaire_id:str}/xlsform", guards=[requires_coordinator],
     tags=["questionnaires"], summary="One published version as an XLSForm workbook (.xlsx)",
     description="The survey, choices and settings sheets, every language in its own columns; importing it gives "
                 "the same definition. ODK's converter (pyxform) accepts it.",
     **answers(401, 403, 404))
async def export_questionnaire(questionnaire_id: str, db_session: NamedDependency[AsyncSession]) -> Response:
    data = await export_workbook(db_session, questionnaire_id[:120])
    safe = "".join(ch for ch in questionnaire_id if ch.isalnum() or ch in "-_")[:120]
    return Response(content=data, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{safe}.xlsx"'})


@post("/api/v1/questionnaires/import", guards=[requires_coordinator], tags=["questionnaires"], status_code=200,
      request_max_body_size=None,
      summary="Import an XLSForm workbook as a new questionnaire version",
      description="The body is the .xlsx file itself (Content-Type "
                  f"{XLSX} or application/octet-stream), at most {MAX_BYTES // (1024 * 1024)} MiB. Each import is "
                  "a new immutable version; the same workbook again makes nothing new. A workbook that cannot be "
                  "imported is a 422 whose `extra.problems` name the sheet, row and column of each problem.",
      **answers(401, 403, 413, 415, 422, when={
          413: f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB.",
          415: "The body is not a file: send the workbook's bytes.",
          422: "The workbook cannot be imported: `extra.problems` lists each problem with its sheet, row and column."}))
async def import_questionnaire(request: Request, db_session: NamedDependency[AsyncSession],
                               filename: Annotated[str, QueryParameter(max_length=200)] = "questionnaire.xlsx"
                               ) -> ImportResult:
    kind = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if kind not in FILE_TYPES:
        raise UnsupportedMediaType(f"Send the workbook itself as the body, with Content-Type {XLSX} "
                                   f"(not {kind or 'none'}).")
    too_large = PayloadTooLarge(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB: a questionnaire workbook "
                                "is far smaller. Save a copy with only the survey, choices and settings sheets.")
    announced = request.headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > MAX_BYTES:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise too_large
        chunks.append(chunk)
    return await import_workbook(db_session, b"".join(chunks), user=current_user(request), filename=filename)


ROUTES = [list_questionnaires, get_questionnaire, export_questionnaire, import_questionnaire, questionnaires_page]
