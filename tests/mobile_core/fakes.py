"""A fake server with the real server's sync rules, and a network that misbehaves on purpose.

FakeServer stores each record exactly once by id (insert-or-skip, like the real unique
constraint; the same id with other content is rejected), rejects bad records one by one
with a reason, and keeps a change feed with a strictly increasing cursor. FaultyNetwork
sits between it and the engine.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import msgspec

from mobile.sync import (
    AuthExpired,
    Forbidden,
    NetworkError,
    PackDownload,
    RequestRejected,
    ServerError,
    TokenGrant,
    WrongPassword,
)
from shared_schemas.operations import ListedOperation
from shared_schemas.pack import Pack
from shared_schemas.records import RecordError, Visit, check_record, decode_record
from shared_schemas.sync import (
    Change,
    FollowupStatusChange,
    PullResponse,
    PushRequest,
    PushResponse,
    PushResult,
    TeamChange,
    VisitChange,
    push_request_decoder,
)

GOOD_TOKEN = "token-officer"
PASSWORD = "doorstep-demo"


class FakeServer:
    """The sync side of the server, in memory and thread-safe."""

    def __init__(self, packs: list[Pack], page_size: int = 50) -> None:
        self.packs = {p.operation.id: p for p in packs}
        self.households = {p.operation.id: {h.id for h in p.households} for p in packs}
        self.records: dict[str, bytes] = {}  # id -> the record as first stored
        self.stored_count: Counter[str] = Counter()  # how many times each id was inserted
        self.arrival: list[str] = []  # ids in the order they were stored
        self.feed: list[tuple[int, int, Change]] = []  # (seq, operation_id, change)
        self.page_size = page_size
        self.tokens = {GOOD_TOKEN}
        self.removed_from: set[int] = set()  # operations the user was taken off
        self._lock = threading.Lock()

    # -- push: decode each record on its own, insert-or-skip by id -------------------
    def push(self, request: PushRequest, token: str | None) -> PushResponse:
        self._authorise(token)
        results = []
        for raw in request.records:
            try:
                record = decode_record(raw)
            except RecordError as exc:
                results.append(PushResult(id=_id_of(raw), status="rejected", reason=exc.message, path=exc.path))
                continue
            problems = check_record(record) + self._server_rules(record)
            if problems:
                results.append(PushResult(id=str(record.id), status="rejected", reason="; ".join(problems)))
                continue
            status = self._insert_or_skip(record, bytes(raw))
            if status == "other content":  # like the real server: the first version is kept
                results.append(PushResult(id=str(record.id), status="rejected",
                                          reason="a record with this id was already stored with other content"))
            else:
                results.append(PushResult(id=str(record.id), status=status))
        return PushResponse(results=results)

    def _server_rules(self, record) -> list[str]:
        if isinstance(record, Visit) and record.household_id not in self.households.get(record.operation_id, ()):
            return [f"household {record.household_id} is not in operation {record.operation_id}"]
        return []

    def _insert_or_skip(self, record, raw: bytes) -> str:
        key = str(record.id)
        with self._lock:
            if key in self.records:
                return "duplicate" if decode_record(self.records[key]) == record else "other content"
            self.records[key] = raw
            self.stored_count[key] += 1
            self.arrival.append(key)
            if isinstance(record, Visit):
                self._emit(record.operation_id, VisitChange(
                    id=record.id, household_id=record.household_id, team_id=record.team_id,
                    outcome=record.outcome, visited_at=record.visited_at))
            return "stored"

    # -- pull: a consistent page after a cursor ----------------------------------------
    def pull(self, operation_id: int, since: str | None, token: str | None) -> PullResponse:
        self._authorise(token)
        if operation_id in self.removed_from:
            raise Forbidden("you are not on this operation", status=403)
        after = int(since or 0)
        with self._lock:
            if after > self._last_seq():  # like the real server after a database restore
                raise RequestRejected("The cursor is from the future; leave `since` out", status=400)
            page = [(seq, c) for seq, op, c in self.feed if op == operation_id and seq > after]
            more = len(page) > self.page_size
            page = page[: self.page_size]
            cursor = str(page[-1][0]) if page else str(max(after, self._last_seq()))
        return PullResponse(changes=[c for _, c in page], cursor=cursor, more=more)

    def pack(self, operation_id: int, etag: str | None, token: str | None) -> PackDownload:
        self._authorise(token)
        if operation_id in self.removed_from:
            raise Forbidden("you are not on this operation", status=403)
        current = f'"pack-{operation_id}-{self._last_seq()}"'
        if etag == current:
            return PackDownload(pack=None, etag=etag)
        pack = self.packs[operation_id]
        return PackDownload(pack=pack, etag=current, raw=msgspec.json.encode(pack))

    # -- what other people do on the server --------------------------------------------
    def other_team_visit(self, operation_id: int, visit: Visit) -> None:
        self._insert_or_skip(visit, msgspec.json.encode(visit))

    def set_followup_status(self, operation_id: int, followup_id, status: str, version: int) -> None:
        with self._lock:
            self._emit(operation_id, FollowupStatusChange(
                followup_id=followup_id, status=status, version=version, changed_at=datetime.now(UTC)))

    def change_team(self, operation_id: int, change: TeamChange) -> None:
        with self._lock:
            self._emit(operation_id, change)

    def _emit(self, operation_id: int, change: Change) -> None:
        self.feed.append((self._last_seq() + 1, operation_id, change))

    def _last_seq(self) -> int:
        return self.feed[-1][0] if self.feed else 0

    def _authorise(self, token: str | None) -> None:
        if token not in self.tokens:
            raise AuthExpired("token expired", status=401)


def _id_of(raw) -> str:
    try:
        return str(msgspec.json.decode(raw).get("id"))
    except Exception:
        return ""


class FaultyNetwork:
    """A Transport to a FakeServer that drops requests, drops answers after the server acted,
    delivers requests twice, reorders records and answers, and answers 5xx.

    Faults are drawn from a seeded Random; `heal()` makes the network perfect.
    """

    def __init__(
        self,
        server: FakeServer,
        *,
        seed: int = 0,
        drop_request: float = 0.0,
        drop_response: float = 0.0,
        duplicate: float = 0.0,
        reorder: float = 0.0,
        server_error: float = 0.0,
        partial_answer: float = 0.0,
        token: str | None = GOOD_TOKEN,
    ) -> None:
        self.server = server
        self.rng = random.Random(seed)
        self.faults = {"drop_request": drop_request, "drop_response": drop_response, "duplicate": duplicate,
                           "reorder": reorder, "server_error": server_error, "partial_answer": partial_answer}
        self.token = token
        self.signed_in_as_device: str | None = None  # the device id the last sign-in gave
        self.down = False  # no signal at all
        self.pushed_batches: list[list[str]] = []  # record ids per push the server received
        self.fault_log: Counter[str] = Counter()

    def heal(self) -> None:
        self.faults = dict.fromkeys(self.faults, 0.0)
        self.down = False

    def _roll(self, fault: str) -> bool:
        hit = self.rng.random() < self.faults[fault]
        if hit:
            self.fault_log[fault] += 1
        return hit

    def _before(self) -> None:
        if self.down or self._roll("drop_request"):
            raise NetworkError("connection dropped before the server got the request")
        if self._roll("server_error"):
            raise ServerError("503 Service Unavailable", status=503)

    # -- Transport -------------------------------------------------------------------
    def set_token(self, token: str | None) -> None:
        self.token = token

    # No faults rolled for these two: the seeded fault sequences of the push tests stay as they were.
    def device_order(self) -> str | None:
        if self.down:
            raise NetworkError("no signal")
        return getattr(self, "order", None)

    def report_erased(self, token: str) -> None:
        if self.down:
            raise NetworkError("no signal")
        self.erased_reports = [*getattr(self, "erased_reports", []), token]

    def sign_in(self, username: str, password: str, *, device_id: str | None = None,
                device_name: str | None = None) -> TokenGrant:
        self.signed_in_as_device = device_id
        if self.down:
            raise NetworkError("no signal")
        if (username, password) != ("officer", PASSWORD):
            raise WrongPassword("wrong username or password", status=401)
        self.token = GOOD_TOKEN
        return TokenGrant(access_token=GOOD_TOKEN, expires_in=3600, user={"id": 1, "username": "officer"},
                          policy=getattr(self, "policy", None))

    def list_operations(self) -> list[ListedOperation]:
        self._before()
        return [ListedOperation(id=op, name=p.operation.name, status=str(p.operation.status))
                for op, p in self.server.packs.items()]

    def fetch_pack(self, operation_id: int, etag: str | None = None, progress=None) -> PackDownload:
        self._before()
        download = self.server.pack(operation_id, etag, self.token)
        if progress is not None and download.raw:
            for part in (0.25, 0.5, 0.75, 1.0):
                progress(part)
        return download

    def push(self, request: PushRequest) -> PushResponse:
        self._before()
        records = list(request.records)
        if self._roll("reorder"):
            self.rng.shuffle(records)
        delivered = PushRequest(device_id=request.device_id, records=records)
        response = self.server.push(delivered, self.token)
        self.pushed_batches.append([_id_of(r) for r in records])
        if self._roll("duplicate"):  # the request arrives twice; the tablet sees the second answer
            response = self.server.push(delivered, self.token)
        if self._roll("drop_response"):
            raise NetworkError("connection dropped after the server stored the records")
        if self._roll("server_error"):
            raise ServerError("502 Bad Gateway (after the server stored the records)", status=502)
        results = list(response.results)
        if self._roll("reorder"):
            self.rng.shuffle(results)
        if results and self._roll("partial_answer"):
            results = results[: self.rng.randrange(len(results))]
        return PushResponse(results=results)

    def pull(self, operation_id: int, since: str | None, *, device_id: str | None = None) -> PullResponse:
        self._before()
        page = self.server.pull(operation_id, since, self.token)
        if self._roll("drop_response"):
            raise NetworkError("connection dropped during the pull")
        return page


class FakeHttpServer:
    """The FakeServer behind real HTTP (stdlib), so HttpTransport and killed processes can be tested."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server
        fake = server

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _token(self) -> str | None:
                header = self.headers.get("Authorization", "")
                return header.removeprefix("Bearer ") or None

            def _answer(self, status: int, body: object) -> None:
                data = msgspec.json.encode(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _guard(self, call):
                try:
                    status, body = call()
                except AuthExpired:
                    status, body = 401, {"detail": "token expired"}
                except Forbidden:
                    status, body = 403, {"detail": "You are not on this operation."}
                except RequestRejected as exc:
                    status, body = 400, {"detail": exc.message}
                self._answer(status, body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if self.path == "/api/v1/sync/push":
                    self._guard(lambda: (201, fake.push(push_request_decoder.decode(body), self._token())))
                else:
                    self._answer(404, {"detail": "not found"})

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/api/v1/sync/pull":
                    self._guard(lambda: (200, fake.pull(int(query["operation_id"]), query.get("since"), self._token())))
                else:
                    self._answer(404, {"detail": "not found"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
