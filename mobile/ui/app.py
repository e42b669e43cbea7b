"""The Kivy App: builds the services and view-models, the frame and the screens, and navigates.

All behaviour lives in mobile.viewmodels; this module wires them to screens and
moves sync events onto the main thread with Clock.schedule_once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import ScreenManager

from mobile.ui import widgets  # noqa: F401  (loads the base widget rules)
from mobile.ui.i18n import tr
from mobile.ui.widgets import load_kv
from mobile.viewmodels.context import AppContext
from mobile.viewmodels.lock import LockViewModel
from mobile.viewmodels.map import MapViewModel
from mobile.viewmodels.operations import OperationsViewModel
from mobile.viewmodels.signin import SignInViewModel
from mobile.viewmodels.street import StreetViewModel
from mobile.viewmodels.street_record import StreetRecordViewModel
from mobile.viewmodels.streets import StreetsViewModel
from mobile.viewmodels.sync import SyncViewModel
from mobile.viewmodels.visit import UNDO_SECONDS, VisitViewModel

log = logging.getLogger(__name__)

DEFAULT_SERVER = "http://127.0.0.1:8000"
TOAST_SECONDS = 5
#: While records wait or the server is away, the state is read this often (the engine retries on its own).
STATUS_REFRESH_SECONDS = 2
#: How often the idle lock and the days-offline rule look at the clock.
LOCK_CHECK_SECONDS = 5


class RootLayout(FloatLayout):
    pass


class AppScreens(ScreenManager):
    """The screens; while the tablet is locked every move to another screen is remembered for after
    unlocking and the lock screen stays (one place, so no flow, whatever it was doing when the lock
    came, can show a resident's screen over it)."""

    def on_current(self, instance, value):
        app = App.get_running_app()
        if value not in (None, "lock") and getattr(app, "locked", False):
            app._before_lock = value
            self.current = "lock"
            return
        super().on_current(instance, value)


load_kv(__file__, "root.kv")


STORE_FILE = "doorstep.sqlite3"
#: The store setting that keeps the interface language across restarts (Store.setting).
INTERFACE_LANGUAGE = "interface_language"


def default_context(data_dir: Path) -> AppContext:
    """The real services: the encrypted store, HTTP transport, sync engine, a worker thread.

    Raises StoreUnreadableError when the store cannot be opened (the app then says so)."""
    from mobile.store import Store
    from mobile.sync import HttpTransport, SyncEngine
    from mobile.ui.runner import ThreadRunner

    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(data_dir / STORE_FILE)
    return AppContext(store, HttpTransport, SyncEngine, runner=ThreadRunner())


class DoorstepApp(App):
    title = "Doorstep"
    screen_title = StringProperty("Sign in")
    can_go_back = BooleanProperty(False)
    has_operation = BooleanProperty(False)
    #: The interface language the top bar's switch offers (mobile/ui/i18n.py).
    interface_next = StringProperty("cy")
    status_text = StringProperty("")
    status_short = StringProperty("")
    status_kind = StringProperty("unknown")  # a key of theme.SYNC_COLOURS
    status_online = ObjectProperty(None, allownone=True)
    current = StringProperty("signin")  # the screen shown: the top bar marks it
    toast = StringProperty("")
    toast_action = StringProperty("")  # e.g. "Undo"
    locked = BooleanProperty(False)  # only the lock screen shows

    def __init__(self, ctx: AppContext | None = None, *, server_url: str = DEFAULT_SERVER,
                 data_dir: str | Path | None = None, use_gps: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.server_url = server_url
        self.data_dir = Path(data_dir) if data_dir else None
        self.use_gps = use_gps
        self.history: list[str] = []
        self.screens: dict[str, Any] = {}
        self._toast_event = None
        self._toast_callback = None
        self._position: Any = None  # a PositionSource once the map asks for the tablet's place
        self._pending_sign_in: str | None = None
        self._resume_user: str | None = None
        self._owns_ctx = False
        self._stopped = False

    # -- building ------------------------------------------------------------------------
    def build(self):
        if self.ctx is None:
            from mobile.store.errors import StoreUnreadableError

            try:
                self.ctx = default_context(self._data_dir())
            except StoreUnreadableError as exc:
                from mobile.ui.store_problem import StoreProblem

                # Nothing else opens: no screen could show a resident without the store anyway.
                self.store_problem = StoreProblem(exc.message, self._start_afresh)
                return self.store_problem
            self._owns_ctx = True
        return self._build_main()

    def _data_dir(self) -> Path:
        return self.data_dir or Path(self.user_data_dir)

    def _start_afresh(self) -> None:
        """The unreadable store kept aside (renamed, never deleted), a new one opened, the app as usual."""
        from kivy.core.window import Window

        from mobile.store import Store

        aside = Store.set_aside(self._data_dir() / STORE_FILE)
        log.warning("the unreadable store was kept aside as %s", aside.name)
        self.ctx = default_context(self._data_dir())
        self._owns_ctx = True
        problem = self.root  # type: ignore[has-type]  # Kivy's App.root carries no type
        self.root = self._build_main()
        Window.remove_widget(problem)
        Window.add_widget(self.root)
        self.on_start()

    def _build_main(self):
        ctx = self.ctx
        # the engine calls notify from its own thread: hop to the main thread
        # (not once the app has stopped: an answer that lands after on_stop has no screen to reach)
        ctx.on_sync_event = lambda event: Clock.schedule_once(
            lambda _dt: None if self._stopped else ctx.deliver_sync_event(event), 0)

        self.signin_vm = SignInViewModel(ctx, self.server_url)
        self.operations_vm = OperationsViewModel(ctx)
        self.streets_vm = StreetsViewModel(ctx)
        self.street_vm = StreetViewModel(ctx)
        self.visit_vm = VisitViewModel(ctx)
        self.street_record_vm = StreetRecordViewModel(ctx)
        self.sync_vm = SyncViewModel(ctx)
        self.map_vm = MapViewModel()
        self.lock_vm = LockViewModel(ctx)
        self._before_lock: str | None = None

        self.signin_vm.on_signed_in = self._signed_in
        self.operations_vm.on_opened = lambda _op: self.go("streets", reset=True)
        self.operations_vm.on_needs_sign_in = self.require_sign_in
        self.sync_vm.on_needs_sign_in = self.require_sign_in
        self.sync_vm.on_correct = self.correct_visit
        self.streets_vm.on_open_street = self.open_street
        self.street_vm.on_visit = self.open_visit
        self.street_vm.on_message = self.show_toast
        self.visit_vm.on_finished = self._visit_saved
        self.street_vm.drafts_for = lambda: {d.household_id for d in self.ctx.store.drafts(self.ctx.operation_id)}
        self.street_record_vm.on_finished = self._street_record_saved
        self.lock_vm.on_locked = self._show_lock
        self.lock_vm.on_unlocked = self._hide_lock
        self.sync_vm.subscribe(lambda vm, _names: self._mirror_status(vm))
        ctx.subscribe(self._context_changed)

        self._restore_interface_language()
        from mobile.ui.screens import build_screens

        root = RootLayout()
        self.screens = build_screens(self)
        for screen in self.screens.values():
            root.ids.sm.add_widget(screen)
        root.ids.sm.current = "signin"
        self.sync_vm.refresh()
        self._refresh_event = Clock.schedule_interval(lambda _dt: self.sync_vm.refresh(), STATUS_REFRESH_SECONDS)
        self._lock_event = Clock.schedule_interval(lambda _dt: self.lock_vm.tick(), LOCK_CHECK_SECONDS)
        return root

    def on_start(self) -> None:
        if self.ctx is None:
            return  # the store could not be opened: only StoreProblem shows
        self._update_chrome()
        from kivy.core.window import Window

        Window.bind(on_keyboard=self._on_keyboard, on_touch_down=self._activity, on_key_down=self._activity)
        if self.use_gps:
            from mobile.ui.position import PositionSource

            self._position = PositionSource(self.context.set_position)
            self._position.start()

    def _on_keyboard(self, _window, key, *_args) -> bool:
        """Android's Back key (Escape on a desktop) goes back instead of closing the app."""
        if key == 27 and self.ctx is not None and self.sm.current != "signin":
            self.back()
            return True
        return False

    def _activity(self, *_args) -> bool:
        """Any touch or key: the idle lock's clock starts again. Never consumes the event."""
        if self.ctx is not None:
            self.lock_vm.activity()
        return False

    def on_stop(self) -> None:
        from kivy.core.window import Window

        self._stopped = True
        Window.unbind(on_keyboard=self._on_keyboard, on_touch_down=self._activity, on_key_down=self._activity)
        for event in (getattr(self, "_refresh_event", None), getattr(self, "_lock_event", None), self._toast_event):
            if event is not None:
                event.cancel()
        if self._position is not None:
            self._position.stop()
        if self.ctx is not None:
            self.ctx.stop_engine()
            if self._owns_ctx:
                self.ctx.store.close()

    def on_pause(self) -> bool:
        return True

    def on_resume(self) -> None:
        """Back from the background (Android): lock at once if it lay untouched too long meanwhile."""
        if self.ctx is not None:
            self.lock_vm.tick()

    # -- locking -----------------------------------------------------------------------------
    def _show_lock(self) -> None:
        """Only the lock screen: no top bar, no toast, no dialog (a dialog's question comes back never:
        what it was about is kept, e.g. a visit as its draft)."""
        from kivy.core.window import Window
        from kivy.uix.modalview import ModalView

        for widget in list(Window.children):
            if isinstance(widget, ModalView):
                widget.dismiss(animation=False)
        if self.sm.current != "lock":
            self._before_lock = self.sm.current
        self._toast_ended()
        self.locked = True
        self.sm.current = "lock"
        self._update_chrome()

    def _hide_lock(self) -> None:
        self.locked = False
        self.sm.current = self._before_lock or "operations"
        self._before_lock = None
        self._update_chrome()
        if self._pending_sign_in:
            self.require_sign_in(self._pending_sign_in)

    # -- navigation -------------------------------------------------------------------------
    @property
    def sm(self):
        return self.root.ids.sm

    def go(self, name: str, *, reset: bool = False) -> None:
        """Show a screen; leaving a visit in progress asks first (keep it as a draft, or discard)."""
        self.leave_then(lambda: self._go(name, reset=reset))

    def _go(self, name: str, *, reset: bool = False) -> None:
        current = self.sm.current
        if current != name and self.toast:
            self._toast_ended()  # moving on: the message (and its Undo) is done with
        if reset:
            self.history = [h for h in self.history if h in ("operations",)]
            if current == "operations" and "operations" not in self.history:
                self.history.append("operations")
        elif current != name:
            self.history.append(current)
        self.sm.current = name
        self._update_chrome()

    def back(self) -> None:
        screen = self.sm.current_screen
        if hasattr(screen, "handle_back") and screen.handle_back():
            return
        self.leave_then(self._back)

    def _back(self) -> None:
        if self.history:
            self.sm.current = self.history.pop()
        if self.sm.current == "street":
            self.street_vm.load()
        self._update_chrome()

    def leave_then(self, action) -> None:
        """Run ``action`` (a move away from this screen); from a visit or street follow-up in progress,
        first ask whether to keep it as a draft or discard it. Nothing is dropped without a tap."""
        current = self.sm.current
        vm = {"visit": self.visit_vm, "street_record": self.street_record_vm}.get(current)
        if vm is None or not vm.has_work:
            action()
            return
        from mobile.ui.dialogs import ask

        if current == "visit":
            def discard():
                vm.discard()
                action()

            self.dialog = ask(tr._("Leave this visit?"),
                              tr._("The visit at {address} is not saved yet. Keep it as a draft to finish later "
                                   "(open the door again to carry on), or discard it.").format(address=vm.address),
                              [(tr._("Keep as draft"), action, "primary"), (tr._("Discard"), discard, "danger"),
                               (tr._("Stay"), lambda: None, "secondary")])
        else:
            self.dialog = ask(tr._("Leave this follow-up?"), tr._("The follow-up for this street is not raised yet."),
                              [(tr._("Discard it"), action, "danger"), (tr._("Stay"), lambda: None, "secondary")])

    @property
    def context(self) -> AppContext:
        """The app's context: there from build() on, so every screen and callback has it."""
        assert self.ctx is not None, "the app is not built yet"
        return self.ctx

    def _update_chrome(self) -> None:
        screen = self.sm.current_screen
        self.current = self.sm.current
        self.screen_title = getattr(screen, "title", "") or ""
        self.can_go_back = bool(self.history) or bool(getattr(screen, "has_inner_back", False))
        self.has_operation = self.context.operation_id is not None and self.sm.current != "signin"

    def switch_interface(self, code: str | None = None) -> None:
        """The app's own words in another language (the officer's choice; the resident's language is
        the visit's questionnaire switch)."""

        tr.switch(code or tr.other())
        self.interface_next = tr.other()
        self.context.store.set_setting(INTERFACE_LANGUAGE, tr.language)  # the next start opens in it
        self._sentences_again()
        self._update_chrome()

    def _sentences_again(self) -> None:
        """The view-models build their sentences in the interface language: build the shown ones again."""
        ctx = self.context
        for screen in self.screens.values():
            screen.language_switched()
        self.sync_vm.refresh()
        self.sync_vm.load_lists()
        self.operations_vm._rebuild()
        if ctx.operation_id is not None:
            self.streets_vm.load()
            if self.street_vm.street_id is not None:
                self.street_vm.load()

    def _restore_interface_language(self) -> None:
        """The interface language last chosen on this tablet (English the first time)."""
        from mobile.ui.i18n import interface_languages, tr

        chosen = self.context.store.setting(INTERFACE_LANGUAGE)
        chosen = chosen if chosen in interface_languages() else "en"
        if chosen != tr.language:
            tr.switch(chosen)
        self.interface_next = tr.other()

    def refresh_title(self) -> None:
        self._update_chrome()

    def show_toast(self, message: str, action: str = "", callback=None, seconds: float = TOAST_SECONDS) -> None:
        """A one-line message at the bottom, with one action button (e.g. Undo) while it shows."""
        self.toast, self.toast_action, self._toast_callback = message, action, callback
        if self._toast_event is not None:
            self._toast_event.cancel()
        self._toast_event = Clock.schedule_once(lambda _dt: self._toast_ended(), seconds)

    def _toast_ended(self) -> None:
        self.toast, self.toast_action, self._toast_callback = "", "", None

    def toast_tapped(self) -> None:
        callback = self._toast_callback
        self._toast_ended()
        if self._toast_event is not None:
            self._toast_event.cancel()
        if callback is not None:
            callback()

    # -- flows ----------------------------------------------------------------------------------
    def _signed_in(self) -> None:
        self.lock_vm.activity()
        self.context.start_engine()
        self.context.request_sync()  # a loop waiting for a new sign-in goes again now
        self.history = []
        self._pending_sign_in = None
        resume, self._resume_user = self._resume_user, None
        if self.context.operation_id is not None and resume == self.context.session.username:
            # signed in again after an expired token: back to the walk list, not the start
            self.history = ["operations"]
            self.sm.current = "streets"
        else:
            self.context.close_operation()
            self.sm.current = "operations"
        self._update_chrome()
        if self.signin_vm.info:
            self.show_toast(tr._("Signed in offline"))

    def sign_out(self) -> None:
        """Sign out; with drafts or unsent records, say so first (signing out keeps them all)."""
        state = self.context.store.sync_state()
        unsent = state.waiting + state.rejected
        if not unsent and not state.drafts:
            self._sign_out()
            return
        parts = []
        if unsent:
            parts.append(tr._("1 record not sent yet") if unsent == 1
                         else tr._("{count} records not sent yet").format(count=unsent))
        if state.drafts:
            parts.append(tr._("1 visit in progress (drafts)") if state.drafts == 1
                         else tr._("{count} visits in progress (drafts)").format(count=state.drafts))
        from mobile.ui.dialogs import ask

        self.dialog = ask(tr._("Sign out?"),
                          tr._("This tablet holds {what}. Signing out keeps them all: they are sent, and drafts can "
                               "be finished, when you or your partner sign in again.").format(
                              what=f" {tr._('and')} ".join(parts)),
                          [(tr._("Sign out"), self._sign_out, "primary"),
                           (tr._("Stay signed in"), lambda: None, "secondary")])

    def _sign_out(self) -> None:
        if self.locked:  # signing out from the lock screen: the next person signs in
            self.lock_vm.set(locked=False, needs_online=False, error="", secret="")
            self.locked = False
            self._before_lock = None
        self.context.stop_engine()
        self.context.store.sign_out()
        self.context.close_operation()
        self.context.set_session(None)
        self.history = []
        self.sm.current = "signin"
        self._update_chrome()

    def require_sign_in(self, message: str) -> None:
        """The token expired: ask for the password again, but never in the middle of a visit (nor over
        the lock screen: after unlocking)."""
        if self.locked:
            self._pending_sign_in = message
            return
        if self.sm.current in ("visit", "street_record"):
            self._pending_sign_in = message
            self.show_toast(tr._("This tablet's sign-in has ended: finish this visit, then sign in again."))
            return
        self._pending_sign_in = None
        self._resume_user = getattr(self.context.session, "username", None)
        self.signin_vm.show_message(message)
        self.history = []
        self.sm.current = "signin"
        self._update_chrome()

    def open_street(self, street_id: int) -> None:
        self.street_vm.load(street_id)
        self.go("street")

    def open_door(self, street_id: int, household_id: int) -> None:
        """Straight to a door (a tap on the map): its street behind it, for Back."""
        def show():
            self.street_vm.load(street_id)
            self._go("street")
            self.open_visit(household_id)

        self.leave_then(show)

    def open_visit(self, household_id: int) -> None:
        self.visit_vm.start(household_id)
        self._go("visit")

    def correct_visit(self, record_id: str) -> None:
        """A refused visit, opened to correct it (from the sync page)."""
        self.visit_vm.start_correction(record_id)
        self._go("visit")

    def open_street_record(self, mode: str) -> None:
        self.street_record_vm.start(self.street_vm.street_id, mode)
        self._go("street_record")

    def _visit_saved(self, message: str, visit_id: str = "", undoable: bool = False) -> None:
        # back to the street list, which now shows the new status
        if self.history and self.history[-1] == "street":
            self.history.pop()
        self.sm.current = "street"
        self.street_vm.load()
        self._update_chrome()
        if undoable:
            self.show_toast(message, tr._("Undo"), lambda: self._undo_visit(visit_id), seconds=UNDO_SECONDS - 1)
            # sent as soon as the Undo window closes, not at the next round of the engine
            Clock.schedule_once(lambda _dt: None if self._stopped else self.context.request_sync(), UNDO_SECONDS + 0.2)
        else:
            self.show_toast(message)
        self.sync_vm.refresh()
        if self._pending_sign_in:
            self.require_sign_in(self._pending_sign_in)

    def _undo_visit(self, visit_id: str) -> None:
        if self.visit_vm.undo(visit_id):
            self.show_toast(tr._("Undone: nothing was recorded at that door."))
        else:
            self.show_toast(tr._("Too late to undo: it has been sent. Open the door and Correct it there."))
        self.street_vm.load()
        self.sync_vm.refresh()

    def _street_record_saved(self, message: str) -> None:
        if self.history and self.history[-1] == "street":
            self.history.pop()
        self.sm.current = "street"
        self._update_chrome()
        self.show_toast(message)
        self.sync_vm.refresh()
        if self._pending_sign_in:
            self.require_sign_in(self._pending_sign_in)

    def _mirror_status(self, vm: SyncViewModel) -> None:
        self.status_text = vm.status_text
        self.status_short = vm.status_short
        self.status_kind = vm.status_kind
        self.status_online = vm.online

    def _context_changed(self, _ctx, names) -> None:
        if "position" in names:
            from mobile.ui.screens import position_changed

            position_changed(self)
        if "operation" in names:
            self._update_chrome()
