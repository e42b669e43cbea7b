"""The tablet's photo uploads (issue 15): apart from the records, idempotent, retried while the server is
away, refused ones said in plain words, and gone from the tablet a day after the server had them.
A real store, the real sync engine and HttpTransport, real server processes."""

from __future__ import annotations

import io
import os
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from PIL import Image

from mobile.store import Store
from mobile.store.keys import FileKeys
from mobile.sync import HttpTransport, SyncEngine
from mobile.sync import messages as sync_messages
from shared_schemas.codes import FixCategory, Outcome
from shared_schemas.photos import PhotoRef, PhotoStage
from shared_schemas.records import Fix, Followup, Visit
from tests.photos.test_photo_upload import camera_jpeg
from tests.support import free_port, start_server
from tests.tablet_safety.test_device_orders import _admin, _tablet


def noisy_jpeg(side: int = 1600, seed: int = 0) -> bytes:
    """A photo that stays over 1 MB once cleaned (noise does not compress)."""
    data = os.urandom(side * side * 3) if seed == 0 else bytes((i * seed) % 251 for i in range(side * side * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), data).save(out, "JPEG", quality=95)
    return out.getvalue()


def _visit_with_photos(store: Store, op_id: int, username: str, fix_photos: list[PhotoRef],
                       followup_photos: list[PhotoRef], *, when: datetime | None = None) -> tuple[Visit, Fix, Followup]:
    team = store.team_for_user(op_id, username)
    # The last door of the pair's last street: other tests' tablets knock at the first one.
    door = store.households_on_street(op_id, store.streets_for_team(op_id, team.id)[-1].id)[-1]
    now = when or datetime.now(UTC)
    visit = Visit(id=uuid.uuid4(), operation_id=op_id, household_id=door.id, team_id=team.id, visited_at=now,
                  outcome=Outcome.ANSWERED, notes="The back gate is broken")
    fix = Fix(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category=FixCategory.FLY_TIPPING_REMOVED,
              done_at=now, visit_id=visit.id, photos=fix_photos, notes="Gate wedged shut")
    followup = Followup(id=uuid.uuid4(), operation_id=op_id, team_id=team.id, category="fly_tipping",
                        description="Bags dumped behind the gate", raised_at=now, visit_id=visit.id,
                        photos=followup_photos)
    store.record_visit(visit, [fix], [followup])
    return visit, fix, followup


def test_photos_go_after_their_records_once_each(live_server, tmp_path):
    store, transport, engine, op_id, _keys = _tablet(tmp_path, live_server, "officer")
    box = store.photos()
    before, after = box.add(camera_jpeg(seed=21)), box.add(camera_jpeg(seed=22))
    # The follow-up refers to the fix's "after" photo too: it is uploaded once.
    _visit, fix, followup = _visit_with_photos(
        store, op_id, "officer", [PhotoRef(sha256=before, stage=PhotoStage.BEFORE),
                                  PhotoRef(sha256=after, stage=PhotoStage.AFTER)], [PhotoRef(sha256=after)])
    assert store.photo_state(before) == "on its way" and store.sync_state().photos_waiting == 2
    outcome = engine.sync_once()
    assert outcome.ok and outcome.stored == 3 and outcome.photos_sent == 2, outcome
    assert store.photo_state(before) == store.photo_state(after) == "sent"
    assert store.sync_state().photos_waiting == 0
    again = engine.sync_once()
    assert again.ok and again.photos_sent == 0  # nothing is sent twice
    admin = _admin(live_server)
    for sha in (before, after):
        seen = httpx.get(f"{live_server}/api/v1/photos/{sha}", headers=admin)
        assert seen.status_code == 200 and b"Exif" not in seen.content
    store.close()


