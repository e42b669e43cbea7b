"""Import jobs: an uploaded file queued for the worker, its progress, and the summary it leaves.

Queueing checks what can be checked at once (the operation is not closed, the file looks like what it
claims to be, the same file is not already waiting or running for this operation), so a person hears
about a wrong file on the page straight away; the import itself runs in the worker (worker.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Literal

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Operation
from server.domain.addresses.reader import decode, read_header
from server.domain.operations.lifecycle import ensure_editable
from server.lib.exceptions import Conflict, Invalid

Kind = Literal["osm", "addresses"]
KINDS: dict[str, str] = {"osm": "OpenStreetMap extract", "addresses": "address list"}


class ImportJobOut(msgspec.Struct):
    id: int
    operation_id: int
    kind: str
    filename: str
    size_bytes: int
    status: str  # queued, running, done, failed
    step: str
    done: int
    total: int
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    #: What the import did (counts, refused rows with their line numbers); when done.
    summary: dict[str, Any] | None = None
    #: Why it failed, in words that say what to fix; when failed (nothing was imported then).
    error: str | None = None
    #: The summary as lines to show (label, value), the same the doorstep command prints.
    summary_lines: list[tuple[str, str]] = []


class ImportJobList(msgspec.Struct):
    items: list[ImportJobOut]
    next: str | None = None


_COLUMNS = ("id, operation_id, kind, filename, size_bytes, status, step, done, total, created_at, started_at, "
            "finished_at, summary, error")


def osm_suffix(data: bytes) -> str | None:
    """".osm.pbf" or ".osm" when the bytes look like one, else None (osmium decides by the file name)."""
    if b"OSMHeader" in data[:32]:  # a PBF opens with a BlobHeader of type "OSMHeader"
        return ".osm.pbf"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<osm") or (head.startswith(b"<?xml") and b"<osm" in head):
        return ".osm"
    return None


def check_file(kind: str, filename: str, data: bytes) -> None:
    """A quick look before queueing: the right kind of file, with what the import needs."""
    if not data:
        raise Invalid(f"{filename} is empty.", field="file")
    if kind == "osm":
        if osm_suffix(data) is None:
            raise Invalid(f"{filename} is not an OpenStreetMap extract (.osm XML or .osm.pbf). Export the area "
                          "from OpenStreetMap as .osm or .osm.pbf and upload that.", field="file")
    else:
        text_, _ = decode(data[:1 << 20], filename) if len(data) <= 1 << 20 else _decode_head(data, filename)
        read_header(text_, filename)


def _decode_head(data: bytes, filename: str) -> tuple[str, str]:
    head = data[: 1 << 20]
    cut = head.rfind(b"\n")
    return decode(head[: cut if cut > 0 else len(head)], filename)


async def enqueue(session: AsyncSession, operation: Operation, kind: str, filename: str, data: bytes,
                  user_id: int) -> ImportJobOut:
    ensure_editable(operation, "its streets and doors")
    check_file(kind, filename, data)
    digest = hashlib.sha256(data).hexdigest()
    new_id = (await session.execute(text("""
        INSERT INTO import_job (operation_id, kind, filename, sha256, size_bytes, content, created_by)
        VALUES (:op, :kind, :filename, :sha, :size, :content, :user)
        ON CONFLICT (operation_id, sha256) WHERE status IN ('queued', 'running') DO NOTHING
        RETURNING id"""), {"op": operation.id, "kind": kind, "filename": filename[:200], "sha": digest,
                          "size": len(data), "content": data, "user": user_id})).scalar()
    if new_id is None:
        other = (await session.execute(text(
            "SELECT id, filename FROM import_job WHERE operation_id = :op AND sha256 = :sha "
            "AND status IN ('queued', 'running')"), {"op": operation.id, "sha": digest})).first()
        raise Conflict(f"This file is already being imported into {operation.name!r}"
                       + (f" (upload {other.id}, {other.filename})" if other else "")
                       + ": wait for it to finish; uploading it again then updates the same doors.",
                       extra={"job_id": other.id if other else None})
    return await job(session, operation.id, new_id)


async def job(session: AsyncSession, operation_id: int, job_id: int) -> ImportJobOut:
    from server.lib.exceptions import NotFound

    row = (await session.execute(text(f"SELECT {_COLUMNS} FROM import_job WHERE id = :id AND operation_id = :op"),
                                 {"id": job_id, "op": operation_id})).mappings().first()
    if row is None:
        raise NotFound(f"There is no upload {job_id} on operation {operation_id}.")
    return _out(row)


async def jobs(session: AsyncSession, operation_id: int, limit: int = 20) -> list[ImportJobOut]:
    rows = (await session.execute(text(
        f"SELECT {_COLUMNS} FROM import_job WHERE operation_id = :op ORDER BY id DESC LIMIT :limit"),
        {"op": operation_id, "limit": limit})).mappings().all()
    return [_out(r) for r in rows]


def _out(row: Any) -> ImportJobOut:
    from server.domain.addresses.commands import address_summary_rows
    from server.domain.areas.commands import osm_summary_rows

    summary = row["summary"]
    lines: list[tuple[str, str]] = []
    if summary:
        lines = address_summary_rows(summary) if row["kind"] == "addresses" else osm_summary_rows(summary)
    return ImportJobOut(**row, summary_lines=lines)
