"""UI: photos on a visit's fix (before and after) and follow-up, and on a street fix (issue 15), chosen
with the desktop's file chooser in the real window: cleaned and kept encrypted at once, a thumbnail
with Remove, the records refer to them by hash and the photos travel apart."""

from __future__ import annotations

import pytest

from tests.photos.test_photo_upload import camera_jpeg

from .support import pushed_records

pytestmark = pytest.mark.ui


@pytest.fixture
def photo_folder(tmp_path, monkeypatch):
    folder = tmp_path / "Pictures"
    folder.mkdir()
    (folder / "IMG_0001.JPG").write_bytes(camera_jpeg(seed=3))
    (folder / "IMG_0002.jpg").write_bytes(camera_jpeg(seed=4))
    (folder / "notes.txt").write_text("not a photo")
    monkeypatch.setenv("DOORSTEP_PHOTO_DIR", str(folder))
    from mobile.ui.photos import PhotoChooser

    monkeypatch.setattr(PhotoChooser, "last_folder", None)
    return folder


def choose(ui, strip, stage: str, name: str) -> None:
    """The strip's button, the file in the chooser, Use this photo: three taps."""
    ui.tap(strip.button(stage))
    chooser = strip.chooser
    assert chooser is not None, "the desktop's file chooser did not open"
    ui.wait_until(lambda: any(getattr(e, "path", "").endswith(name) for e in chooser.ids.chooser.walk()),
                  message="the chooser lists the photos")
    listed = {e.path.rsplit("/", 1)[-1] for e in chooser.ids.chooser.walk() if getattr(e, "path", "")
              and getattr(e, "is_leaf", False)}
    assert "notes.txt" not in listed  # only photos are offered
    entry = next(e for e in chooser.ids.chooser.walk() if getattr(e, "path", "").endswith(name))
    ui.tap(entry)
    ui.wait_until(lambda: chooser.selected.endswith(name), message="the file is selected")
    if hasattr(ui, "screenshot") and not hasattr(ui, "shot"):  # the field walk screenshots every tap itself
        ui.screenshot("photos_chooser")
    ui.tap(chooser.ids.use)
    ui.wait_until(lambda: not strip.owner.adding_photo, message="photo cleaned and kept")


def test_a_fix_and_a_follow_up_with_photos(ui, photo_folder):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Avon Road"))
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.address == "3 Avon Road, Bristol"))
    visit = ui.screen
    ui.tap_text("Come back later")
    ui.tap_text("Fly-tipping cleared")
    strip = visit.fix_photo_strip("fly_tipping_removed")
    choose(ui, strip, "before", "IMG_0001.JPG")
    choose(ui, strip, "after", "IMG_0002.jpg")
    thumbs = strip.thumbs()
    assert [t.caption for t in thumbs] == ["Before", "After"] and all(t.texture is not None for t in thumbs)
    assert thumbs[0].texture.size[0] < thumbs[0].texture.size[1]  # upright: EXIF orientation 6 applied
    ui.screenshot("photos_fix_before_after")
    store = ui.app.ctx.store
    # Kept encrypted, nothing plain in the photos folder; the draft holds the photos (an app killed keeps them).
    files = list(store.photos().folder.rglob("*"))
    assert all(not f.is_file() or not f.read_bytes().startswith(b"\xff\xd8") for f in files)
    assert [i["stage"] for i in visit.vm.fix_photos["fly_tipping_removed"]] == ["before", "after"]
    ui.tap(visit.ids.add_followup)
    [draft] = visit.vm.followups
    card = visit.card(draft.id)
    ui.tap_text("Fly-tipping", root=card)
    ui.type_into(card.ids.description, "More bags behind the garages")
    ui.tap(card.ids.consent_no)
    choose(ui, card.photo_strip, "", "IMG_0001.JPG")
    assert len(card.photo_strip.thumbs()) == 1
    # Remove takes one off (its file stays: the fix's "before" is the same photo).
    choose(ui, card.photo_strip, "", "IMG_0002.jpg")
    ui.tap(card.photo_strip.thumbs()[1].ids.remove_button)
    assert len(card.photo_strip.thumbs()) == 1 and len(store.photos().names()) == 2
    ui.scroll_into_view(card.photo_strip)
    ui.screenshot("photos_followup")
    ui.tap(visit.ids.save)
    ui.wait_until(lambda: ui.screen.name == "street", message="saved")
    ui.wait_until(lambda: not store.outbox_waiting(include_held=True) and store.sync_state().photos_waiting == 0,
                  timeout=20, message="records and photos sent")
    records = {type(r).__name__: r for r in pushed_records(ui.transport)}
    fix_photos = [(p.sha256, p.stage) for p in records["Fix"].photos]
    before, after = [sha for sha, _ in fix_photos]
    assert [stage for _, stage in fix_photos] == ["before", "after"]
    assert [p.sha256 for p in records["Followup"].photos] == [before]
    assert set(ui.transport.photos) == {before, after}


def test_a_street_fix_with_a_photo_and_one_removed(ui, photo_folder):
    ui.open_walk_list()
    ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Avon Road"))
    ui.tap(ui.screen.ids.log_fix)
    screen = ui.screen
    strip = screen.photo_strip
    choose(ui, strip, "before", "IMG_0002.jpg")
    choose(ui, strip, "after", "IMG_0001.JPG")
    store = ui.app.ctx.store
    assert len(store.photos().names()) == 2
    ui.tap(strip.thumbs()[1].ids.remove_button)             # taken off before saving: its file goes
    assert len(strip.thumbs()) == 1 and len(store.photos().names()) == 1
    ui.screenshot("photos_street_fix")
    ui.tap_text("Litter picked")
    ui.wait_until(lambda: ui.screen.name == "street", message="fix saved")
    assert ui.app.toast == "Saved: Litter picked (1 photo) on Avon Road"
    ui.wait_until(lambda: store.sync_state().photos_waiting == 0 and not store.outbox_waiting(), timeout=20)
    [fix] = [r for r in pushed_records(ui.transport) if type(r).__name__ == "Fix"]
    assert [p.stage for p in fix.photos] == ["before"] and fix.photos[0].sha256 in ui.transport.photos
