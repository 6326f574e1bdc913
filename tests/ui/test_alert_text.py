"""An alert's badge on the row and its lines in the detail, as text: short, within the row's width, and
readable without colour."""

from __future__ import annotations

import pytest

from tf_tui.core.alerts.rules import Alert, Rule
from tf_tui.core.store import RunState
from tf_tui.ui.alert_text import NO_COLOR_BADGE_STYLE, badge, detail_lines, notice
from tf_tui.ui.widgets.run_row import row_text


def alerted(*rules: Rule, stops: bool = False) -> RunState:
    run = RunState("3f2a9c1e-5b7d", status="training", progress=37, base_model="tiny", details={"step": 370})
    for rule in rules:
        run.alerts[rule] = Alert(rule, run.train_id, 0.0, 370, f"{rule.value} said in words", {"loss": 1.0}, stops)
    return run


def test_the_badge_names_the_first_alert_and_counts_the_later_ones():
    assert badge(alerted()) == ""
    assert badge(alerted(Rule.NON_FINITE)) == "!NaN"
    assert badge(alerted(Rule.STALL, Rule.DIVERGENCE, Rule.OVERFITTING)) == "!stalled+2"


@pytest.mark.parametrize("width", [80, 120])
def test_the_badge_sits_after_the_status_and_the_row_keeps_its_width(width):
    plain, with_alert = row_text(alerted(), width, 0.0), row_text(alerted(Rule.DIVERGENCE), width, 0.0)
    assert "training      !diverging " in with_alert.plain
    assert len(with_alert.plain) == len(plain) <= width


def test_without_colour_the_badge_is_reversed():
    row = row_text(alerted(Rule.OVERFITTING), 100, 0.0, no_color=True)
    start = row.plain.index("!overfit")
    assert any(span.style == NO_COLOR_BADGE_STYLE and span.start == start for span in row.spans)


def test_the_detail_has_a_line_per_alert_and_says_when_it_stops_the_run():
    lines = detail_lines(alerted(Rule.NON_FINITE, Rule.STALL, stops=True), "bold").plain.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["alert, non_finite", "alert, stall"]
    assert lines[0].endswith('non_finite said in words; stopping the run, as [alerts.non_finite] action = "stop" says')


def test_the_toast_names_the_run_and_its_backend():
    [alert] = alerted(Rule.STALL).alerts.values()
    assert notice(alert, " on gpu1") == ("Alert: stalled", "3f2a9c1e on gpu1: stall said in words")
