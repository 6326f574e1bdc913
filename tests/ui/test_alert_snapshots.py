"""An alert as people see it, at 80x24 and 120x40: the badge on the run's row, its line in the detail, its
toast; from the demo's fixed data, one of whose runs is given an alert."""

from __future__ import annotations

import pytest

from tests.ui.screen import row_on_screen, until
from tests.ui.test_snapshots import LARGE, SMALL, machine_read_then, utc  # noqa: F401 - utc: an autouse fixture
from tf_tui.core.alerts.rules import Alert, Rule
from tf_tui.ui.demo import NOW, demo_app

LIVE = "3f2a9c1e-5b7d-4e21-9a0c-1d2e3f4a5b6c"  # the demo's run going, selected at start


async def raise_an_alert(pilot):
    text = "the loss (4.91) has stayed above 3 times its best (1.02) for 5 points, since step 3900"
    numbers = {"loss": 4.91, "best_loss": 1.02, "factor": 3.0, "points": 5}
    pilot.app.session.store.add_alert(Alert(Rule.DIVERGENCE, LIVE, NOW - 5, 4200, text, numbers))
    pilot.app.fleet.on_change()
    await until(pilot, lambda: "!diverging" in row_on_screen(pilot.app, LIVE), "the badge on the row")


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_an_alert_badge(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), run_before=machine_read_then(raise_an_alert), terminal_size=size)
