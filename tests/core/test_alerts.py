"""The health rules on scripted series: when each fires, with which numbers, and only once per run."""

from __future__ import annotations

import json
import math

import pytest

from tf_tui.core.alerts.monitor import AlertMonitor
from tf_tui.core.alerts.rules import Rule, loss_reading
from tf_tui.core.alerts.settings import AlertSettings, DivergenceRule, OverfittingRule, StallRule
from tf_tui.core.store import RunState


def going(train_id: str = "r1") -> RunState:
    return RunState(train_id, status="training", known_going=True)


def feed(monitor: AlertMonitor, run: RunState, points, *, start_step: int = 1, at: float = 0.0):
    """Each point a `details` dict (or a bare training loss) at the next step; every alert raised, in order,
    also kept on the run as the store keeps them."""
    raised = []
    for offset, point in enumerate(points):
        details = point if isinstance(point, dict) else {"loss": point}
        alerts = monitor.observe(run, {"step": start_step + offset, **details}, at + offset)
        for alert in alerts:
            run.alerts.setdefault(alert.rule, alert)
        raised += alerts
    return raised


@pytest.mark.parametrize("written", [math.nan, math.inf, -math.inf, "nan", "NaN", "inf", "-Infinity", 10**400])
def test_a_non_finite_loss_fires_however_it_is_written(written):
    monitor, run = AlertMonitor(AlertSettings()), going()
    [alert] = feed(monitor, run, [2.0, 1.9, written])
    assert (alert.rule, alert.step) == (Rule.NON_FINITE, 3)
    assert not math.isfinite(alert.numbers["loss"])
    assert "at step 3" in alert.text


def test_a_non_finite_held_out_loss_fires_too_and_finite_ones_never():
    monitor, run = AlertMonitor(AlertSettings()), going()
    assert feed(monitor, run, [2.0, {"loss": 1.9, "eval_loss": 2.1}, 1.8]) == []
    [alert] = feed(monitor, run, [{"loss": 1.7, "eval_loss": "nan"}], start_step=4)
    assert alert.rule is Rule.NON_FINITE and math.isnan(alert.numbers["eval_loss"])
    assert "held-out loss is nan" in alert.text


def test_divergence_needs_the_loss_above_k_times_its_best_for_n_points_in_a_row():
    monitor, run = AlertMonitor(AlertSettings(divergence=DivergenceRule(factor=3.0, points=5))), going()
    # Down to 1.0, then four points above 3.0, one back under (the count starts again), then five above.
    series = [4.0, 2.0, 1.0, 3.5, 4.0, 5.0, 6.0, 2.9, 3.1, 3.2, 3.3, 3.4]
    assert feed(monitor, run, series) == []
    [alert] = feed(monitor, run, [3.5], start_step=13)
    assert alert.rule is Rule.DIVERGENCE and alert.step == 13
    assert alert.numbers == {"loss": 3.5, "best_loss": 1.0, "factor": 3.0, "points": 5}
    assert "since step 9" in alert.text


def test_an_infinite_loss_counts_as_above_the_bound_and_nan_neither_counts_nor_resets():
    settings = AlertSettings(divergence=DivergenceRule(points=3))
    monitor, run = AlertMonitor(settings), going()
    raised = feed(monitor, run, [1.0, math.inf, math.nan, math.inf, math.inf])
    assert [alert.rule for alert in raised] == [Rule.NON_FINITE, Rule.DIVERGENCE]
    assert raised[1].step == 5


def test_a_falling_or_noisy_loss_never_diverges():
    monitor, run = AlertMonitor(AlertSettings()), going()
    noisy = [2.0 / (1 + step / 50) * (1.5 if step % 7 == 0 else 1.0) for step in range(2_000)]
    assert feed(monitor, run, noisy) == []


