"""The tablet's position from plyer's GPS where the platform has one; none on a desktop.

Every screen works without a position. Updates arrive on the platform's thread
and reach the app only through Clock.schedule_once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from kivy.clock import Clock

from mobile.viewmodels.map import Position

log = logging.getLogger(__name__)


class PositionSource:
    def __init__(self, on_position: Callable[[Position | None], None]) -> None:
        self.on_position = on_position
        self.available = False
        self._gps = None

    def start(self) -> None:
        try:
            from kivy.utils import platform

            if platform not in ("android", "ios"):
                return  # plyer has no GPS on desktops: run without a position
            from plyer import gps

            gps.configure(on_location=self._on_location, on_status=self._on_status)
            gps.start(minTime=2000, minDistance=2)
            self._gps = gps
            self.available = True
        except Exception as exc:  # no GPS here, or permission refused
            log.info("no GPS: %s", exc)
            self.available = False

    def stop(self) -> None:
        if self._gps is not None:
            with contextlib.suppress(Exception):
                self._gps.stop()

    def _on_location(self, **kwargs) -> None:
        try:
            pos = Position(lon=float(kwargs["lon"]), lat=float(kwargs["lat"]),
                           accuracy_m=float(kwargs["accuracy"]) if kwargs.get("accuracy") else None)
        except (KeyError, TypeError, ValueError):
            return
        Clock.schedule_once(lambda _dt: self.on_position(pos), 0)

    def _on_status(self, stype, status) -> None:
        log.info("GPS %s: %s", stype, status)
