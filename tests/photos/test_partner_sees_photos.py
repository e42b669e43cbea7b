"""A pair photographs the fly-tipping; the partner it is routed to sees the photo on the follow-up's
page (issue 15, "Photos"): the tablet's store, sync engine and upload, the real server, Chromium."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from mobile.sync import HttpTransport, SyncEngine
from shared_schemas.photos import PhotoRef
from shared_schemas.records import Followup
from tests.photos.test_photo_upload import camera_jpeg
from tests.tablet_safety.test_device_orders import _tablet


def _bearer(url: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/v1/auth/token", json={"username": username, "password": "doorstep-demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.browser
def test_the_partner_sees_the_photo_of_its_follow_up(live_server, browser, screens_dir, tmp_path):
    from tests.security.support import signed_in_page, watch

    store, _transport, _engine, op_id, _keys = _tablet(tmp_path, live_server, "officer")
    team = store.team_for_user(op_id, "officer")
    street = store.streets_for_team(op_id, team.id)[0]
    taken = store.photos().add(camera_jpeg(seed=11))
    waiting = store.photos().add(camera_jpeg(seed=12))
    followup = Followup(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category="fly_tipping",
                        description="Mattress and bags dumped by the garages", raised_at=datetime.now(UTC),
                        street_id=street.id, photos=[PhotoRef(sha256=taken), PhotoRef(sha256=waiting)])
    store.record_followup(followup)

    class SecondCutShort(HttpTransport):
        """The network cuts the second photo short on the way: the server refuses it, it stays on the tablet."""

        def upload_photo(self, sha256: str, data: bytes) -> bool:
            return super().upload_photo(sha256, data if sha256 == taken else data[:1000])

    lossy = SecondCutShort(live_server)
    lossy.set_token(store.current_session().token)
    outcome = SyncEngine(store, lossy).sync_once()
    assert outcome.ok and outcome.stored == 1 and outcome.photos_sent == 1, outcome
    assert store.photo_state(taken) == "sent" and store.photo_state(waiting) == "on its way"
    store.close()

    # Who sees it: the partner it is routed to and the operation's coordinator, not another partner.
    url = f"{live_server}/api/v1/photos/{taken}"
    assert httpx.get(url, headers=_bearer(live_server, "envhealth")).status_code == 200
    assert httpx.get(url, headers=_bearer(live_server, "coordinator")).status_code == 200
    assert httpx.get(url, headers=_bearer(live_server, "firesafety")).status_code == 404
    assert httpx.get(url, headers=_bearer(live_server, "officer")).status_code == 404

    for width in (1280, 390):
        context, page = signed_in_page(browser, live_server, "envhealth", area="/partner", width=width)
        seen = watch(page)
        try:
            page.goto(f"{live_server}/partner/followups/{followup.id}")
            image = page.wait_for_selector("#photos img")
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
            assert page.evaluate("img => [img.naturalWidth, img.naturalHeight]", image) == [800, 1600]
            assert "on its way" in page.inner_text("#photos")
            image.scroll_into_view_if_needed()
            page.screenshot(path=str(screens_dir / f"partner-photo-{width}.png"))
        finally:
            context.close()
        assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)
