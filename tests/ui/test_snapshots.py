"""What people see, at 80x24 and 120x40, from fixed data (the same as the README's screenshots)."""

from __future__ import annotations

import time

import pytest
from rich.text import Text
from textual.widgets import SelectionList

from tests.ui.screen import until
from tf_tui.client.stream import Phase
from tf_tui.ui.demo import demo_app
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.screens.start import StartScreen

SMALL, LARGE = (80, 24), (120, 40)


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_dashboard(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_detail_with_loss_sparkline(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), press=["enter"], terminal_size=size)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_start_dialog(snap_compare, tmp_path, size):
    app = demo_app(tmp_path)

    async def open_dialog(pilot):
        dialog = StartScreen(app.session)
        await app.push_screen(dialog)
        # Its choices are in once the dataset list takes the focus, the last thing the loading does.
        datasets = dialog.query_one(SelectionList)
        await until(pilot, lambda: datasets.has_focus, "the choices load")

    assert snap_compare(app, run_before=open_dialog, terminal_size=size)


def test_stop_confirmation(snap_compare, tmp_path):
    app = demo_app(tmp_path)

    async def ask(pilot):
        await app.push_screen(ConfirmScreen(Text("Stop run 3f2a9c1e (training 35%)?")))

    assert snap_compare(app, run_before=ask, terminal_size=SMALL)


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "120x40"])
def test_disconnected(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path, Phase.RETRYING), terminal_size=size)
