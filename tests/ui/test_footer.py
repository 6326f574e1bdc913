"""The footer rebuilds its keys when the keys of the selected run change: the keys it drops must go."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from tests.ui.screen import until
from tf_tui.ui.demo import demo_app
from tf_tui.ui.widgets.footer import LeakFreeFooter
from tf_tui.ui.widgets.runs_list import RunsList

MOVES = 10  # each rebuild of the leaking footer kept nine keys: ten are three times what is shown


def footer_keys_alive() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, FooterKey))


async def test_the_footer_keeps_no_key_it_dropped_alive(tmp_path, monkeypatch):
    rebuilds = 0
    rebuild = LeakFreeFooter.recompose

    async def counted(footer: LeakFreeFooter) -> None:
        nonlocal rebuilds
        await rebuild(footer)
        rebuilds += 1

    monkeypatch.setattr(LeakFreeFooter, "recompose", counted)
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        runs = app.query_one(RunsList)
        going = next(entry.run.train_id for entry in app.fleet.runs() if not entry.run.ended)
        ended = next(entry.run.train_id for entry in app.fleet.runs() if entry.run.ended and not entry.run.missing)
        for move in range(MOVES):
            # A going run (stop shown) and an ended one (stop dimmed) in turn: the footer is rebuilt each time.
            done = rebuilds
            runs.select(going if move % 2 == 0 else ended)
            await until(pilot, lambda: rebuilds > done, "the footer is rebuilt")  # noqa: B023
        shown = len(app.screen.query(FooterKey))
        assert shown > 0
        # Without the fix, every rebuild kept a footer's worth of keys alive.
        assert footer_keys_alive() <= 2 * shown, f"{footer_keys_alive()} FooterKeys alive for {shown} shown"
