"""The dashboard on a backend listing many runs, ended ones too (the deployed backend's `/train/active`): the
runs list says which rows are in view, and only those are read while the trickle of the others is held."""

from __future__ import annotations

import re

import pytest

from tests.conftest import FAST_BACKOFF, client_settings
from tests.core.test_first_reads import Trickle
from tests.scripted_backend import running_backend
from tests.ui.screen import screen_text, until
from tf_tui.core.first_reads import FirstReadPace, FirstReads, Read
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.widgets.runs_list import RunsList

LISTED = 200
# A default screenful smaller than the screen's: the rows past it are read because the list said they show.
PACE = FirstReadPace(in_view_in_flight=4, in_view_default=5)
SHORT_ID = re.compile(r"(?<![0-9a-f-])([0-9a-f]{8}) ")


def run_id(index: int) -> str:
    return f"{index:08x}-0000-4000-8000-000000000000"


@pytest.fixture
async def backend():
    async with running_backend() as scripted:
        for index in range(LISTED):
            scripted.status_bodies[run_id(index)] = {"status": "completed", "progress": 95}
        yield scripted


def shown_ids(app: TfTuiApp) -> set[str]:
    """The short ids of the run rows on the screen."""
    return {match.group(1) for match in SHORT_ID.finditer(screen_text(app))}


def read_short_ids(backend) -> set[str]:
    return {train_id[:8] for train_id in backend.status_reads}


async def test_the_rows_in_view_are_read_and_scrolling_reads_the_rows_it_brings(backend, tmp_path):
    trickle = Trickle()  # held for the whole test: every read is of a row in view

    def first_reads(read: Read) -> FirstReads:
        return FirstReads(read, PACE, trickle_pace=trickle.pace)

    app = TfTuiApp(Session(client_settings(backend.url, tmp_path), backoff=FAST_BACKOFF, first_reads=first_reads))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: len(shown_ids(app)) > PACE.in_view_default, "a screenful of rows")
        await until(pilot, lambda: "not read yet" not in screen_text(app), "every row in view read")
        top = shown_ids(app)
        # Nothing out of view was read: the list counts in view one row past its last whole one, in part shown.
        assert len(read_short_ids(backend) - top) <= 1
        assert len(backend.status_reads) == len(read_short_ids(backend))  # each once

        app.query_one(RunsList).scroll_end(animate=False)
        await until(pilot, lambda: run_id(0)[:8] in shown_ids(app), "the oldest rows in view")
        await until(pilot, lambda: "not read yet" not in screen_text(app), "the rows scrolled to read")
        bottom = shown_ids(app)
        assert len(read_short_ids(backend) - top - bottom) <= 1
        assert bottom <= read_short_ids(backend)
        assert app.session.reads_pending == LISTED - len(read_short_ids(backend))
