"""The `[alerts]` table of the config file: its defaults, each rule's thresholds and action, and its errors named
as the other keys' are (the file, the line, the known keys)."""

from __future__ import annotations

import pytest

from tf_tui.core.alerts.settings import AlertSettings, DivergenceRule, OverfittingRule, StallRule
from tf_tui.core.config import ConfigError, load_settings


def settings(tmp_path, config: str):
    path = tmp_path / "config.toml"
    path.write_text(config)
    return load_settings(environ={}, config_path=path)


def test_without_the_table_every_rule_is_on_with_its_default_and_none_stops(tmp_path):
    alerts = settings(tmp_path, "").alerts
    assert alerts == AlertSettings()
    assert (alerts.divergence.factor, alerts.divergence.points) == (3.0, 5)
    assert (alerts.stall.seconds, alerts.overfitting.evaluations, alerts.overfitting.margin) == (300.0, 5, 0.02)
    assert not any(rule.stop for rule in (alerts.non_finite, alerts.divergence, alerts.stall, alerts.overfitting))


def test_each_rule_takes_its_thresholds_its_switch_and_its_action(tmp_path):
    config = """
[alerts]
enabled = true
[alerts.non_finite]
action = "stop"
[alerts.divergence]
factor = 2.5
points = 8
action = "notify"
[alerts.stall]
seconds = 90
enabled = false
[alerts.overfitting]
evaluations = 3
margin = 0
"""
    alerts = settings(tmp_path, config).alerts
    assert alerts.non_finite.stop
    assert alerts.divergence == DivergenceRule(factor=2.5, points=8)
    assert alerts.stall == StallRule(enabled=False, seconds=90.0)
    assert alerts.overfitting == OverfittingRule(evaluations=3, margin=0.0)
    assert not settings(tmp_path, "[alerts]\nenabled = false\n").alerts.enabled


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("[alerts]\nenable = true\n", "line 2: unknown key 'enable' in [alerts] (did you mean 'enabled'?)"),
        ("[alerts.stall]\nsecond = 5\n", "line 2: unknown key 'second' in [alerts.stall] (did you mean 'seconds'?)"),
        (
            "[alerts.divergance]\nfactor = 2\n",
            "line 1: unknown key 'divergance' in [alerts] (did you mean 'divergence'?); the known keys there are "
            "enabled, non_finite, divergence, stall, overfitting",
        ),
        ("[alerts.divergence]\nfactor = 1\n", "alerts.divergence.factor must be a number above 1, not 1"),
        ("[alerts.divergence]\npoints = 2.5\n", "alerts.divergence.points must be a whole number of 1 or more"),
        ("[alerts.stall]\nseconds = true\n", "alerts.stall.seconds must be a number of seconds above 0"),
        ("[alerts.overfitting]\nmargin = -0.1\n", "alerts.overfitting.margin must be a fraction of 0 or more"),
        ('[alerts.stall]\naction = "kill"\n', "alerts.stall.action must be 'notify' or 'stop', not 'kill'"),
        ('[alerts.stall]\naction = "stpo"\n', "(did you mean 'stop'?)"),
        ("[alerts]\nenabled = 1\n", "alerts.enabled must be true or false"),
        ("alerts = 3\n", "alerts must be a table: [alerts]"),
        ("[alerts]\nstall = 3\n", "alerts.stall must be a table: [alerts.stall]"),
    ],
)
def test_a_bad_alerts_table_is_an_error_naming_the_key(tmp_path, config, words):
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, config)
    assert str(refused.value).startswith(str(tmp_path / "config.toml"))
    assert words in str(refused.value)
