"""UI: the street follow-up screen works in both orientations (issue 10: in portrait the top bar
stopped responding; in landscape, after a street fix, the form was blank but for its last heading)."""

import pytest

pytestmark = pytest.mark.ui


@pytest.mark.parametrize("size", [(1280, 800), (800, 1280)], ids=["landscape", "portrait"])
def test_street_followup_in_both_orientations(ui, size):
    ui.window.size = size
    try:
        ui.open_walk_list()
        ui.tap(ui.rv_row(ui.screen.ids.rv, lambda w: w.name == "Avon Road"))
        ui.tap(ui.screen.ids.log_fix)                     # a street fix first
        ui.tap_text("Litter picked")
        ui.wait_until(lambda: ui.screen.name == "street", message="fix saved")
        ui.tap(ui.screen.ids.raise_followup)
        screen = ui.screen
        card = screen.card
        assert screen.name == "street_record" and card is not None
        for field in ("categories", "priorities", "description", "consent_yes"):
            assert card.ids[field].height > 0 and card.ids[field].parent is not None, field
        ui.tap_text("Street lighting", root=card)
        ui.type_into(card.ids.description, "Three lights out by the school")
        ui.tap(card.ids.consent_no)
        ui.screenshot(f"street_followup_{'portrait' if size[0] < size[1] else 'landscape'}", size=size)
        ui.tap(screen.ids.save)
        ui.wait_until(lambda: ui.screen.name == "street", message="raised")
        assert ui.app.toast == "Follow-up raised: Street lighting on Avon Road"
        ui.tap(ui.screen.ids.raise_followup)
        ui.tap(ui.app.root.ids.nav_streets)               # the top bar answers on this screen
        ui.pump(2)
        assert ui.screen.name == "streets"
    finally:
        ui.window.size = (1280, 800)
        ui.pump(2)
