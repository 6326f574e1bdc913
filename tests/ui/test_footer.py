"""The footer recomposes at every binding refresh (each repaint, each selection): the keys it drops must go."""

from __future__ import annotations

import gc

from textual.widgets._footer import FooterKey

from tests.ui.screen import until
from tf_tui.ui.demo import demo_app

MOVES = 40


def footer_keys_alive() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, FooterKey))


async def test_the_footer_keeps_no_key_it_dropped_alive(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        runs = app.query_one("#runs")
        for move in range(MOVES):
            before = runs.selected_id
            await pilot.press("j" if move % 2 == 0 else "k")
            await until(pilot, lambda: runs.selected_id != before, "the cursor moved")  # noqa: B023
        await until(pilot, lambda: len(app.screen.query(FooterKey)) > 0, "the footer shows its keys")
        shown = len(app.screen.query(FooterKey))
        # One recompose may still be under way; without the fix, every move kept a footer's worth of keys.
        assert footer_keys_alive() <= 2 * shown, f"{footer_keys_alive()} FooterKeys alive for {shown} shown"
