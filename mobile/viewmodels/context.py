"""The app's shared state: who is signed in, which operation and pair, the services.

One ``AppContext`` is made by the App (or by a test) and handed to every
view-model. It holds no widget and imports no Kivy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .base import InlineRunner, Observable, Runner
from .map import Position


@dataclass(frozen=True)
class Member:
    display_name: str
    agency_name: str


@dataclass(frozen=True)
class Pair:
    team_id: int
    name: str
    members: tuple[Member, ...]

    @property
    def summary(self) -> str:
        return "  +  ".join(f"{m.display_name} ({m.agency_name})" for m in self.members)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def pair_of(team: Any) -> Pair:
    """A Pair from a pack team or the store's TeamInfo."""
    members = tuple(
        Member(str(_get(m, "display_name", "") or _get(m, "username", "") or ""),
               str(_get(m, "agency_name", "") or ""))
        for m in _get(team, "members", []) or []
    )
    return Pair(int(_get(team, "id")), str(_get(team, "name", "") or ""), members)


def find_pair(pack: Any, user: dict | None, username: str | None = None) -> Pair | None:
    """The signed-in user's team in the pack, matched on user id or username (None if not in one)."""
    if pack is None:
        return None
    user = user or {}
    uid = user.get("id")
    uname = username or user.get("username")

    def matches(member: Any) -> bool:
        if uid is not None and _get(member, "user_id") == uid:
            return True
        return bool(uname) and _get(member, "username") == uname

    for team in _get(pack, "teams", None) or []:
        if any(matches(m) for m in _get(team, "members", []) or []):
            return pair_of(team)
    return None


def utcnow() -> datetime:
    return datetime.now(UTC)


class AppContext(Observable):
    """Services and the current selection, shared by every view-model.

    ``transport_factory(server_url)`` makes a Transport; ``engine_factory(store,
    transport, notify)`` makes a SyncEngine. The App passes the real ones
    (HttpTransport, SyncEngine); tests pass fakes.
    """

    def __init__(
        self,
        store: Any,
        transport_factory: Callable[[str], Any],
        engine_factory: Callable[..., Any],
        *,
        runner: Runner | None = None,
        now: Callable[[], datetime] = utcnow,
        on_sync_event: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.transport_factory = transport_factory
        self.engine_factory = engine_factory
        self.runner: Runner = runner or InlineRunner()
        self.now = now
        self.on_sync_event = on_sync_event
        self.server_url: str | None = None
        self.transport: Any = None
        self.engine: Any = None
        self.engine_running = False
        self.session: Any = None
        self.operation_id: int | None = None
        self.pack: Any = None
        self.pair: Pair | None = None
        self.position: Position | None = None
        self._sync_listeners: list[Callable[[Any], None]] = []

    # -- services --------------------------------------------------------------------
    def connect(self, server_url: str) -> None:
        """Point the app at a server (a new transport and sync engine if it changed)."""
        server_url = server_url.strip().rstrip("/")
        if server_url == self.server_url and self.transport is not None:
            return
        self.stop_engine()
        self.server_url = server_url
        self.transport = self.transport_factory(server_url)
        self.engine = self.engine_factory(self.store, self.transport, notify=self._notify_sync)
        self.changed("server_url")

    def add_sync_listener(self, listener: Callable[[Any], None]) -> None:
        self._sync_listeners.append(listener)

    def _notify_sync(self, event: Any) -> None:
        # Called from the engine's thread: the App's hook moves it to the UI thread.
        if self.on_sync_event is not None:
            self.on_sync_event(event)
        else:
            self.deliver_sync_event(event)

    def deliver_sync_event(self, event: Any) -> None:
        """Hand a sync event to the listeners (on the UI thread)."""
        for listener in list(self._sync_listeners):
            listener(event)

    def start_engine(self) -> None:
        if self.engine is not None and not self.engine_running:
            self.engine.start()
            self.engine_running = True

    def stop_engine(self) -> None:
        if self.engine is not None and self.engine_running:
            self.engine.stop(timeout=2.0)
        self.engine_running = False

    def request_sync(self) -> None:
        """Ask the running engine to sync soon (after a save); no-op when it is not running."""
        if self.engine is not None and self.engine_running:
            self.engine.request_sync()

    # -- session and operation -----------------------------------------------------------
    @property
    def user(self) -> dict:
        return dict(getattr(self.session, "user", None) or {})

    @property
    def team_id(self) -> int | None:
        return self.pair.team_id if self.pair else None

    def set_session(self, session: Any) -> None:
        self.session = session
        if self.transport is not None and session is not None and getattr(session, "token", None):
            self.transport.set_token(session.token)
        self.changed("session")

    def open_operation(self, operation_id: int) -> bool:
        """Load an operation's pack from the store and find the user's pair. False if absent."""
        pack = self.store.current_pack(operation_id)
        if pack is None:
            return False
        self.operation_id = operation_id
        self.pack = pack
        self.pair = self.find_pair(operation_id, pack)
        self.changed("operation")
        return True

    def find_pair(self, operation_id: int, pack: Any = None) -> Pair | None:
        """The user's pair: the store's view (pack plus pulled team changes) first."""
        username = getattr(self.session, "username", None) or self.user.get("username")
        team_for_user = getattr(self.store, "team_for_user", None)
        if username and team_for_user is not None:
            team = team_for_user(operation_id, username)
            return pair_of(team) if team is not None else None
        return find_pair(pack if pack is not None else self.store.current_pack(operation_id), self.user, username)

    def close_operation(self) -> None:
        self.operation_id, self.pack, self.pair = None, None, None
        self.changed("operation")

    def set_position(self, position: Position | None) -> None:
        self.position = position
        self.changed("position")

    # -- pack look-ups ---------------------------------------------------------------------
    def street(self, street_id: int) -> Any:
        for s in _get(self.pack, "streets", None) or []:
            if _get(s, "id") == street_id:
                return s
        return None

    def download_pack(self, operation_id: int, progress: Callable[[float], None] | None = None) -> Any:
        """Download and store an operation's pack; ``progress`` gets 0..1 from the engine's thread."""
        return self.engine.download_pack(operation_id, progress=progress)
