"""Shared fixtures: the real PostGIS test database (migrated, demo loaded once), the app, a client.

`make test` creates a fresh test database and sets DATABASE_URL. Tests that push records make
their own uniquely identified data, so they can run against the shared demo without undoing
each other's work (and the concurrency tests can commit for real).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support import running_server

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DOORSTEP_DEMO", "1")
os.environ.setdefault("DOORSTEP_SECRET_KEY", "test-secret-not-for-production-0123456789")
os.environ.setdefault("KIVY_NO_ARGS", "1")
# Kivy writes its config and logs under KIVY_HOME: keep them out of ~/.kivy and the tree.
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="doorstep-kivy-"))
# The tablet store's keys (mobile/store/keys.py): no OS keyring under test, so the key-file fallback,
# in a folder of the test run's own rather than ~/.config.
os.environ.setdefault("DOORSTEP_KEY_DIR", tempfile.mkdtemp(prefix="doorstep-keys-"))
# The server's files (photos) in a folder of the test run's own, not the checkout's .data.
os.environ.setdefault("DOORSTEP_DATA_DIR", tempfile.mkdtemp(prefix="doorstep-data-"))
# No nightly retention run in the app or the servers the tests start: it would clear other tests' old
# records at an hour nobody chose. tests/retention/ runs its own workers, with a fake clock.
os.environ.setdefault("DOORSTEP_RETENTION_CHECK_SECONDS", "0")
DEMO_PASSWORD = "doorstep-demo"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL is not set: run `make test`, or set DATABASE_URL to a migrated test database.")
    return url


@pytest.fixture(scope="session")
def database_url() -> str:
    url = _database_url()
    subprocess.run([sys.executable, "-m", "server.cli", "migrate"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return url


@pytest.fixture(scope="session")
async def db_engine(database_url):
    from server.db.engine import make_engine

    engine = make_engine(database_url, pool_size=10)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def demo(db_engine):
    """The demo operation, loaded once per session (the loader is idempotent)."""
    from server.db.engine import transaction
    from server.domain.demo.loader import load_demo

    async with transaction(db_engine) as session:
        return await load_demo(session)


@pytest.fixture(scope="session")
async def app(database_url):
    from server.app import create_app
    from server.settings import get_settings

    # No notification worker in the in-process app: the tests that send notifications run their own
    # (tests/followups/test_notifications.py), and a second one in the background raced them for the
    # same rows, sending to the environment's SMTP address. The session's live server has none either.
    saved = os.environ.get("DOORSTEP_NOTIFY_INTERVAL_SECONDS")
    os.environ["DOORSTEP_NOTIFY_INTERVAL_SECONDS"] = "0"
    try:
        get_settings.cache_clear()
        return create_app()
    finally:
        if saved is None:
            del os.environ["DOORSTEP_NOTIFY_INTERVAL_SECONDS"]
        else:
            os.environ["DOORSTEP_NOTIFY_INTERVAL_SECONDS"] = saved


@pytest.fixture(scope="session")
async def client(app, demo):
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app) as c:
        yield c


@pytest.fixture(scope="session")
async def tokens(client):
    """tokens(username) -> a bearer token for a demo user (cached per session)."""
    cache: dict[str, str] = {}

    async def get(username: str, password: str = DEMO_PASSWORD) -> str:
        if username not in cache:
            r = await client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            cache[username] = r.json()["access_token"]
            # The route also sets the web pages' session cookie; API tests send the header only.
            client.cookies.clear()
        return cache[username]

    return get


@pytest.fixture(scope="session")
async def headers(tokens):
    """headers(username) -> {"Authorization": "Bearer …"} for a demo user."""

    async def get(username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await tokens(username)}"}

    return get


#: The in-process test client's own address: what a page served by it sends as Origin.
TEST_ORIGIN = "http://testserver.local"


def csrf_token_in(html: str) -> str:
    """The session's CSRF token a page carries (<meta name="csrf-token">), as its scripts and forms send it."""
    import re

    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "the page carries no CSRF token (is the user signed in?)"
    return match.group(1)


@pytest.fixture(scope="session")
def live_server(database_url, demo):
    """The real server in its own process, against the test database, for the whole session. It runs no
    notification worker: one here took rows the notification tests had made due for their own workers
    and, in demo mode, posted a webhook over http that the non-demo worker under test had to refuse.
    No test needs the live server to send; tests that do start a server of their own."""
    with running_server(database_url, DOORSTEP_NOTIFY_INTERVAL_SECONDS="0") as base:
        yield base


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screens_dir() -> Path:
    path = ROOT / ".artifacts" / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, which async tests set up after it cannot share."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ())
               or item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _interface_back_in_english():
    """A test that switches the tablet's interface language (process-wide, mobile.words) leaves English
    for the next: view-model tests compare English sentences."""
    yield
    words = sys.modules.get("mobile.words")
    if words is not None and words.language() != "en":
        words.use("en")
