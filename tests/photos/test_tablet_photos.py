"""Photos on the tablet (issue 15): cleaned at once, kept AES-GCM encrypted, uploaded by hash."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from mobile.store import Store, StoreError
from mobile.store.keys import FileKeys
from mobile.store.photos import PhotoBox
from shared_schemas.photos import PhotoError, jpeg_segments
from tests.photos.test_photo_upload import camera_jpeg


def test_a_photo_is_cleaned_at_once_and_kept_encrypted(tmp_path):
    with Store.open(tmp_path / "doorstep.sqlite3", keys=FileKeys(tmp_path / "keys")) as store:
        box = store.photos()
        sha = box.add(camera_jpeg(seed=7))
        [path] = list((tmp_path / "photos").rglob("*.photo"))
        sealed = path.read_bytes()
        assert not sealed.startswith(b"\xff\xd8") and b"Exif" not in sealed and b"JFIF" not in sealed
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        data = box.read(sha)
        assert not {m for m, _ in jpeg_segments(data)} & {0xE1, 0xE2, 0xED, 0xFE}
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (800, 1600)  # orientation 6 applied, longest side 1,600
        assert box.add(camera_jpeg(seed=7)) == sha and box.names() == [sha]  # the same photo once
        with pytest.raises(PhotoError, match="not a photo"):
            box.add(b"<html>not a photo</html>")
        # Another key opens nothing; a file moved under another photo's name does not decrypt.
        with pytest.raises(StoreError, match="damaged"):
            PhotoBox(tmp_path / "photos", os.urandom(32)).read(sha)
        fake = "f" * 64
        (tmp_path / "photos" / "ff").mkdir()
        (tmp_path / "photos" / "ff" / f"{fake}.photo").write_bytes(sealed)
        with pytest.raises(StoreError, match="damaged"):
            box.read(fake)


def test_a_tablet_photo_reaches_the_server_without_its_metadata(live_server, tmp_path):
    import httpx

    from mobile.sync import HttpTransport, sign_in

    with Store.open(tmp_path / "doorstep.sqlite3", keys=FileKeys(tmp_path / "keys")) as store:
        transport = HttpTransport(live_server)
        assert sign_in(store, transport, "officer", "doorstep-demo").ok
        sha = store.photos().add(camera_jpeg(seed=8))
        assert transport.upload_photo(sha, store.photos().read(sha)) is True  # 201: new
        assert transport.upload_photo(sha, store.photos().read(sha)) is False  # 200: had it already
    admin = httpx.post(f"{live_server}/api/v1/auth/token", json={"username": "admin",
                                                                 "password": "doorstep-demo"}).json()
    seen = httpx.get(f"{live_server}/api/v1/photos/{sha}",
                     headers={"Authorization": f"Bearer {admin['access_token']}"})
    assert seen.status_code == 200 and b"Exif" not in seen.content
    with Image.open(io.BytesIO(seen.content)) as image:
        assert image.size == (800, 1600)
