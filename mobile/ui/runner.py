"""Background work for the app: a thread does it, the Kivy main thread gets the result.

Results and progress reach the UI only through ``Clock.schedule_once``; no
widget or view-model is touched from the worker thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kivy.clock import Clock

log = logging.getLogger(__name__)


class ThreadRunner:
    def __init__(self) -> None:
        self._active = 0
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """True while some work is running (tests wait on it)."""
        return self._active > 0

    def call_soon(self, fn: Callable[[], None]) -> None:
        Clock.schedule_once(lambda _dt: fn(), 0)

    def run(self, work, done, failed, progress=None) -> None:
        with self._lock:
            self._active += 1

        def target() -> None:
            try:
                result = work()
            except Exception as exc:  # every failure becomes a message on screen
                log.info("background work failed: %s", exc, exc_info=True)
                error = exc
                Clock.schedule_once(lambda _dt: self._finish(failed, error), 0)
            else:
                Clock.schedule_once(lambda _dt: self._finish(done, result), 0)

        threading.Thread(target=target, name="doorstep-work", daemon=True).start()

    def _finish(self, callback, value) -> None:
        try:
            callback(value)
        finally:
            with self._lock:
                self._active -= 1
