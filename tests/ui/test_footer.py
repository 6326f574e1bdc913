"""The footer dims and lights its keys where they are when the selected run changes whether they can act,
and rebuilds its keys when the keys shown change: the keys it drops must go."""

from __future__ import annotations

import gc

import pytest
from textual.widgets._footer import FooterKey

from tests.ui.screen import footer_key, until
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.demo import NOW, demo_app
from tf_tui.ui.paint.reaches import Feature
from tf_tui.ui.screens.confirm import ConfirmScreen
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.runs_list import RunsList

MOVES = 10  # each rebuild of the leaking footer kept nine keys: ten are three times what is shown


def footer_keys_alive() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, FooterKey))


def count_rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """A list that grows by one at each rebuild of the footer from now on."""
    rebuilds: list[None] = []
    rebuild = LeakFreeFooter.recompose

    async def counted(footer: LeakFreeFooter) -> None:
        await rebuild(footer)
        rebuilds.append(None)

    monkeypatch.setattr(LeakFreeFooter, "recompose", counted)
    return rebuilds


def going_and_ended(app: TfTuiApp) -> tuple[str, str]:
    going = next(entry.run.train_id for entry in app.fleet.runs() if not entry.run.ended)
    ended = next(entry.run.train_id for entry in app.fleet.runs() if entry.run.ended and not entry.run.missing)
    return going, ended


async def test_the_footer_keeps_no_key_it_dropped_alive(tmp_path, monkeypatch):
    rebuilds = count_rebuilds(monkeypatch)
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        runs = app.query_one(RunsList)
        going, ended = going_and_ended(app)
        app.session.store.mark_missing(ended, NOW)  # a "not found" run: the footer offers to dismiss it
        app._schedule_flush()
        await until(pilot, lambda: runs.row_region(ended) is not None, "the not found row")
        for move in range(MOVES):
            # A going run and a "not found" one in turn: Dismiss comes and goes, the footer is rebuilt each time.
            done = len(rebuilds)
            runs.select(going if move % 2 == 0 else ended)
            await until(pilot, lambda: len(rebuilds) > done, "the footer is rebuilt")  # noqa: B023
        shown = len(app.screen.query(FooterKey))
        assert shown > 0
        # Without the fix, every rebuild kept a footer's worth of keys alive.
        assert footer_keys_alive() <= 2 * shown, f"{footer_keys_alive()} FooterKeys alive for {shown} shown"


@pytest.mark.parametrize("reach", [True, False], ids=["reach there", "reach missing"])
async def test_the_footer_dims_and_lights_its_keys_in_place_and_a_dimmed_key_only_rings(tmp_path, monkeypatch, reach):
    """From a going run to an ended one, the footer shows the same keys, stop dimmed: the keys are dimmed
    where they are (a rebuild unmounts and mounts every key and lays the screen out, 10 to 50 ms on a
    key's path). A click on the dimmed stop rings the bell, one on the lit stop asks to stop, as Textual's
    own keys do. Without the private name this takes (a Textual that renamed it), the footer is rebuilt,
    and all else holds."""
    rebuilds = count_rebuilds(monkeypatch)
    rings: list[None] = []
    monkeypatch.setattr(TfTuiApp, "bell", lambda app: rings.append(None))
    app = demo_app(tmp_path)
    if not reach:
        app.paint_features -= {Feature.FOOTER_IN_PLACE}
    async with app.run_test(size=(120, 30)) as pilot:
        runs = app.query_one(RunsList)
        going, ended = going_and_ended(app)
        runs.select(going)
        await until(pilot, lambda: footer_key(app, "stop") == set(), "stop lit for the going run")
        keys = list(app.screen.query(FooterKey))
        done = len(rebuilds)

        runs.select(ended)
        await until(pilot, lambda: footer_key(app, "stop") == {"-disabled"}, "stop dimmed for the ended run")
        runs.select(going)
        await until(pilot, lambda: footer_key(app, "stop") == set(), "stop lit again")
        runs.select(ended)
        await until(pilot, lambda: footer_key(app, "stop") == {"-disabled"}, "and dimmed again")
        assert (list(app.screen.query(FooterKey)) == keys) is reach
        assert (len(rebuilds) == done) is reach

        (stop,) = [key for key in app.screen.query(FooterKey) if key.action == "stop"]
        await pilot.click(stop)
        await until(pilot, lambda: len(rings) == 1, "the dimmed key rings")
        assert not isinstance(app.screen, ConfirmScreen)
        runs.select(going)
        await until(pilot, lambda: footer_key(app, "stop") == set(), "stop lit")
        (stop,) = [key for key in app.screen.query(FooterKey) if key.action == "stop"]
        await pilot.click(stop)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the lit key asks to stop the run")
        assert len(rings) == 1
