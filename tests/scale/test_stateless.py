"""Stateless servers (issue 18): nothing a request needs lives in one server process's memory alone.

This reads the server's code (and shared_schemas, which it runs) and finds every piece of memory a
process keeps and changes while it runs: module-level names changed inside functions (assigned
through ``global``, item-assigned, or changed by a method such as ``append`` or ``update``),
attributes a method changes on ``self`` outside ``__init__``, and functions memoised with
``functools.cache``/``lru_cache``. Each must be listed in PROCESS_STATE with why another process not
having it, or this one losing it, changes no answer. A new one fails here until it is kept in
PostgreSQL instead, or listed with its reason; a listed one that is gone fails too, so the list stays
true.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "server", ROOT / "shared_schemas"]
MUTATING_METHODS = {"append", "extend", "insert", "pop", "popitem", "clear", "update", "setdefault", "add",
                    "discard", "remove", "move_to_end", "appendleft", "set"}
MEMOISERS = {"cache", "lru_cache", "cached_property"}

#: Every piece of process memory the scan finds, with why it is safe: a cache of something that
#: cannot change, or is asked again when it runs out; per-process throttles of this process's own
#: work; or memory of one request or one job while it runs.
PROCESS_STATE = {
    "server/lib/auth.py:SessionGate._known":
        "a session check's answer, trusted at most DOORSTEP_SESSION_CHECK_SECONDS (≤ 30 s); PostgreSQL "
        "holds the session; lost, it is read again",
    "server/settings.py:get_settings (@cache)":
        "the settings, read once from the environment; every server process is started with the same",
    "server/domain/questionnaires/repository.py:_LOADED":
        "published questionnaire versions, which never change (a trigger refuses updates); lost, read again",
    "shared_schemas/questionnaire/answers.py:_PLANS":
        "the compiled show_if plan of a loaded questionnaire, derived from its immutable definition",
    "server/domain/opendata/report.py:RenderedCache._items":
        "rendered maps and PDFs keyed by the results version, publication and priorities they were made "
        "from: a change is a new key, so never stale; lost, rendered again",
    "server/domain/followups/hooks.py:_bank_holidays (@cache)": "a pure function of the region and the year",
    "server/domain/notifications/worker.py:NotificationWorker._paused_until":
        "this process's pause after finding a channel (the SMTP server) down; each row is leased in "
        "PostgreSQL, so any process sends any row, once",
    "server/domain/notifications/worker.py:NotificationWorker._outages":
        "how many times in a row this process found a channel down (its pause doubles)",
    "server/domain/imports/worker.py:Progress.step": "one running import's progress, written to its job row",
    "server/domain/imports/worker.py:Progress.done": "one running import's progress, written to its job row",
    "server/domain/imports/worker.py:Progress.total": "one running import's progress, written to its job row",
    "server/domain/sync/ingest.py:_Batch.results": "one push's answers, built during that request",
    "server/domain/sync/ingest.py:_Corrections.known":
        "one push's look-up of the visits its corrections name, read from PostgreSQL during that request",
    "server/domain/sync/ingest.py:_Corrections.claimed":
        "the corrections claimed so far within one push; across pushes a unique index decides",
    "server/domain/sync/ingest.py:_gc_pauses (global)":
        "Python's cycle collector paused while pushes run in this process: speed, not data",
    "server/domain/sync/ingest.py:_gc_paused_since (global)": "as _gc_pauses",
    "server/domain/sync/ingest.py:_gc_was_enabled (global)": "as _gc_pauses",
    "server/lib/openapi.py:DocumentedOperation.responses":
        "the OpenAPI document, built from the code at start-up, the same in every process",
    "server/lib/openapi.py:DocumentedOperation.request_body": "as DocumentedOperation.responses",
    "server/lib/passwords.py:_slots":
        "how many argon2 hashes this process runs at once: protects its own CPU, per process by design",
    "server/db/reads.py:ReadReplica._away_until":
        "this process found the read replica away and reads the primary for 5 s; then asks again",
    "server/db/reads.py:ReadReplica._sample":
        "the primary's WAL position, read at most a second ago, to judge the replica's lag; lost, read again",
    "server/domain/notifications/worker.py:NotificationWorker._woken":
        "wakes this process's notification worker early; rows are leased in PostgreSQL and any other "
        "process finds them at its next poll",
    "server/domain/questionnaires/expressions.py:_Reader.at": "one expression's parser, during one check",
    "server/domain/questionnaires/expressions.py:_Reader.depth": "as _Reader.at",
    "server/domain/questionnaires/fonts.py:_cmap (@lru_cache)":
        "the characters a font file installed with the server draws: a pure function of the file",
    "server/domain/questionnaires/xlsform.py:Languages.codes": "the languages of one XLSForm, during its reading",
    "server/domain/questionnaires/xlsform.py:Languages.declared": "as Languages.codes",
    "server/domain/questionnaires/xlsform.py:Languages.names": "as Languages.codes",
    "server/domain/questionnaires/xlsform.py:_Reader._demonstration": "one XLSForm's reading, during one upload",
    "server/domain/questionnaires/xlsform.py:_Reader._yes_no_list": "as _Reader._demonstration",
    "server/domain/questionnaires/xlsform.py:_Reader._yes_no_words": "as _Reader._demonstration",
    "server/domain/questionnaires/xlsform.py:_Reader.columns": "as _Reader._demonstration",
    "server/domain/questionnaires/xlsform.py:_Reader.problems": "as _Reader._demonstration",
    "server/domain/questionnaires/xlsform.py:_Reader.warnings": "as _Reader._demonstration",
    "server/lib/languages.py:english_name (@lru_cache)": "a pure function of a language code (Babel's data)",
    "server/lib/languages.py:own_name (@lru_cache)": "as english_name",
    "server/lib/pages.py:_AREAS":
        "the page areas, registered as the app is built from the code, the same in every process",
    "shared_schemas/catalogs.py:catalog (@lru_cache)":
        "a language's message catalog, compiled from the .po file shipped with the code",
    "shared_schemas/questionnaire/languages.py:_TRANSLATED":
        "a published (immutable) questionnaire in one language, derived from it; at most 64, lost, made again",
}


def _class_of(tree: ast.Module, node: ast.AST) -> str:
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef) and any(n is node for n in ast.walk(cls)):
            return cls.name
    return "?"


def process_state(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    where = path.relative_to(ROOT).as_posix()
    module_names = {t.id for node in tree.body
                    for t in (node.targets if isinstance(node, ast.Assign) else
                              [node.target] if isinstance(node, ast.AnnAssign) else [])
                    if isinstance(t, ast.Name)}
    found: set[str] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in fn.decorator_list:
            named = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = named.attr if isinstance(named, ast.Attribute) else getattr(named, "id", "")
            if name in MEMOISERS:
                found.add(f"{where}:{fn.name} (@{name})")
        local = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(fn):
            if isinstance(node, ast.Global):
                found |= {f"{where}:{name} (global)" for name in node.names}
                continue
            changed = None
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                changed = node
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
                changed = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in MUTATING_METHODS:
                changed = node.func.value
            if isinstance(changed, ast.Name) and changed.id in module_names and changed.id not in local:
                found.add(f"{where}:{changed.id}")
            elif (isinstance(changed, ast.Attribute) and isinstance(changed.value, ast.Name)
                  and changed.value.id == "self" and fn.name != "__init__"):
                found.add(f"{where}:{_class_of(tree, fn)}.{changed.attr}")
    return found


def test_every_piece_of_process_memory_is_safe_to_lose_and_listed():
    found: set[str] = set()
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            if "migrations" not in path.parts:
                found |= process_state(path)
    unlisted = sorted(found - set(PROCESS_STATE))
    assert not unlisted, (
        f"New memory a server process keeps and changes: {unlisted}. With several server processes behind a "
        "load balancer (README, 'Scaling out'), a request must not need what only one process remembers: keep it "
        "in PostgreSQL, or add it to PROCESS_STATE in this file saying why losing it, or another process not "
        "having it, changes no answer.")
    gone = sorted(set(PROCESS_STATE) - found)
    assert not gone, f"PROCESS_STATE lists what the code no longer has: {gone}; remove them from the list."
