"""HttpTransport: each way the server or the network can answer becomes the right error or value."""

from __future__ import annotations

import uuid

import httpx
import msgspec
import pytest

from mobile.store import Store
from mobile.sync import (
    AuthExpired,
    Forbidden,
    HttpTransport,
    NetworkError,
    RequestRejected,
    ServerError,
    SyncEngine,
    WrongPassword,
    sign_in,
)
from shared_schemas.auth import SignedInUser, SignInAnswer, SignInRequest
from shared_schemas.sync import PushRequest

from .builders import OPERATION_ID, make_pack, visit
from .fakes import GOOD_TOKEN, FakeHttpServer


def transport_answering(handler) -> HttpTransport:
    return HttpTransport("http://server", "t0k", client=httpx.Client(base_url="http://server",
                                                                     transport=httpx.MockTransport(handler)))


def empty_push() -> PushRequest:
    return PushRequest(device_id="d", records=[])


@pytest.mark.parametrize(("status", "error"), [
    (401, AuthExpired), (403, Forbidden), (422, RequestRejected), (429, ServerError), (500, ServerError),
    (503, ServerError)])
def test_statuses_map_to_errors_with_the_servers_message(status, error):
    transport = transport_answering(lambda request: httpx.Response(status, json={"detail": f"said {status}"}))
    with pytest.raises(error) as caught:
        transport.push(empty_push())
    assert caught.value.message == f"said {status}" and caught.value.status == status
    assert caught.value.retryable is (error is ServerError)


def test_no_answer_is_a_network_error():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(NetworkError):
        transport_answering(refuse).pull(OPERATION_ID, None)


def test_a_captive_portal_page_is_a_retryable_server_error():
    portal = transport_answering(lambda request: httpx.Response(200, html="<html>Sign in to Cafe WiFi</html>"))
    with pytest.raises(ServerError) as caught:
        portal.pull(OPERATION_ID, "5")
    assert caught.value.retryable


def test_requests_carry_the_token_query_and_etag():
    seen = []
    pack = make_pack()

    def handler(request: httpx.Request):
        seen.append(request)
        if request.url.path.endswith("/pack"):
            if request.headers.get("if-none-match") == '"abc"':
                return httpx.Response(304)
            return httpx.Response(200, content=msgspec.json.encode(pack), headers={"ETag": '"abc"'})
        if request.url.path == "/api/v1/auth/token":
            return httpx.Response(200, content=msgspec.json.encode(SignInAnswer(
                access_token="new", expires_in=60, session_kind="device", session_id="s1",
                user=SignedInUser(id=3, username="officer", display_name="Officer", agency_code="police",
                                  roles=["visitor"]))))
        if request.url.path == "/api/v1/operations":
            if request.url.params.get("cursor") == "p2":
                return httpx.Response(200, json={"items": [{"id": 2, "name": "B", "status": "active"}], "next": None})
            return httpx.Response(200, json={"items": [{"id": 1, "name": "A", "status": "active"}], "next": "p2"})
        return httpx.Response(200, json={"changes": [], "cursor": "9", "more": False})

    transport = transport_answering(handler)
    download = transport.fetch_pack(OPERATION_ID)
    assert download.pack == pack and download.etag == '"abc"' and download.raw
    assert transport.fetch_pack(OPERATION_ID, '"abc"').pack is None
    assert transport.pull(OPERATION_ID, "5").cursor == "9"
    assert seen[-1].url.params["operation_id"] == str(OPERATION_ID) and seen[-1].url.params["since"] == "5"
    assert all(r.headers["authorization"] == "Bearer t0k" for r in seen)
    grant = transport.sign_in("officer", "pw", device_id="tablet-9", device_name="Tablet (tablet-9)")
    assert grant.access_token == "new" and grant.user["username"] == "officer"
    sent = msgspec.json.decode(seen[-1].content, type=SignInRequest)
    assert sent.device_id == "tablet-9" and seen[-1].headers["content-type"] == "application/json"
    assert [o.id for o in transport.list_operations()] == [1, 2]
    assert seen[-1].headers["authorization"] == "Bearer new"


def test_a_revoked_session_is_an_auth_error_that_says_why():
    """The server's machine-readable reason reaches the tablet (what it then does is the tablet's)."""
    transport = transport_answering(lambda request: httpx.Response(
        401, json={"status_code": 401, "detail": "This sign-in was ended by an admin or coordinator.",
                   "extra": {"reason": "revoked"}}))
    with pytest.raises(AuthExpired) as caught:
        transport.pull(OPERATION_ID, None)
    assert caught.value.reason == "revoked" and "ended by an admin" in caught.value.message


def test_a_refused_sign_in_is_a_wrong_password():
    transport = transport_answering(lambda request: httpx.Response(401, json={"detail": "Wrong username or password"}))
    with pytest.raises(WrongPassword):
        transport.sign_in("officer", "nope")


def test_the_engine_over_real_http(store, pack, server):
    records = [visit(h.id) for h in pack.households[:5]]
    for r in records:
        store.record_visit(r)
    with FakeHttpServer(server) as http:
        transport = HttpTransport(http.url, GOOD_TOKEN)
        engine = SyncEngine(store, transport, batch_size=2)
        outcome = engine.sync_once()
        again = engine.sync_once()  # pulls our own visits back: nothing new to apply
        transport.close()
    assert outcome.ok and outcome.stored == 5
    assert set(server.records) == {str(r.id) for r in records}
    assert again.ok and again.pulled == 0 and again.stored == 0
    assert store.pull_cursor(OPERATION_ID) == "5"
    assert uuid.UUID(store.device_id)


def test_pack_download_reports_progress_and_keeps_the_bytes():
    pack = make_pack(streets=40, doors_per_street=50)
    body = msgspec.json.encode(pack)

    def handler(request):
        # A body that arrives in pieces, as over a slow network.
        chunks = [body[i:i + 8192] for i in range(0, len(body), 8192)]
        return httpx.Response(200, content=iter(chunks), headers={"Content-Length": str(len(body)), "ETag": '"p"'})

    seen: list[float] = []
    download = transport_answering(handler).fetch_pack(OPERATION_ID, progress=seen.append)
    assert download.raw == body and download.pack == pack
    assert len(seen) > 5 and seen == sorted(seen) and seen[-1] == 1.0


def test_a_throttled_sign_in_is_final_with_the_servers_message(tmp_path):
    wait = "Too many failed sign-ins; wait 40 seconds and try again."
    transport = transport_answering(lambda request: httpx.Response(429, json={"detail": wait}))
    with pytest.raises(RequestRejected):
        transport.sign_in("officer", "pw")
    with Store.open(tmp_path / "t.db") as store:
        store.remember_sign_in("officer", "pw", "tok", 60, {"username": "officer"})
        result = sign_in(store, transport, "officer", "pw")
    assert not result.ok and result.error == wait
