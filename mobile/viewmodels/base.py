"""What every view-model shares: change notification and a way to run slow work.

View-models are plain Python: no Kivy import, no widget. A screen subscribes to
its view-model and copies the state it shows into Kivy properties; tests read
the same state directly.

Slow work (HTTP, a big SQLite write) goes through a ``Runner``. In the app the
runner does the work on a thread and hands the result back on the Kivy main
thread with ``Clock.schedule_once`` (mobile/ui/runner.py); in view-model tests
``InlineRunner`` does it at once, so tests need no window and no clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Listener = Callable[["Observable", frozenset[str]], None]

log = logging.getLogger(__name__)


class Observable:
    """A per-instance list of listeners, told which fields changed."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(self, changed_names)`` on every change; returns an unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def changed(self, *names: str) -> None:
        names_set = frozenset(names)
        for listener in list(self._listeners):
            listener(self, names_set)

    def set(self, **values: Any) -> None:
        """Set attributes and notify once for those that really changed."""
        changed = [k for k, v in values.items() if getattr(self, k, object()) != v]
        for k in changed:
            setattr(self, k, values[k])
        if changed:
            self.changed(*changed)


class Runner(Protocol):
    def run(
        self,
        work: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None],
        progress: Callable[[float], None] | None = None,
    ) -> None:
        """Run ``work()`` somewhere; call ``done(result)`` or ``failed(exc)`` on the UI thread."""

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the UI thread (used for progress from a worker)."""


class InlineRunner:
    """Runs work immediately on the calling thread. For tests and the CLI."""

    def run(self, work, done, failed, progress=None) -> None:  # noqa: D102
        try:
            result = work()
        except Exception as exc:  # every failure becomes a message on screen
            log.debug("work failed", exc_info=True)
            failed(exc)
            return
        done(result)

    def call_soon(self, fn: Callable[[], None]) -> None:
        fn()
