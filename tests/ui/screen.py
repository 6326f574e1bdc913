"""Reading what the terminal shows, for Pilot tests: the strips the screen is drawn from, as text.

A widget that was never repainted reads as it was last drawn, unlike its `render()` of the live object.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from rich.text import Text
from textual._context import visible_screen_stack
from textual.app import App
from textual.events import MouseScrollDown, MouseScrollUp
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from tests.conftest import DEADLINE_S
from tf_tui.ui.widgets.run_row import RunRow
from tf_tui.ui.widgets.runs_list import RunsList


def screen_text(app: App[object]) -> str:
    return drawn(app.screen)


def drawn(screen: Screen[object]) -> str:
    """One screen as drawn, whether or not another is on top of it."""
    # The compositor is what Textual itself draws from; there is no public way to read the drawn screen.
    return "\n".join(strip.text for strip in screen._compositor.render_strips())


def painted(app: App[object]) -> str:
    """The screen as a screenshot takes it: the screens under a modal dialog show through it."""
    # What `App.export_screenshot` does before it renders; without it a dialog's backdrop is blank.
    visible_screen_stack.set(app._background_screens)
    return screen_text(app)


def shown_in(app: App[object], widget: Widget) -> str:
    """The part of the screen a widget covers, as one line: runs of whitespace made single, so that text
    the widget wrapped reads as it was written. Empty while the widget is not laid out on the screen."""
    return _shown_in_region(app, widget.region)


def lines_in(app: App[object], widget: Widget) -> list[str]:
    """The part of the screen a widget covers, line by line as drawn (a chart's rows, its axis)."""
    region = widget.region
    return [strip.crop(region.x, region.right).text for strip in app.screen._compositor.render_strips()][
        region.y : region.bottom
    ]


def _shown_in_region(app: App[object], region: Region) -> str:
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return " ".join(" ".join(strip.crop(region.x, region.right).text for strip in strips).split())


def row_on_screen(app: App[object], train_id: str, backend: str | None = None) -> str:
    """The run's row as painted; empty while it has none in view. Without a backend, the run's row on any."""
    lists = app.query(RunsList)
    region = lists.first().row_region(train_id, backend) if lists else None
    return "" if region is None else _shown_in_region(app, region)


def count_row_paints(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each run's row is repainted from now on, by run id: asked to repaint (its line of the
    list refreshed), or rendered."""
    paints: Counter[str] = Counter()
    text, refresh = RunRow.text, RunsList.refresh

    def rendered(row: RunRow, *args: Any, **kwargs: Any) -> Text:
        paints[row.run.train_id] += 1
        return text(row, *args, **kwargs)

    def refreshed(runs: RunsList, *regions: Region, **kwargs: Any) -> RunsList:
        lines = {y for region in regions for y in range(region.y, region.bottom)}
        for key in filter(None, map(runs.key_at, lines)):
            paints[key[1]] += 1
        return refresh(runs, *regions, **kwargs)

    monkeypatch.setattr(RunRow, "text", rendered)
    monkeypatch.setattr(RunsList, "refresh", refreshed)
    return paints


def toasts_on_screen(app: App[object]) -> str:
    """Every notification on screen (Pilot shows them only under `run_test(notifications=True)`)."""
    # Inside each toast's border, whose edge would otherwise start every line of its text.
    return " ".join(_shown_in_region(app, toast.content_region) for toast in app.screen.query("Toast"))


async def until(pilot: Pilot[object], condition, what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        # The screen at the deadline says why (a dialog that shows an error, a focus elsewhere).
        assert time.monotonic() < deadline, f"not true within {timeout} s: {what}; screen:\n{screen_text(pilot.app)}"
        await pilot.pause()


async def until_shown(pilot: Pilot[object], text: str, timeout: float = DEADLINE_S) -> str:
    """Wait until `text` is on the screen; the screen's text then."""
    try:
        await until(pilot, lambda: text in screen_text(pilot.app), f"{text!r} on the screen", timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}; the screen:\n{screen_text(pilot.app)}") from None
    return screen_text(pilot.app)


async def focus(pilot: Pilot[object], widget: Widget) -> None:
    """Focus a widget and wait until it has it: keys pressed before then would go elsewhere."""
    widget.focus()
    await until(pilot, lambda: widget.has_focus, f"{widget} has the focus")


async def wheel(pilot: Pilot[object], widget: Widget, *, down: bool = True, times: int = 1) -> None:
    """Turn the mouse wheel over the middle of a widget, as the terminal reports it."""
    event = MouseScrollDown if down else MouseScrollUp
    middle = (widget.region.width // 2, widget.region.height // 2)
    for _ in range(times):
        # Pilot's own way of sending mouse events, which it keeps for its click and hover.
        await pilot._post_mouse_events([event], widget, middle)


def footer_key(app: App[object], action: str) -> set[str] | None:
    """The footer key of an action as its `-disabled` class (dimmed) or none; None when it is not shown.
    The footer's widgets, not the screen: at the tests' width the footer cannot paint every key."""
    keys = [key for key in app.screen.query(FooterKey) if key.action == action]
    return {name for name in keys[0].classes if name == "-disabled"} if keys else None