def test_a_step_reported_again_is_not_a_new_point():
    """A poll repeats the step a frame brought: five reports of one step are one point."""
    monitor, run = AlertMonitor(AlertSettings(divergence=DivergenceRule(points=2))), going()
    feed(monitor, run, [1.0])
    for _ in range(5):
        assert monitor.observe(run, {"step": 2, "loss": 9.0}, 1.0) == []
    assert [alert.rule for alert in monitor.observe(run, {"step": 3, "loss": 9.0}, 2.0)] == [Rule.DIVERGENCE]


def test_overfitting_is_the_held_out_loss_above_its_best_for_n_evaluations_while_training_falls():
    monitor, run = AlertMonitor(AlertSettings(overfitting=OverfittingRule(evaluations=3))), going()
    evaluations = [
        {"loss": 2.0, "eval_loss": 2.2},
        {"loss": 1.5, "eval_loss": 1.8},  # the best held-out loss, with the training loss at 1.5
        {"loss": 1.4, "eval_loss": 1.9},
        {"loss": 1.3, "eval_loss": 2.0},
    ]
    assert feed(monitor, run, evaluations) == []
    [alert] = feed(monitor, run, [{"loss": 1.2, "eval_loss": 2.1}], start_step=5)
    assert alert.rule is Rule.OVERFITTING
    assert alert.numbers == {
        "eval_loss": 2.1,
        "best_eval_loss": 1.8,
        "evaluations": 3,
        "loss": 1.2,
        "loss_at_best": 1.5,
    }
    assert "fell from 1.5 to 1.2" in alert.text


def test_no_overfitting_when_the_training_loss_does_not_fall_or_the_held_out_loss_finds_a_new_best():
    monitor, run = AlertMonitor(AlertSettings(overfitting=OverfittingRule(evaluations=2))), going()
    flat_training = [{"loss": 1.0, "eval_loss": 1.0}, {"loss": 1.0, "eval_loss": 1.1}, {"loss": 1.1, "eval_loss": 1.2}]
    assert feed(monitor, run, flat_training) == []
    new_best = [{"loss": 0.9, "eval_loss": 0.8}, {"loss": 0.8, "eval_loss": 0.85}, {"loss": 0.7, "eval_loss": 0.7}]
    assert feed(monitor, run, new_best, start_step=4) == []


def test_a_held_out_loss_the_store_kept_from_an_earlier_update_is_not_a_new_evaluation():
    """Between evaluations the updates carry no held-out loss: only the update's own details count."""
    monitor, run = AlertMonitor(AlertSettings(overfitting=OverfittingRule(evaluations=1))), going()
    assert feed(monitor, run, [{"loss": 2.0, "eval_loss": 1.0}, 1.5, 1.2, 1.1]) == []


def test_a_run_stalls_when_its_step_stays_put_for_the_limit_on_the_sessions_clock():
    monitor, run = AlertMonitor(AlertSettings(stall=StallRule(seconds=60))), going()
    feed(monitor, run, [2.0, 1.9], at=100.0)  # step 2 at 101
    monitor.observe(run, {"step": 2, "loss": 1.9}, 150.0)  # heard again, no new step
    assert monitor.check_stall(run, 160.9) is None
    alert = monitor.check_stall(run, 161.0)
    assert alert is not None and alert.rule is Rule.STALL
    assert alert.numbers == {"seconds": 60.0, "limit_s": 60}
    assert "still at step 2" in alert.text


def test_a_run_s_stall_is_due_at_the_moment_the_check_finds_it():
    """The session's clock sleeps until a run could stall: `stall_due_at` is the moment `check_stall` fires."""
    monitor, run = AlertMonitor(AlertSettings(stall=StallRule(seconds=60))), going()
    assert monitor.stall_due_at(run) is None  # no step reported yet
    feed(monitor, run, [2.0, 1.9], at=100.0)  # step 2 at 101
    due = monitor.stall_due_at(run)
    assert due == 161.0
    assert monitor.check_stall(run, due - 0.1) is None and monitor.check_stall(run, due) is not None
    run.alerts[Rule.STALL] = monitor.check_stall(run, due)
    assert monitor.stall_due_at(run) is None  # it fires once


