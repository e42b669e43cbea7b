"""Where photos' bytes live: files under the data folder (the default), or any S3-compatible store.

Keys are content addresses (``photos/ab/cd/<sha256>.jpg``, the SHA-256 of the tablet's upload), so
writing the same photo twice writes the same object once more at most and never makes two; the
database row (``photo``) is what says a photo has arrived. Both stores are plain blocking code
(boto3 is); the service calls them on a worker thread.

Settings: ``DOORSTEP_PHOTO_STORE`` (``files``, the default, or ``s3``); for files,
``DOORSTEP_DATA_DIR`` (default: ``.data`` inside a checkout); for S3, ``DOORSTEP_S3_BUCKET``,
``DOORSTEP_S3_ENDPOINT_URL`` (any S3-compatible service: MinIO, Ceph, a cloud's), ``DOORSTEP_S3_REGION``
and ``DOORSTEP_S3_PREFIX``, with credentials from boto3's usual places (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY``, a profile, an instance role): never in Doorstep's own settings.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from server.settings import Settings


class PhotoStore(Protocol):
    description: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def has(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def photo_key(sha256: str) -> str:
    return f"photos/{sha256[:2]}/{sha256[2:4]}/{sha256}.jpg"


class FileStore:
    """Files under a folder; each written to a temporary name, synced, then renamed into place."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.description = f"files under {self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("a photo key outside the store")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


class S3Store:
    """An S3-compatible bucket through boto3."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 prefix: str = "", client=None) -> None:
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None)
        self.description = f"S3 bucket {bucket}" + (f" at {endpoint_url}" if endpoint_url else "")

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType="image/jpeg")

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return answer["Body"].read()

    def has(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def photo_store(settings: Settings) -> PhotoStore:
    """The store the settings name (one per process; boto3 clients are thread-safe)."""
    if settings.photo_store == "s3":
        return S3Store(settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region,
                       prefix=settings.s3_prefix)
    return FileStore(Path(settings.data_dir) / "files")
