"""What the features of issue 24 cost at 100 updates/s (its budget: at most one point of CPU): the busy
scenario, 100 runs at 100 updates/s, each run with a stored history, watched by tf-tui with the features
off, with them on, and as it was before them, one after the other in each repeat.

- features off: `[alerts] enabled = false` in its config file, and no smoothing (the default view);
- features on: the alert rules as by default (every rule, on every update of every run), and the view's
  smoothing 0.9 kept for the backend, so that the detail chart of the selected run (a running one: every
  run streams) draws the smoothed curve over the raw one, as `m` `m` leaves it; its screen must say so;
- before: the `tf_tui` package of commit BEFORE_FEATURES (from `git archive`, run with PYTHONPATH as
  `bench/first_screen.py --before` runs it), which has neither. It differs from today's by the other
  changes merged since too (the requests while live, the 10,000 runs, the first screen): a reference, not
  the measure of the features.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.processes import REPO, TF_TUI_CLIENT, Client
from tf_tui.core.chart_view import SECTION, ChartView
from tf_tui.core.view_choices import ViewChoicesFile

BEFORE_FEATURES = "64659cf"  # main just before the charts' smoothing and the alerts were merged
SMOOTHING = 0.9
# A chart with a curve to smooth: the selected run's history is read once and smoothed whole, then each
# new point is smoothed on its own; the chart's redraws draw the two curves.
HISTORY_POINTS = 1000
CONFIG_NAME = "config.toml"
VIEW_NAME = "view.json"  # beside the state file (`view_choices_path`), which TF_TUI_CLIENT puts in the home


def _tf_tui_with_config(urls: list[str], home: Path) -> list[str]:
    return ["env", f"TF_TUI_CONFIG={home / CONFIG_NAME}", *TF_TUI_CLIENT.argv(urls, home)]


def _alerts_off(urls: list[str], home: Path) -> None:
    (home / CONFIG_NAME).write_text("[alerts]\nenabled = false\n", encoding="utf-8")


def _alerts_on_and_smoothed(urls: list[str], home: Path) -> None:
    (home / CONFIG_NAME).write_text("[alerts]\nenabled = true\n", encoding="utf-8")
    ViewChoicesFile(home / VIEW_NAME).set(urls[0], SECTION, ChartView(smoothing=SMOOTHING).section())


FEATURES_OFF = Client("features off", _tf_tui_with_config, prepare=_alerts_off)
FEATURES_ON = Client(
    "features on", _tf_tui_with_config, prepare=_alerts_on_and_smoothed, shows=f"smoothed {SMOOTHING:g}"
)


@contextlib.contextmanager
def package_before() -> Iterator[Path]:
    """A directory holding the `tf_tui` package of BEFORE_FEATURES, removed afterwards; OSError when git
    cannot give it (no git, or a copy of the code without its history)."""
    try:
        archive = subprocess.run(
            ["git", "archive", BEFORE_FEATURES, "tf_tui"], cwd=REPO, capture_output=True, check=True, timeout=60
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        raise OSError(f"git archive {BEFORE_FEATURES} failed: {error}") from None
    with tempfile.TemporaryDirectory(prefix="tf-bench-before-") as directory:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(directory, filter="data")
        yield Path(directory)