def test_only_a_going_run_that_reported_a_step_can_stall():
    monitor = AlertMonitor(AlertSettings(stall=StallRule(seconds=1)))
    queued = going("queued")
    monitor.observe(queued, {"message": "Queued behind 3 other run(s)"}, 0.0)
    assert monitor.check_stall(queued, 1_000.0) is None
    ended = going("ended")
    feed(monitor, ended, [1.0])
    ended.status = "completed"
    assert monitor.check_stall(ended, 1_000.0) is None
    assert monitor.check_stall(going("unknown"), 1_000.0) is None


def test_each_rule_fires_once_per_run_and_each_run_has_its_own():
    settings = AlertSettings(stall=StallRule(seconds=1), divergence=DivergenceRule(points=1))
    monitor = AlertMonitor(settings)
    first, second = going("a"), going("b")
    assert [a.rule for a in feed(monitor, first, [1.0, "nan", 5.0, "inf", 6.0])] == [Rule.NON_FINITE, Rule.DIVERGENCE]
    assert [a.rule for a in feed(monitor, second, [1.0, 7.0])] == [Rule.DIVERGENCE]
    stall = monitor.check_stall(first, 100.0)
    assert stall is not None
    first.alerts[Rule.STALL] = stall
    assert monitor.check_stall(first, 200.0) is None


def test_rules_switched_off_never_fire():
    settings = AlertSettings(enabled=True, divergence=DivergenceRule(enabled=False, points=1))
    monitor, run = AlertMonitor(settings), going()
    assert [alert.rule for alert in feed(monitor, run, [1.0, 5.0, "nan"])] == [Rule.NON_FINITE]
    everything_off = AlertMonitor(AlertSettings(enabled=False))
    assert feed(everything_off, going(), [1.0, 5.0, "nan"]) == []


def test_an_ended_run_raises_nothing_more():
    monitor, run = AlertMonitor(AlertSettings()), going()
    feed(monitor, run, [1.0])
    run.status = "failed"
    assert monitor.observe(run, {"step": 2, "loss": "nan"}, 1.0) == []


def test_an_alert_record_is_json_with_non_finite_numbers_as_text():
    monitor, run = AlertMonitor(AlertSettings()), going()
    [alert] = feed(monitor, run, [1.0, "inf"])
    record = alert.record()
    assert json.loads(json.dumps(record, allow_nan=False)) == {
        "event": "alert",
        "rule": "non_finite",
        "train_id": "r1",
        "at": "1970-01-01T00:00:01.000+00:00",
        "step": 2,
        "text": alert.text,
        "numbers": {"loss": "inf"},
        "action": None,
    }


@pytest.mark.parametrize("value", [None, True, "1.5", [1.0], {"loss": 1}, "nanx"])
def test_what_is_no_loss_reads_as_none(value):
    assert loss_reading(value) is None


def test_a_held_out_loss_that_wanders_within_the_margin_of_its_best_is_a_plateau_not_overfitting():
    """As a healthy run's does at its floor: 0.6 % above its best for six evaluations, the training loss falling."""
    rule = OverfittingRule(evaluations=3, margin=0.02)
    monitor, run = AlertMonitor(AlertSettings(overfitting=rule)), going()
    plateau = [{"loss": 0.42 - step / 100, "eval_loss": 0.4301 if step == 0 else 0.4325} for step in range(8)]
    assert feed(monitor, run, plateau) == []
    # Past the margin, the count starts from the first evaluation above it: one within it set it back to 0.
    climbing = [{"loss": 0.3, "eval_loss": 0.45}, {"loss": 0.29, "eval_loss": 0.44}, {"loss": 0.28, "eval_loss": 0.43}]
    assert feed(monitor, run, climbing, start_step=9) == []
    above = [{"loss": 0.27 - step / 100, "eval_loss": 0.46 + step / 100} for step in range(3)]
    [alert] = feed(monitor, run, above, start_step=12)
    assert alert.numbers["evaluations"] == 3 and alert.step == 14
