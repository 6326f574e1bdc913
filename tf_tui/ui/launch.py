"""Run the dashboard in the terminal: an exit status that tells a crash, and what was left going."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

from rich.console import Console
from textual.theme import BUILTIN_THEMES

from tf_tui.base import start_collection
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.signals import exit_status
from tf_tui.core.config import Settings
from tf_tui.core.fleet import Fleet
from tf_tui.ui.app import make_app

CRASH_REPORT_WIDTH = 120


@dataclass(frozen=True)
class DashboardExit:
    code: int  # ExitCode.OK after a quit, ExitCode.FAILED after an exception, 128 + the signal's number after one
    going: int  # runs the dashboard last saw going: they go on without it


def theme_names() -> list[str]:
    """The themes the dashboard can be drawn in (Textual's own; it registers none): what the config file's
    `theme` is checked against before the dashboard starts."""
    return sorted(BUILTIN_THEMES)


def run_dashboard(settings: Settings) -> DashboardExit:
    app = make_app(settings)
    # Textual prints a crash's traceback, with its local variables, on stderr after leaving the
    # terminal: those locals can hold the token. The app logs the traceback without them instead.
    report = io.StringIO()
    app.error_console = Console(file=report, width=CRASH_REPORT_WIDTH, markup=False, highlight=False)
    try:
        app.run()
    finally:  # a dashboard that ended before its first screen
        start_collection.release()
    app.exit_signals.finished()
    if app.exit_signals.received is not None:
        return DashboardExit(exit_status(app.exit_signals.received), going_runs(app.fleet))
    if app.return_code:
        print(f"tf-tui: the dashboard crashed; details in {settings.log_file}", file=sys.stderr)
        return DashboardExit(ExitCode.FAILED, going_runs(app.fleet))
    sys.stderr.write(report.getvalue())  # a deliberate exit message, if any, still reaches the user
    return DashboardExit(ExitCode.OK, going_runs(app.fleet))


def going_runs(fleet: Fleet) -> int:
    """The runs last seen going, on every backend."""
    runs = (entry.run for entry in fleet.runs())
    return sum(1 for run in runs if run.going)
