"""The app factory: one place that assembles routes, auth, database and error handling.

Each domain slice under server/domain/<slice>/ that has a `routes.py` module contributes
its `ROUTES` list (handlers or controllers), and optionally `LIFESPAN` (async context
managers for background workers, e.g. the notification sender). Slices are found by name,
so adding one needs no edit here.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.static_files import create_static_files_router

import server.domain
from server.db.engine import connect_args
from server.db.reads import ReadReplica, as_of_header, provide_read_session
from server.domain.auth.throttle import SignInThrottle
from server.domain.demo.guard import demo_passwords_refusal, users_with_the_demo_password
from server.lib.auth import SessionGate, make_jwt_auth
from server.lib.exceptions import EXCEPTION_HANDLERS
from server.lib.openapi import openapi_config
from server.lib.pages import not_found
from server.lib.security import json_only, security_headers
from server.settings import Settings, SettingsError, get_settings

WEB_DIR = Path(__file__).parent / "web"


def _slices() -> list[Any]:
    modules = []
    for info in sorted(pkgutil.iter_modules(server.domain.__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        try:
            modules.append(importlib.import_module(f"server.domain.{info.name}.routes"))
        except ModuleNotFoundError as exc:
            if exc.name != f"server.domain.{info.name}.routes":
                raise
    return modules


def json_only_first(config: AppConfig) -> AppConfig:
    config.middleware.insert(0, json_only)
    return config


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check_production_safe()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db_config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url,
        # Commit after a 2xx or a redirect (a page's form answers 303, post-redirect-get), roll back otherwise.
        before_send_handler="autocommit_include_redirects",
        session_config=AsyncSessionConfig(expire_on_commit=False),
        create_all=False,  # tables come from Alembic migrations only
        # A pooled connection is tested before use: after a database restart the first request
        # gets a fresh connection instead of an error.
        engine_config=EngineConfig(pool_pre_ping=True, connect_args=connect_args(settings.database_pool_mode)),
    )
    jwt_auth = make_jwt_auth(settings)

    route_handlers: list[Any] = []
    lifespan: list[Any] = []
    for module in _slices():
        route_handlers.extend(getattr(module, "ROUTES", []))
        lifespan.extend(getattr(module, "LIFESPAN", []))
    static_dirs: list[str | os.PathLike[str]] = [
        d for d in (WEB_DIR / "static", WEB_DIR / "node_modules") if d.is_dir()]
    if static_dirs:
        route_handlers.append(create_static_files_router(path="/static", directories=static_dirs,
                                                         include_in_schema=False))

    def keep_engine_in_state(app: Litestar) -> None:
        # Background workers and health checks reach the database through app.state.db_engine.
        app.state.db_engine = db_config.get_engine()
        # Read-only work that may be a moment behind reads a streaming replica when there is one
        # (handlers that take `read_session`; server/db/reads.py).
        if settings.database_read_url:
            app.state.read_replica = ReadReplica(settings, app.state.db_engine)

    async def close_read_replica(app: Litestar) -> None:
        if app.state.read_replica is not None:
            await app.state.read_replica.aclose()

    async def refuse_demo_passwords(app: Litestar) -> None:
        # `doorstep serve` says so in one line first; this covers a server started any other way.
        if not settings.demo:
            left = await users_with_the_demo_password(app.state.db_engine)
            if left:
                raise SettingsError(demo_passwords_refusal(left))

    app = Litestar(
        route_handlers=route_handlers,
        on_startup=[keep_engine_in_state, refuse_demo_passwords],
        on_shutdown=[close_read_replica],
        dependencies={"read_session": Provide(provide_read_session)},
        plugins=[SQLAlchemyPlugin(config=db_config)],
        # The JSON-only rule runs before the session check: a form from another site is refused
        # for what it is (415) without a database round trip.
        on_app_init=[jwt_auth.on_app_init, json_only_first],
        # An unknown address under a page area (or typed by a person) gets the styled 404, the API its JSON.
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: not_found},
        # Level 4, not Litestar's 9: a push's answer (1,000 results) compresses to within 1% of
        # level 9's size at half the CPU, and a pack to within 7% of level 6 (measured).
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=4),
        openapi_config=openapi_config(),
        before_send=[security_headers(settings), as_of_header],
        lifespan=lifespan,
        request_max_body_size=32 * 1024 * 1024,
        debug=False,
    )
    app.state.settings = settings
    app.state.read_replica = None
    app.state.jwt_auth = jwt_auth
    app.state.session_gate = SessionGate(settings)
    app.state.sign_in_throttle = SignInThrottle(settings)
    return app