def test_a_photo_waits_while_the_server_is_away_and_a_refused_one_is_said_in_plain_words(
        live_server, database_url, tmp_path):
    store, transport, _engine, op_id, _keys = _tablet(tmp_path, live_server, "officer")
    box = store.photos()
    scene = box.add(camera_jpeg(seed=31))
    huge = box.add(noisy_jpeg())
    assert len(box.read(huge)) > 1024 * 1024
    _visit_with_photos(store, op_id, "officer", [PhotoRef(sha256=scene, stage=PhotoStage.BEFORE)],
                       [PhotoRef(sha256=huge)])
    port = free_port()
    away = HttpTransport(f"http://127.0.0.1:{port}")
    away.set_token(store.current_session().token)
    engine = SyncEngine(store, away)
    outcome = engine.sync_once()  # the server is away: everything stays, the attempt is retried
    assert not outcome.ok and outcome.error_kind == "network" and outcome.retryable
    assert store.sync_state().waiting == 3 and store.sync_state().photos_waiting == 2

    # The server comes back (on the same address), with a 1 MB limit on photos.
    server = start_server(database_url, port=port, DOORSTEP_PHOTO_MAX_MB="1")
    try:
        outcome = engine.sync_once()
    finally:
        server.stop()
    assert outcome.ok and outcome.stored == 3 and outcome.photos_sent == 1, outcome
    assert store.photo_state(scene) == "sent" and store.photo_state(huge) == "refused"
    assert sync_messages.PHOTO_TOO_LARGE in outcome.notices
    [refused] = store.photos_refused()
    assert refused.sha256 == huge and refused.refused == sync_messages.PHOTO_TOO_LARGE
    state = store.sync_state()
    assert state.photos_waiting == 0 and state.photos_refused == 1
    store.close()


class _CutShort(HttpTransport):
    """The network cuts each photo short on the way (the server sees bytes that do not match the name)."""

    def upload_photo(self, sha256: str, data: bytes) -> bool:
        return super().upload_photo(sha256, data[: len(data) // 2])


def test_a_photo_cut_short_on_the_way_is_sent_again(live_server, tmp_path):
    store, transport, _engine, op_id, _keys = _tablet(tmp_path, live_server, "officer")
    sha = store.photos().add(camera_jpeg(seed=41))
    _visit_with_photos(store, op_id, "officer", [], [PhotoRef(sha256=sha)])
    lossy = _CutShort(live_server)
    lossy.set_token(store.current_session().token)
    outcome = SyncEngine(store, lossy).sync_once()
    assert outcome.ok and outcome.stored == 3 and outcome.photos_sent == 0  # the records are not held back
    assert sync_messages.PHOTO_CUT_SHORT in outcome.notices
    assert store.photo_state(sha) == "on its way" and store.photos_waiting()[0].attempts == 1
    outcome = SyncEngine(store, transport).sync_once()
    assert outcome.ok and outcome.photos_sent == 1 and store.photo_state(sha) == "sent"
    store.close()


def test_photos_leave_the_tablet_a_day_after_the_server_had_them(live_server, tmp_path):
    store, _transport, engine, op_id, _keys = _tablet(tmp_path, live_server, "officer")
    box = store.photos()
    sent = box.add(camera_jpeg(seed=51))
    kept = box.add(camera_jpeg(seed=52))  # never reaches the server: it stays
    _visit_with_photos(store, op_id, "officer", [PhotoRef(sha256=sent, stage=PhotoStage.AFTER)], [])
    assert engine.sync_once().photos_sent == 1
    _visit_with_photos(store, op_id, "officer", [], [PhotoRef(sha256=kept)])
    now = datetime.now(UTC)
    # The same rule and run as residents' free text (Store.erase_acknowledged_text, ERASE_TEXT_AFTER).
    assert store.erase_acknowledged_text(now=now + timedelta(hours=23)) == 0
    assert box.names() == sorted([sent, kept])
    assert store.erase_acknowledged_text(now=now + timedelta(hours=25)) >= 1
    assert box.names() == [kept]
    assert not list((tmp_path / "photos").rglob(f"{sent}*"))
    assert store.photo_state(sent) == "sent"  # the server still has it
    assert store.erase_acknowledged_text(now=now + timedelta(hours=26)) == 0  # nothing more to do
    store.close()


def test_a_photo_taken_off_a_form_goes_unless_a_saved_record_refers_to_it(tmp_path):
    with Store.open(tmp_path / "doorstep.sqlite3", keys=FileKeys(tmp_path / "keys")) as store:
        box = store.photos()
        sha = box.add(camera_jpeg(seed=61))
        store.drop_unsaved_photo(sha)
        assert box.names() == []
