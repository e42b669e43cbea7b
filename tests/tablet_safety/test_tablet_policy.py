"""The organisation's tablet policy (idle lock, days offline) travels with a tablet's sign-in."""

from __future__ import annotations

import uuid

import pytest

from server.settings import SettingsError, from_env


async def test_a_tablets_sign_in_carries_the_policy_and_a_web_sign_in_none(client):
    device = {"device_id": str(uuid.uuid4()), "device_name": "Policy tablet"}
    tablet = await client.post("/api/v1/auth/token", json={"username": "officer", "password": "doorstep-demo",
                                                           **device})
    assert tablet.status_code == 200
    assert tablet.json()["tablet"] == {"idle_lock_minutes": 5.0, "offline_days": 3}
    web = await client.post("/api/v1/auth/token", json={"username": "officer", "password": "doorstep-demo"})
    client.cookies.clear()
    assert web.json()["tablet"] is None


def test_the_http_transport_hands_the_policy_to_the_store(live_server, tmp_path):
    from mobile.store import Store
    from mobile.store.credentials import DevicePolicy
    from mobile.sync import HttpTransport, sign_in

    with Store.open(tmp_path / "doorstep.sqlite3") as store:
        assert sign_in(store, HttpTransport(live_server), "officer", "doorstep-demo").ok
        assert store.device_policy() == DevicePolicy(idle_lock_seconds=300, offline_days=3)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("DOORSTEP_TABLET_IDLE_LOCK_MINUTES", "0", "from 1 to 240"),
    ("DOORSTEP_TABLET_IDLE_LOCK_MINUTES", "soon", "give a number"),
    ("DOORSTEP_TABLET_OFFLINE_DAYS", "2.5", "a whole number"),
    ("DOORSTEP_PHOTO_STORE", "ftp", "use files"),
    ("DOORSTEP_RETENTION_AT", "25:00", "HH:MM"),
])
def test_a_wrong_tablet_setting_says_what_to_fix(monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=says) as refused:
        from_env()
    assert name in str(refused.value)


def test_s3_photos_need_a_bucket(monkeypatch):
    monkeypatch.setenv("DOORSTEP_PHOTO_STORE", "s3")
    monkeypatch.delenv("DOORSTEP_S3_BUCKET", raising=False)
    with pytest.raises(SettingsError, match="DOORSTEP_S3_BUCKET"):
        from_env()
