"""Lost and retired tablets (issue 15, "Lost devices"): an admin or coordinator marks a tablet; at its
next contact it erases its store, photos and key, and the server records when it reported it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from mobile.store import Store
from mobile.store.cipher import companions, id_path, photos_dir, store_id
from mobile.store.keys import FileKeys
from mobile.sync import HttpTransport, SyncEngine, sign_in
from mobile.sync.messages import ERASED
from shared_schemas.codes import Outcome
from shared_schemas.records import Followup, ResidentContact, Visit
from tests.security.conftest import bearer

PASSWORD = "doorstep-demo"
PLANTED_NAME = "Philippa Wipeme-Quartermain"
PLANTED_PHONE = "07911 123987"


async def _orders(client, headers, device_id: str) -> list[dict]:
    r = await client.get("/api/v1/devices/orders", headers=await headers("coordinator"))
    assert r.status_code == 200, r.text
    return [o for o in r.json()["items"] if o["device_id"] == device_id]


async def test_a_tablet_marked_lost_is_refused_at_once_and_its_report_is_recorded(client, headers, make_user,
                                                                                  sign_in):
    device = str(uuid.uuid4())
    tablet = await sign_in("officer", PASSWORD, device_id=device, device_name="Lost in a café")
    assert (await client.get("/api/v1/operations", headers=bearer(tablet))).status_code == 200

    # Only admins and coordinators, and a coordinator only for tablets on their operations.
    body = {"kind": "lost"}
    assert (await client.post(f"/api/v1/devices/{tablet['session_id']}/order", json=body,
                              headers=await headers("envhealth"))).status_code == 403
    stranger = await sign_in(await make_user(("visitor",), "housing"), device_id=str(uuid.uuid4()))
    assert (await client.post(f"/api/v1/devices/{stranger['session_id']}/order", json=body,
                              headers=await headers("coordinator"))).status_code == 404
    assert (await client.post(f"/api/v1/devices/{tablet['session_id']}/order", json={"kind": "stolen"},
                              headers=await headers("coordinator"))).status_code == 422

    r = await client.post(f"/api/v1/devices/{tablet['session_id']}/order", json=body,
                          headers=await headers("coordinator"))
    assert r.status_code == 204, r.text
    refused = await client.get("/api/v1/operations", headers=bearer(tablet))
    assert refused.status_code == 401 and refused.json()["extra"]["reason"] == "lost"
    assert "lost" in refused.json()["detail"]
    [order] = await _orders(client, headers, device)
    assert order["kind"] == "lost" and order["device_name"] == "Lost in a café" and order["done_at"] is None
    assert order["username"] == "officer"

    # The report needs a token this server signed; the tablet's own (ended) one is enough.
    assert (await client.post("/api/v1/devices/erased")).status_code == 401
    assert (await client.post("/api/v1/devices/erased", headers={"Authorization": "Bearer forged.token.here"}))\
        .status_code == 401
    r = await client.post("/api/v1/devices/erased", headers=bearer(tablet))
    assert r.status_code == 204, r.text
    [order] = await _orders(client, headers, device)
    assert order["done_at"] is not None
    assert (await client.post("/api/v1/devices/erased", headers=bearer(tablet))).status_code == 404
    # Another tablet's report does not touch this one's order (there is none for it).
    assert (await client.post("/api/v1/devices/erased", headers=bearer(stranger))).status_code == 404


async def test_a_retired_tablet_keeps_sending_until_it_reports_it_has_erased_itself(client, headers, sign_in):
    device = str(uuid.uuid4())
    tablet = await sign_in("pcso", PASSWORD, device_id=device, device_name="Old tablet 3")
    mine = await client.get("/api/v1/devices/mine", headers=bearer(tablet))
    assert mine.status_code == 200 and mine.json() == {"order": None}
    r = await client.post(f"/api/v1/devices/{tablet['session_id']}/order", json={"kind": "retired"},
                          headers=await headers("admin"))
    assert r.status_code == 204, r.text
    push = {"device_id": device, "records": []}
    assert (await client.post("/api/v1/sync/push", json=push, headers=bearer(tablet))).status_code == 200
    assert (await client.get("/api/v1/devices/mine", headers=bearer(tablet))).json() == {"order": "retired"}
    assert (await client.post("/api/v1/devices/erased", headers=bearer(tablet))).status_code == 204
    after = await client.get("/api/v1/operations", headers=bearer(tablet))
    assert after.status_code == 401 and after.json()["extra"]["reason"] == "retired"
    [order] = await _orders(client, headers, device)
    assert order["kind"] == "retired" and order["done_at"] is not None


# ---------------------------------------------------------------- a real tablet through the real server


def _tablet(tmp_path, url: str, username: str) -> tuple[Store, HttpTransport, SyncEngine, int, FileKeys]:
    keys = FileKeys(tmp_path / "keys")
    store = Store.open(tmp_path / "doorstep.sqlite3", keys=keys)
    transport = HttpTransport(url)
    assert sign_in(store, transport, username, PASSWORD).ok
    engine = SyncEngine(store, transport)
    for operation in transport.list_operations():
        assert engine.download_pack(operation.id).ok
        if store.team_for_user(operation.id, username) is not None:
            return store, transport, engine, operation.id, keys
    pytest.fail(f"{username} is on no pair")


def _followup(store: Store, op_id: int, username: str) -> Followup:
    team = store.team_for_user(op_id, username)
    door = store.households_on_street(op_id, store.streets_for_team(op_id, team.id)[0].id)[0]
    now = datetime.now(UTC)
    visit = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=door.id, team_id=team.id, visited_at=now,
                  outcome=Outcome.NO_ANSWER)
    followup = Followup(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category="home_fire_safety_visit",
                        description="Planted for the wipe test", resident_consent=True,
                        resident=ResidentContact(name=PLANTED_NAME, phone=PLANTED_PHONE), raised_at=now,
                        visit_id=visit.id)
    store.record_visit(visit, followups=[followup])
    return followup


def _admin(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _session_of(url: str, admin: dict, device_id: str) -> str:
    listed = httpx.get(f"{url}/api/v1/devices", params={"limit": 500}, headers=admin).json()["items"]
    [mine] = [d for d in listed if d["device_id"] == device_id]
    return mine["session_id"]


def _order_of(url: str, admin: dict, device_id: str) -> dict:
    [order] = [o for o in httpx.get(f"{url}/api/v1/devices/orders", headers=admin).json()["items"]
               if o["device_id"] == device_id]
    return order


def test_a_lost_tablet_erases_store_photos_and_key_at_its_next_contact(live_server, tmp_path):
    store, transport, engine, op_id, keys = _tablet(tmp_path, live_server, "officer")
    old_device, old_id = store.device_id, store_id(store.path, create=False)
    photo = photos_dir(store.path) / "ab" / "photo.enc"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"an encrypted photo stands here")
    assert keys.load(old_id) is not None
    # A record not yet sent when the order comes: a wipe is meant to take it too.
    _followup(store, op_id, "officer")
    admin = _admin(live_server)
    r = httpx.post(f"{live_server}/api/v1/devices/{_session_of(live_server, admin, old_device)}/order",
                   json={"kind": "lost"}, headers=admin)
    assert r.status_code == 204, r.text

    outcome = engine.sync_once()
    assert outcome.needs_sign_in and outcome.error == ERASED["lost"]
    assert keys.load(old_id) is None  # the key first: without it nothing left on flash reads
    assert not photos_dir(store.path).exists()
    # A new empty store took its place: another key, another device id, nobody signed in, nothing held.
    assert store_id(store.path, create=False) != old_id and store.device_id != old_device
    assert store.current_session() is None and store.downloaded_operations() == []
    assert store.outbox_waiting() == []
    for file in [store.path, *companions(store.path), id_path(store.path)]:
        if file.exists():
            data = file.read_bytes()
            assert PLANTED_NAME.encode() not in data and PLANTED_PHONE.encode() not in data
    assert _order_of(live_server, admin, old_device)["done_at"] is not None
    store.close()


def test_a_retired_tablet_sends_what_it_holds_then_erases_itself(live_server, tmp_path):
    store, transport, engine, op_id, keys = _tablet(tmp_path, live_server, "pcso")
    old_device, old_id = store.device_id, store_id(store.path, create=False)
    admin = _admin(live_server)
    r = httpx.post(f"{live_server}/api/v1/devices/{_session_of(live_server, admin, old_device)}/order",
                   json={"kind": "retired"}, headers=admin)
    assert r.status_code == 204, r.text
    _followup(store, op_id, "pcso")  # recorded after the order, before the next contact

    outcome = engine.sync_once()
    assert outcome.stored == 2 and outcome.error == ERASED["retired"], outcome
    assert keys.load(old_id) is None and store.device_id != old_device and store.current_session() is None
    # What it held reached the server before it went (the server answered "stored" for both records).
    assert _order_of(live_server, admin, old_device)["done_at"] is not None
    store.close()


@pytest.mark.browser
def test_a_coordinator_marks_a_tablet_lost_from_the_dashboard_and_sees_it_erased(live_server, browser, screens_dir):
    from tests.security.support import signed_in_page, watch

    device = str(uuid.uuid4())
    name = f"Tablet left on a bus {device[:6]}"
    tablet = httpx.post(f"{live_server}/api/v1/auth/token", json={
        "username": "councillor", "password": PASSWORD, "device_id": device, "device_name": name}).json()
    for width in (1280, 390):
        context, page = signed_in_page(browser, live_server, "coordinator", area="/dashboard", width=width)
        seen = watch(page)
        try:
            row = page.wait_for_selector(f"#devices tr[data-session-id='{tablet['session_id']}']")
            if width == 390:
                row.query_selector("button:has-text('Lost')").click()
                assert "erases everything" in page.inner_text("#devices-message")  # asked first, nothing sent
                assert httpx.get(f"{live_server}/api/v1/operations", headers=bearer(tablet)).status_code == 200
                row.query_selector("button:has-text('Confirm lost')").click()
                page.wait_for_selector("#devices-message.ok")
                assert "Marked lost" in page.inner_text("#devices-message") and name in page.inner_text(
                    "#devices-message")
                page.wait_for_selector(f"#devices tr[data-session-id='{tablet['session_id']}']", state="detached")
                marked = page.wait_for_selector(f"#device-orders tr[data-device-id='{device}']")
                assert "Lost" in marked.inner_text() and "Not yet" in marked.inner_text()
                # The tablet reaches the server: refused as lost, it erases itself and reports it.
                refused = httpx.get(f"{live_server}/api/v1/operations", headers=bearer(tablet))
                assert refused.status_code == 401 and refused.json()["extra"]["reason"] == "lost"
                assert httpx.post(f"{live_server}/api/v1/devices/erased", headers=bearer(tablet)).status_code == 204
                page.reload()
                marked = page.wait_for_selector(f"#device-orders tr[data-device-id='{device}']")
                assert "Erased" in marked.inner_text()
                marked.scroll_into_view_if_needed()
            else:
                row.scroll_into_view_if_needed()
            page.screenshot(path=str(screens_dir / f"tablet-lost-{width}.png"), full_page=False)
        finally:
            context.close()
        assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


def test_signing_in_again_on_a_lost_tablet_erases_it_first(live_server, tmp_path):
    store, transport, _engine, op_id, keys = _tablet(tmp_path, live_server, "councillor")
    old_device, old_id = store.device_id, store_id(store.path, create=False)
    _followup(store, op_id, "councillor")
    admin = _admin(live_server)
    r = httpx.post(f"{live_server}/api/v1/devices/{_session_of(live_server, admin, old_device)}/order",
                   json={"kind": "lost"}, headers=admin)
    assert r.status_code == 204, r.text
    # Whoever holds it now knows the password: the server still refuses this tablet, and it erases itself.
    refused = httpx.post(f"{live_server}/api/v1/auth/token", json={
        "username": "councillor", "password": PASSWORD, "device_id": old_device})
    assert refused.status_code == 401 and refused.json()["extra"]["reason"] == "lost"
    result = sign_in(store, transport, "councillor", PASSWORD)
    assert not result.ok and result.error == ERASED["lost"]
    assert keys.load(old_id) is None and store.device_id != old_device and store.outbox_waiting() == []
    assert _order_of(live_server, admin, old_device)["done_at"] is not None
    # Erased and reported, the tablet (a new device id now) can be used again.
    assert sign_in(store, transport, "councillor", PASSWORD).ok
    store.close()
