"""Toasts never cover the text field being typed in: the runs filter, the path of an upload, and the dialogs'
fields, at 80x24 with three long toasts at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.events import DescendantFocus
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.screen import focus, painted, shown_in, until
from tests.ui.test_dashboard import open_start_dialog
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.datasets import DatasetsScreen
from tf_tui.ui.screens.publish import PublishScreen
from tf_tui.ui.screens.watch import WatchScreen
from tf_tui.ui.widgets.runs_list import RunsList

TOASTS = 3


async def on_screen(pilot: Pilot[object], keys: tuple[str, ...], screen: type | None) -> None:
    await pilot.press(*keys)
    app = pilot.app
    await until(pilot, lambda: screen is None or isinstance(app.screen, screen), f"{keys} opens its screen")


async def start_dialog_steps(pilot: Pilot[object]) -> None:
    dialog = await open_start_dialog(pilot.app, pilot)
    await focus(pilot, dialog.query_one("#steps", Input))


OPENERS: dict[str, Callable[[Pilot[object]], Awaitable[None]]] = {
    "filter": lambda pilot: on_screen(pilot, ("slash",), None),
    "upload": lambda pilot: on_screen(pilot, ("d",), DatasetsScreen),
    "watch": lambda pilot: on_screen(pilot, ("w",), WatchScreen),
    "start": start_dialog_steps,
    "publish": lambda pilot: on_screen(pilot, ("j", "j", "p"), PublishScreen),  # the demo's completed run
}


@pytest.mark.parametrize("where", OPENERS)
async def test_toasts_never_cover_a_text_field(tmp_path, where):
    app = demo_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.query_one(RunsList).selected_id is not None, "a selected run")
        await OPENERS[where](pilot)
        for _ in range(TOASTS):
            app.notify(" ".join(["NOTICE"] * 20))  # every line of every toast says it, however it wraps
        field = app.screen.focused
        assert isinstance(field, Input), f"{where}: the focus is on {field!r}"
        # Mounted together, drawn together: one toast's words on the screen means all three are there.
        await until(pilot, lambda: len(app.screen.query("Toast")) == TOASTS and "NOTICE" in painted(app), "drawn")
        assert "NOTICE" not in shown_in(app, field), (where, field.id, shown_in(app, field))


async def test_a_field_gone_before_its_focus_is_handled_costs_nothing(tmp_path):
    """Found on a slow machine: the datasets screen closed before the focus of its list was handled, and the
    dashboard crashed looking for the list's screen (NoScreen)."""
    app = demo_app(tmp_path)
    async with app.run_test() as pilot:
        field = Input()
        await app.screen.mount(field)
        await field.remove()
        app.on_descendant_focus(DescendantFocus(field))
        await pilot.press("l")  # the dashboard still answers
        assert app.is_running
