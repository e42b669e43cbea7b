"""Browser tests run last.

The session-scoped `browser` fixture (tests/conftest.py) keeps Playwright's sync API open, and with it
an event loop running in the main thread; any async test or fixture set up after that fails with
"Runner.run() cannot be called from a running event loop". Moving every test that uses the browser to
the end of the session keeps the async tests before it. (Asked the lead to move this hook into
tests/conftest.py; it is harmless to have it twice.)
"""

from __future__ import annotations


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()) or
               item.get_closest_marker("browser") is not None)
