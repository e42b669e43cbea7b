"""A small pack and a fake server for the app's view-model and UI tests.

The pack is built from the shared_schemas structs (three streets, a dozen doors,
two pairs, a questionnaire with skip logic). ``FakeTransport`` implements
mobile.sync.transport.Transport in memory, with switches for the bad cases:
server unreachable, wrong password, expired token, removed from the operation,
records rejected.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import msgspec

from shared_schemas.operations import ListedOperation
from shared_schemas.pack import (
    Pack,
    PackHousehold,
    PackMember,
    PackOperation,
    PackStreet,
    PackTeam,
)
from shared_schemas.questionnaire import load_questionnaire
from shared_schemas.records import decode_record
from shared_schemas.sync import PullResponse, PushRequest, PushResponse, PushResult

PASSWORD = "doorstep-demo"
OP_ID = 7

QUESTIONNAIRE = {
    "id": "streetsafe-test-v1",
    "version": 1,
    "title": "StreetSafe (test)",
    "questions": [
        {"id": "feel_safe", "text": "How safe do you feel in your street after dark?",
         "type": "scale_1_5", "required": True, "low_label": "Very unsafe", "high_label": "Very safe",
         "concern": "feeling_unsafe", "concern_at_or_below": 2},
        {"id": "asb_seen", "text": "Have you seen anti-social behaviour here in the last month?",
         "type": "yes_no", "required": True, "concern": "anti_social_behaviour"},
        {"id": "asb_kind", "text": "What kind of anti-social behaviour?", "type": "single_choice",
         "required": True, "show_if": {"question": "asb_seen", "equals": True},
         "options": [{"value": "noise", "label": "Noise"},
                     {"value": "drugs", "label": "Drug dealing", "concern": "drugs"},
                     {"value": "vandalism", "label": "Vandalism"}]},
        {"id": "smoke_alarm", "text": "Do you have a working smoke alarm?", "type": "yes_no",
         "required": True, "concern": "no_smoke_alarm", "concern_answer": False},
        {"id": "comments", "text": "Anything else you want the partners to know?", "type": "text",
         "max_length": 500},
    ],
}

# Three short streets in Bristol BS5 (lon, lat), door numbers odd on one side, even on the other.
STREETS = [
    (11, "Avon Road", [[-2.5600, 51.4600], [-2.5560, 51.4602], [-2.5520, 51.4603]]),
    (12, "Beech Street", [[-2.5580, 51.4580], [-2.5578, 51.4620]]),
    (13, "Cedar Close", [[-2.5500, 51.4570], [-2.5470, 51.4575]]),
    (14, "Dale Lane", [[-2.5450, 51.4650], [-2.5420, 51.4660]]),  # assigned to the other pair
]


def make_pack(*, op_id: int = OP_ID, doors_per_street: int = 4, questionnaire: dict | None = None) -> Pack:
    streets, households = [], []
    hid = 100
    for sid, name, line in STREETS:
        streets.append(PackStreet(id=sid, ref=f"USRN{sid}", name=name, locality="Easton",
                                  geometry={"type": "MultiLineString", "coordinates": [line]}))
        (x0, y0), (x1, y1) = line[0], line[-1]
        for n in range(1, doors_per_street + 1):
            t = n / (doors_per_street + 1)
            side = "odd" if n % 2 else "even"
            offset = 0.00008 if side == "odd" else -0.00008
            hid += 1
            households.append(PackHousehold(
                id=hid, ref=f"UPRN{hid}", address=f"{n} {name}, Bristol", house_number=str(n),
                postcode="BS5 0AA", street_id=sid, lon=x0 + (x1 - x0) * t + offset,
                lat=y0 + (y1 - y0) * t + offset, side=side, door_order=n,
                # the last door of each street placed along it (OSM had no number there): it may not exist
                source="generated" if n == doors_per_street else "address_point",
            ))
    teams = [
        PackTeam(id=1, name="Pair A", street_ids=[11, 12, 13], members=[
            PackMember(user_id=3, username="officer", display_name="PC Sam Patel",
                       agency_code="police", agency_name="Avon and Somerset Police"),
            PackMember(user_id=5, username="councillor", display_name="Cllr Jo Evans",
                       agency_code="council", agency_name="Bristol City Council"),
        ]),
        PackTeam(id=2, name="Pair B", street_ids=[14], members=[
            PackMember(user_id=4, username="pcso", display_name="PCSO Lee Wong",
                       agency_code="police", agency_name="Avon and Somerset Police"),
            PackMember(user_id=6, username="firefighter", display_name="Alex Reed",
                       agency_code="fire", agency_name="Avon Fire and Rescue"),
        ]),
    ]
    return Pack(
        operation=PackOperation(id=op_id, name="Easton StreetSafe", status="active",
                                questionnaire_id=(questionnaire or QUESTIONNAIRE)["id"]),
        questionnaire=load_questionnaire(questionnaire or QUESTIONNAIRE),
        streets=streets, households=households, teams=teams, cursor="0",
    )


#: The demo questionnaire in English, Welsh, Polish, Urdu and Punjabi.
STREETSAFE_V3 = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "questionnaires"
                            / "streetsafe-community-v3.json").read_text(encoding="utf-8"))

USERS = {
    "officer": {"id": 3, "username": "officer", "display_name": "PC Sam Patel",
                "agency": "police", "roles": ["visitor"]},
    "councillor": {"id": 5, "username": "councillor", "display_name": "Cllr Jo Evans",
                   "agency": "council", "roles": ["visitor"]},
}


class FakeTransport:
    """An in-memory server. Thread-safe enough for the engine's thread."""

    def __init__(self, pack: Pack | None = None) -> None:
        from mobile.sync import TokenGrant  # noqa: F401  (fail early if the API moved)

        self.pack = pack or make_pack()
        self.online = True
        self.token: str | None = None
        self.valid_tokens: set[str] = set()
        self.removed_from: set[int] = set()
        self.reject: dict[str, str] = {}  # record type -> reason
        self.server_error = False
        self.pushed: dict[str, bytes] = {}
        self.photos: dict[str, bytes] = {}
        self.changes: list = []
        self.calls: list[str] = []
        self.gate: threading.Event | None = None  # set by tests to hold a call mid-way
        self._lock = threading.Lock()

    # -- helpers ------------------------------------------------------------------
    def _check(self, name: str, auth: bool = True) -> None:
        self.calls.append(name)
        if self.gate is not None:
            self.gate.wait(10)
        from mobile.sync import AuthExpired, NetworkError, ServerError

        if not self.online:
            raise NetworkError("No connection to the server: check the signal, then try again.")
        if self.server_error:
            raise ServerError("The server had a problem (500); it will be retried.", status=500)
        if auth and self.token not in self.valid_tokens:
            raise AuthExpired("Your sign-in has expired: sign in again.", status=401)

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    # -- Transport ------------------------------------------------------------------
    def sign_in(self, username: str, password: str, *, device_id: str | None = None,
                device_name: str | None = None):
        from mobile.sync import TokenGrant, WrongPassword

        self._check("sign_in", auth=False)
        if username not in USERS or password != PASSWORD:
            raise WrongPassword("Wrong username or password: check both and try again.", status=401)
        token = f"token-{username}-{uuid.uuid4().hex[:8]}"
        self.valid_tokens.add(token)
        self.token = token
        return TokenGrant(access_token=token, expires_in=3600, user=dict(USERS[username]))

    def set_token(self, token: str | None) -> None:
        self.token = token

    def device_order(self) -> str | None:
        return None  # no wipe orders in the UI's fake (tests/tablet_safety drives them through the real server)

    def report_erased(self, token: str) -> None:
        return None

    def list_operations(self) -> list[ListedOperation]:
        self._check("list_operations")
        op = self.pack.operation
        if op.id in self.removed_from:
            return []
        return [ListedOperation(id=op.id, name=op.name, status=str(op.status))]

    def fetch_pack(self, operation_id: int, etag: str | None = None, progress=None):
        from mobile.sync import Forbidden, PackDownload, RequestRejected

        self._check("fetch_pack")
        if operation_id in self.removed_from:
            raise Forbidden("You are no longer on this operation.", status=403)
        if operation_id != self.pack.operation.id:
            raise RequestRejected("No such operation.", status=404)
        if progress is not None:
            progress(0.5)
        if etag == "v1":
            return PackDownload(pack=None, etag="v1")
        return PackDownload(pack=msgspec.json.decode(msgspec.json.encode(self.pack), type=Pack), etag="v1")

    def push(self, request: PushRequest) -> PushResponse:
        self._check("push")
        results = []
        with self._lock:
            for raw in request.records:
                record = decode_record(bytes(raw))
                rid = str(record.id)
                reason = self.reject.get(record.__struct_config__.tag)
                if reason:
                    results.append(PushResult(id=rid, status="rejected", reason=reason))
                elif rid in self.pushed:
                    results.append(PushResult(id=rid, status="duplicate"))
                else:
                    self.pushed[rid] = bytes(raw)
                    results.append(PushResult(id=rid, status="stored"))
        return PushResponse(results=results)

    def upload_photo(self, sha256: str, data: bytes) -> bool:
        """Kept by hash, once (the real server's rule; tests/photos drive the real one)."""
        self._check("upload_photo")
        with self._lock:
            created = sha256 not in self.photos
            self.photos[sha256] = data
        return created

    def pull(self, operation_id: int, since: str | None, *, device_id: str | None = None) -> PullResponse:
        self._check("pull")
        from mobile.sync import Forbidden

        if operation_id in self.removed_from:
            raise Forbidden("You are no longer on this operation.", status=403)
        start = int(since or 0)
        return PullResponse(changes=self.changes[start:], cursor=str(len(self.changes)), more=False)


def pushed_records(transport: FakeTransport) -> list[Any]:
    return [decode_record(raw) for raw in transport.pushed.values()]
