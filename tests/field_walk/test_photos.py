"""Photos in the field (issue 15), walked with real touches against the real server: a pair photographs
the fly-tipping before and after clearing it and the bags still behind the garages for the council;
the photos are chosen from the desktop's file chooser (a camera JPEG with EXIF orientation 6, GPS and
XMP), cleaned and kept encrypted at once, shown as thumbnails; the records go at once and the photos
apart, "on their way" while the network cuts them short, then sent; the coordinator gets the fix's
photos upright with no metadata, and the partner sees the follow-up's photo on its page in Chromium.
A photo is optional: its taps are a task of their own, not part of the full visit's budget."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from mobile.sync import HttpTransport
from shared_schemas.photos import jpeg_segments
from tests.mobile_ui.test_ui_photos import choose
from tests.photos.test_photo_upload import camera_jpeg

from .conftest import LANDSCAPE, PASSWORD, Walk, close_app, open_walk_list

pytestmark = [pytest.mark.ui, pytest.mark.slow]


class PatchyNetwork(HttpTransport):
    """Cuts photos short on the way while ``cutting`` (the server refuses them: hash mismatch); records pass."""

    cutting = True

    def upload_photo(self, sha256: str, data: bytes) -> bool:
        return super().upload_photo(sha256, data[: len(data) // 3] if PatchyNetwork.cutting else data)


@pytest.fixture
def photo_walk(request, kivy_window, tmp_path, live_server, monkeypatch):
    from mobile.store import Store
    from mobile.sync import SyncEngine
    from mobile.ui.app import DoorstepApp
    from mobile.ui.photos import PhotoChooser
    from mobile.ui.runner import ThreadRunner
    from mobile.viewmodels.context import AppContext

    folder = tmp_path / "Pictures"
    folder.mkdir()
    (folder / "before.jpg").write_bytes(camera_jpeg(seed=71))
    (folder / "after.jpg").write_bytes(camera_jpeg(seed=72))
    (folder / "garages.jpg").write_bytes(camera_jpeg(seed=73))
    monkeypatch.setenv("DOORSTEP_PHOTO_DIR", str(folder))
    monkeypatch.setattr(PhotoChooser, "last_folder", None)
    monkeypatch.setattr(PatchyNetwork, "cutting", True)
    kivy_window.size = LANDSCAPE
    store = Store.open(tmp_path / "doorstep.sqlite3")
    ctx = AppContext(store, PatchyNetwork, SyncEngine, runner=ThreadRunner())
    app = DoorstepApp(ctx, server_url=live_server, use_gps=False)
    app._run_prepare()
    walk = Walk(kivy_window, app, "photos", LANDSCAPE)
    walk.pump(3)
    try:
        yield walk
        walk.end_task()
    finally:
        close_app(app, kivy_window)
        walk.pump(2)


def _bearer(url: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.browser
def test_photos_of_a_fix_and_a_follow_up_reach_the_coordinator_and_the_partner(
        photo_walk, live_server, browser, screens_dir):
    from tests.security.support import signed_in_page, watch

    walk = photo_walk
    open_walk_list(walk)
    names = sorted(r.name for r in walk.app.streets_vm.rows)
    walk.open_street(names[8 % len(names)])
    address = walk.free_doors(1)[0]
    walk.tap(walk.door_row(address), step="door")
    visit = walk.screen
    walk.tap(walk.button("Come back later"), step="come_back_later")
    walk.tap(walk.button("Fly-tipping cleared"), step="fix")
    strip = visit.fix_photo_strip("fly_tipping_removed")

    walk.task("Photos of a fix, before and after (chosen from files; optional, not in the visit's count)", 6)
    choose(walk, strip, "before", "before.jpg")
    choose(walk, strip, "after", "after.jpg")
    walk.end_task()
    assert [t.caption for t in strip.thumbs()] == ["Before", "After"]
    walk.shot("fix_photos")

    walk.tap(visit.ids.add_followup, step="add_followup")
    [draft] = visit.vm.followups
    card = visit.card(draft.id)
    walk.tap(walk.button("Fly-tipping", root=card), step="fly_tipping")
    walk.tap(card.ids.description, step="description")
    walk.type_text(card.ids.description, "More bags dumped behind the garages")
    walk.tap(card.ids.consent_no, step="no_consent")
    walk.task("A photo of a follow-up's scene (chosen from a file; optional)", 3)
    choose(walk, card.photo_strip, "", "garages.jpg")
    walk.end_task()
    walk.tap(visit.ids.save, step="save")
    walk.wait_until(lambda: walk.screen.name == "street", message="saved")

    # The records go at once; the photos are cut short on the way and wait, "on their way".
    store = walk.app.ctx.store
    walk.wait_sent()
    walk.wait_until(lambda: any(u.attempts for u in store.photos_waiting()), timeout=30, message="a photo tried")
    assert store.sync_state().photos_waiting == 3
    fix_photos = visit.vm.fix_photos["fly_tipping_removed"]
    scene = draft.photos[0]["sha256"]
    coordinator, partner = _bearer(live_server, "coordinator"), _bearer(live_server, "envhealth")
    assert httpx.get(f"{live_server}/api/v1/photos/{scene}", headers=partner).status_code == 404  # not yet
    walk.app.sm.current = "sync"
    walk.wait_until(lambda: "on their way" in walk.screen.ids.photos.text, message="sync page says on their way")
    walk.shot("sync_page_photos_on_their_way")
    page_text = walk.screen.ids.photos.text
    assert page_text.startswith("3 photos on their way to the server"), page_text

    PatchyNetwork.cutting = False  # signal is good again: the next sync sends them, no tap
    walk.app.ctx.request_sync()
    walk.wait_until(lambda: store.sync_state().photos_waiting == 0, timeout=40, message="photos sent")
    walk.wait_until(lambda: "on their way" not in walk.screen.ids.photos.text, message="sync page updated")
    walk.shot("sync_page_photos_sent")

    for item in fix_photos:  # the coordinator sees the fix's photos: upright, no metadata
        seen = httpx.get(f"{live_server}/api/v1/photos/{item['sha256']}", headers=coordinator)
        assert seen.status_code == 200, seen.text
        assert not {m for m, _ in jpeg_segments(seen.content)} & {0xE1, 0xE2, 0xED, 0xFE}
        with Image.open(io.BytesIO(seen.content)) as image:
            assert image.size == (800, 1600)  # 2400x1200 shown rotated (orientation 6), then at most 1,600
    assert httpx.get(f"{live_server}/api/v1/photos/{scene}", headers=partner).status_code == 200

    followup = next(r for r in _followups_of(store, visit.vm.visit_id))
    context, page = signed_in_page(browser, live_server, "envhealth", area="/partner", width=1280)
    seen = watch(page)
    try:
        page.goto(f"{live_server}/partner/followups/{followup}")
        image = page.wait_for_selector("#photos img")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
        assert page.evaluate("img => [img.naturalWidth, img.naturalHeight]", image) == [800, 1600]
        image.scroll_into_view_if_needed()
        page.screenshot(path=str(screens_dir / "walk_photos_partner_page.png"))
    finally:
        context.close()
    assert seen.refused == [] and seen.errors == [], (seen.refused, seen.errors)


def _followups_of(store, visit_id) -> list[str]:
    import json

    rows = store._conn.execute("SELECT id, body FROM records WHERE type = 'followup'").fetchall()
    return [rid for rid, body in rows if json.loads(body).get("visit_id") == str(visit_id)]
