"""Make every screen, each bound to its view-model."""

from __future__ import annotations

from typing import Any


def build_screens(app: Any) -> dict[str, Any]:
    from mobile.ui.lock import LockScreen
    from mobile.ui.map import MapScreen
    from mobile.ui.operations import OperationsScreen
    from mobile.ui.signin import SignInScreen
    from mobile.ui.street import StreetScreen
    from mobile.ui.street_record import StreetRecordScreen
    from mobile.ui.streets import StreetsScreen
    from mobile.ui.sync import SyncScreen
    from mobile.ui.visit import VisitScreen

    screens = [
        SignInScreen(app, app.signin_vm),
        OperationsScreen(app, app.operations_vm),
        StreetsScreen(app, app.streets_vm),
        StreetScreen(app, app.street_vm),
        VisitScreen(app, app.visit_vm),
        StreetRecordScreen(app, app.street_record_vm),
        MapScreen(app, app.map_vm),
        SyncScreen(app, app.sync_vm),
        LockScreen(app, app.lock_vm),
    ]
    return {s.name: s for s in screens}


def position_changed(app: Any) -> None:
    """The tablet's position moved: the map dot and the distance sort follow."""
    app.map_vm.set_position(app.ctx.position)
    if app.sm.current == "streets":
        app.streets_vm.load()
