"""The features scenario (bench/features.py) sets tf-tui up as it says, read back by tf-tui's own readers, and
its figures judge the difference within each repeat."""

from __future__ import annotations

import math

from bench.features import FEATURES_OFF, FEATURES_ON, SMOOTHING, package_before
from bench.processes import Client
from bench.run import features_figures
from tf_tui.core.chart_view import SECTION, ChartView
from tf_tui.core.config import load_settings
from tf_tui.core.view_choices import ViewChoicesFile, view_choices_path

URL = "http://127.0.0.1:41234"


def _prepared(client: Client, home):
    """The settings and the chart view tf-tui would start with, given the client's command line."""
    assert client.prepare is not None
    client.prepare([URL], home)
    argv = client.argv([URL], home)
    environ = dict(argument.split("=", 1) for argument in argv[1:] if "=" in argument)
    settings = load_settings(url=URL, state_file=home / "state.json", environ=environ)
    view = ChartView.from_section(ViewChoicesFile(view_choices_path(settings)).get(URL, SECTION))
    return settings, view


def test_the_features_are_off_for_one_client_and_on_for_the_other(tmp_path):
    (off_home := tmp_path / "off").mkdir()
    (on_home := tmp_path / "on").mkdir()
    off_settings, off_view = _prepared(FEATURES_OFF, off_home)
    on_settings, on_view = _prepared(FEATURES_ON, on_home)
    assert (off_settings.alerts.enabled, off_view.smoothing) == (False, None)
    assert (on_settings.alerts.enabled, on_view.smoothing) == (True, SMOOTHING)
    assert FEATURES_ON.shows == "smoothed 0.9"  # the detail chart's title with the smoothing on


def test_the_package_before_the_features_is_the_package_without_them():
    with package_before() as directory:
        package = directory / "tf_tui"
        assert (package / "__main__.py").is_file()
        assert not (package / "core" / "alerts").exists() and not (package / "core" / "smoothing.py").exists()


def test_the_cost_is_the_median_of_the_differences_within_each_repeat():
    repeats = [
        {"features off": 8.0, "features on": 8.5, "before": 9.0},
        {"features off": 12.0, "features on": 9.0},  # a repeat the load disturbed: its difference counts once
        {"features off": 7.0, "features on": 7.5, "before": 8.0},
    ]
    cost, against_before = features_figures(repeats)
    assert [part.median("tf-tui") for part in cost.parts] == [8.0, 8.5, 0.5]
    assert cost.met([part.median("tf-tui") for part in cost.parts]) is True
    assert cost.met([8.0, 10.0, 2.0]) is False
    assert [part.median("tf-tui") for part in against_before.parts] == [8.5, 8.5, -0.5]


def test_a_repeat_without_one_of_the_pair_gives_no_difference():
    cost, _ = features_figures([{"features on": 8.0}])
    assert math.isnan(cost.parts[2].median("tf-tui"))
    assert cost.met([part.median("tf-tui") for part in cost.parts]) is None
