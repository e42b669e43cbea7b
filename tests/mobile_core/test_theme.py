"""The theme's contrast: every foreground/background pair the app draws is at least 7:1 (WCAG AAA)."""

import pytest

from mobile.ui import theme


@pytest.mark.parametrize("name", sorted(theme.PAIRS))
def test_every_pair_is_at_least_7_to_1(name):
    fg, bg = theme.PAIRS[name]
    ratio = theme.contrast_ratio(fg, bg)
    assert ratio >= theme.MIN_CONTRAST == 7.0, f"{name}: {fg} on {bg} is {ratio:.2f}:1"


def test_every_status_and_sync_colour_has_its_pair():
    # A colour added to a chip without its pair would escape the check above.
    for key, colour in theme.STATUS_COLOURS.items():
        assert theme.PAIRS[f"status_{key}"] == ("#FFFFFF", colour)
    for key, colour in theme.SYNC_COLOURS.items():
        assert theme.PAIRS[f"sync_{key}"] == (theme.ON_BAR, colour)


def test_the_formula():
    assert theme.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    assert theme.contrast_ratio("#FFFFFF", "#0B5CAD") < 7  # the old primary, 6.67:1 (issue 10)
