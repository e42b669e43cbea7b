"""Fixtures for the store, outbox and sync engine tests: real SQLite files in tmp_path."""

from __future__ import annotations

import pytest

from mobile.store import Store

from .builders import make_pack
from .fakes import FakeServer


@pytest.fixture
def pack():
    return make_pack()


@pytest.fixture
def store(tmp_path, pack):
    with Store.open(tmp_path / "tablet.db") as opened:
        opened.save_pack(pack, etag='"v1"')
        yield opened


@pytest.fixture
def server(pack):
    return FakeServer([pack])
