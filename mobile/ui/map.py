"""Map screen: the operation's streets from the pack's geometry, doors coloured by status."""

from __future__ import annotations

from kivy.properties import StringProperty

from mobile.ui.base import BoundScreen
from mobile.ui.i18n import tr
from mobile.ui.mapview import StreetMap  # noqa: F401  (kv rule)
from mobile.ui.widgets import load_kv
from mobile.viewmodels.map import MapDoor, MapStreet, Position
from mobile.viewmodels.street import status_of
from mobile.viewmodels.streets import street_lines

load_kv(__file__)


def load_map(vm, ctx) -> None:
    """Fill the map view-model from the pack and the store's door statuses."""
    pack = ctx.pack
    if pack is None:
        vm.load([], [])
        return
    streets = [MapStreet(s.id, s.name, street_lines(s)) for s in pack.streets]
    statuses: dict[int, str] = {}
    assigned = set()
    if ctx.pair is not None:
        team = ctx.store.team_for_user(ctx.operation_id, ctx.session.username) if ctx.session else None
        assigned = set(getattr(team, "street_ids", ()) or ())
    drafts = {d.household_id for d in ctx.store.drafts(ctx.operation_id)}
    for street_id in assigned:
        for row in ctx.store.households_on_street(ctx.operation_id, street_id):
            statuses[row.id] = "draft" if row.id in drafts else status_of(row)[0]
    # Doors of other pairs' streets look different (hollow rings): they are not ours to knock.
    doors = [MapDoor(h.id, h.street_id or 0, h.lon, h.lat,
                     statuses.get(h.id, "not_knocked") if h.street_id in assigned else "other_pair",
                     h.house_number or "")
             for h in pack.households]
    vm.load(streets, doors)
    vm.set_position(ctx.position)


class MapScreen(BoundScreen):
    position_text = StringProperty("")

    def __init__(self, app, vm, **kwargs):
        super().__init__(app, vm, **kwargs)
        self.ids.map.model = vm
        self.ids.map.bind(on_door=self._door_tapped)

    def on_pre_enter(self, *args):
        load_map(self.vm, self.app.ctx)
        self.vm.fit(self.ids.map.width, self.ids.map.height)

    def refresh(self, names):
        pos = self.vm.position
        self.position_text = tr._("You are here (blue)") if pos else tr._("Position not known")
        self.title = tr._("Map")

    def zoom(self, factor: float) -> None:
        m = self.ids.map
        self.vm.zoom(factor, m.width / 2, m.height / 2)

    def fit(self) -> None:
        m = self.ids.map
        self.vm.fit(m.width, m.height)

    def _door_tapped(self, _widget, door) -> None:
        """A tap on a door opens that door (its street behind it, for Back)."""
        app = self.app
        if door.street_id and door.street_id in self._assigned():
            if door.status == "do_not_visit":
                app.show_toast(tr._("Do not visit: nothing to record at that door."))
                return
            app.open_door(door.street_id, door.id)
        else:
            app.show_toast(tr._("That door is on another pair's street."))

    def _assigned(self):
        ctx = self.app.ctx
        team = ctx.store.team_for_user(ctx.operation_id, ctx.session.username) if ctx.session else None
        return set(getattr(team, "street_ids", ()) or ())

    def set_position(self, position: Position | None) -> None:
        self.vm.set_position(position)
