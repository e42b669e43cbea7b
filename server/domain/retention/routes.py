"""Retention has no routes: the app takes the nightly worker (LIFESPAN) from here, as from every slice."""

from __future__ import annotations

from typing import Any

from server.domain.retention.worker import retention_lifespan

ROUTES: list[Any] = []
LIFESPAN = [retention_lifespan]
