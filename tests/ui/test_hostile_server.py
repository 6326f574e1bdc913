"""The dashboard against a hostile server: random and malicious frames, and sockets dropped at once."""

from __future__ import annotations

import json
import random
import re
from itertools import pairwise

import pytest

from tests.conftest import DEADLINE_S, client_settings, local_stream
from tests.hostile_backend import hostile_backend
from tests.hostile_input import chosen_seed, random_frame, status_bodies_for_http
from tests.ui.screen import screen_text, shown_in, until
from tf_tui.base.text import printable
from tf_tui.client.stream import Backoff, Timeouts
from tf_tui.core.session import Session
from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.event_log import EventLogScreen
from tf_tui.ui.widgets.detail import DetailPane
from tf_tui.ui.widgets.header import StatusHeader
from tf_tui.ui.widgets.runs_list import RunsList

SIZE = (110, 32)
# Runs the frames are about: ids with markup and escapes in them too.
RUN_IDS = ("run-a", "run-b", "[bold]run-c[/]", "\x1b[31mrun-d", "[link=https://evil.example/]e")
KEY_CHECKS = 10  # times the stream is interrupted by a key press that must still have its effect
FRESH_FRAMES = 20_000  # beyond this many, frames are drawn again from those made (making them is slow)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CANARY_STATUS = "[bold]CANARY[/bold] \x1b[31mred\x1b]0;title\x07"
CANARY_MESSAGE = "[@click=app.quit]quit[/] [link=https://evil.example/]x[/link] \x1bP+q\x1b\\"


def assert_screen_is_clean(app: TfTuiApp) -> None:
    for line in screen_text(app).splitlines():
        assert not CONTROL.search(line), f"a control character reached the screen: {line!r}"


async def a_key_still_works(app: TfTuiApp, pilot) -> None:
    await pilot.press("l")
    await until(pilot, lambda: isinstance(app.screen, EventLogScreen), "the event log opens")
    await pilot.press("escape")
    await until(pilot, lambda: not isinstance(app.screen, EventLogScreen), "the event log closes")


def detail(app: TfTuiApp) -> str:
    return shown_in(app, app.query_one(DetailPane))


def frames_counted(app: TfTuiApp) -> int:
    return sum(count for name, count in app.session.counters.items() if name.startswith("frames."))


def hostile_http(rng: random.Random):
    """Listings name the hostile runs; status reads answer with any body at all."""

    def answer(path: str) -> object:
        if path.startswith("/train/active"):
            return {"active_trainings": [*RUN_IDS, 7, None]}
        if path.startswith("/dashboard"):
            return {"recent_runs": [{"id": RUN_IDS[2], "base_model": "[bold]x", "created_at": "\x1b[2J"}, "junk"]}
        return status_bodies_for_http(rng)

    return answer


# The backend shares the test's event loop with the app, so on a starved machine a ping can go unanswered
# for longer than the 12 s heartbeat; the client then drops the socket and the frames in flight in it,
# and the count of frames read could never match. The heartbeat has tests of its own.
PATIENT_HEARTBEAT = Timeouts(ping_interval=60.0, ping=600.0)


async def fuzz_the_dashboard(frames: int, tmp_path) -> None:
    rng = random.Random(chosen_seed("TF_TUI_FUZZ_SEED"))
    made: list[str | bytes] = []
    async with hostile_backend() as backend:
        backend.http_body = hostile_http(rng)
        stream = local_stream(backend.url, timeouts=PATIENT_HEARTBEAT)
        app = TfTuiApp(Session(client_settings(backend.url, tmp_path), stream=stream))
        async with app.run_test(size=SIZE) as pilot:
            sent = faults = 0
            batch = max(1, frames // KEY_CHECKS)
            await backend.wait_for_connection(DEADLINE_S)
            while sent < frames:
                # Two faults a batch that cost the connection: a text frame that is not UTF-8, one too big.
                await backend.break_connection(b'{"type": "pong", "x": "\xff\xfe"}', DEADLINE_S, as_text=True)
                await backend.break_connection("[" + "0," * 600_000 + "0]", DEADLINE_S)
                faults += 2
                for _ in range(min(batch, frames - sent)):
                    if len(made) < FRESH_FRAMES:
                        made.append(random_frame(rng, RUN_IDS))
                        frame = made[-1]
                    else:
                        frame = rng.choice(made)
                    assert await backend.send(frame), "the connection dropped mid-batch"
                    sent += 1
                await a_key_still_works(app, pilot)  # while the client still works through the batch
                await until(pilot, lambda sent=sent: frames_counted(app) >= sent, f"the client reads {sent} frames")
                # The detail pane shows every field of a run: the hostile ones too.
                chosen = RUN_IDS[sent // batch % len(RUN_IDS)]
                app.query_one(RunsList).select(chosen)
                await until(pilot, lambda chosen=chosen: printable(chosen) in detail(app), "the run's details shown")
                assert_screen_is_clean(app)
            print(f"{sent} hostile frames and {faults} connection faults; the client counted {app.session.counters}")
            assert frames_counted(app) == sent

            # Last, a run whose status and message are all markup and escapes: shown literally, never applied.
            await backend.wait_for_connection(DEADLINE_S)
            canary = {"status": CANARY_STATUS, "progress": 50, "details": {"message": CANARY_MESSAGE}}
            await backend.send(json.dumps({"type": "training_update", "train_id": "canary", "data": canary}))
            await until(pilot, lambda: app.session.store.ensure("canary").status == CANARY_STATUS, "the canary")
            app.query_one(RunsList).select("canary")
            await until(pilot, lambda: "[bold]CANARY[/bold]" in screen_text(app), "the canary shown")
            shown = screen_text(app)
            assert "[@click=app.quit]quit[/]" in shown and "[link=https://evil.example/]x[/link]" in shown
            assert_screen_is_clean(app)
            await a_key_still_works(app, pilot)
            assert app.is_running


@pytest.mark.timeout(300)  # hundreds of frames through a dashboard take a while on a loaded machine
async def test_five_hundred_hostile_frames_leave_the_dashboard_working_and_clean(tmp_path):
    await fuzz_the_dashboard(500, tmp_path)


@pytest.mark.soak
@pytest.mark.timeout(3600)
async def test_a_million_hostile_frames(tmp_path):
    await fuzz_the_dashboard(1_000_000, tmp_path)


def most_attempts_in(backoff: Backoff, window: float) -> int:
    """The most connection attempts the schedule allows in a window when every connection fails at once:
    each wait at its shortest (the jitter at its lowest), never reset (no connection lasts `STABLE_AFTER_S`)."""
    attempts, elapsed = 1, 0.0
    while (elapsed := elapsed + backoff.delay(attempts, rng=lambda: 0.0)) <= window:
        attempts += 1
    return attempts


def test_the_default_schedule_tries_at_most_ten_times_a_minute():
    assert most_attempts_in(Backoff(), 60.0) <= 10


async def test_a_server_that_drops_every_socket_at_once_is_not_hammered(tmp_path):
    backoff = Backoff(initial=0.05, cap=0.4)  # the default schedule, quicker: the same rules in seconds
    attempts = 12
    async with hostile_backend(drop_at_once=True) as backend:
        app = TfTuiApp(Session(client_settings(backend.url, tmp_path), backoff=backoff))
        async with app.run_test(size=SIZE) as pilot:

            def header() -> str:
                return shown_in(app, app.query_one(StatusHeader))

            def attempt_shown() -> int:
                shown = re.search(r"reconnecting in \d+ s \(attempt (\d+)\)", header())
                return int(shown.group(1)) if shown else 0

            await until(pilot, lambda: attempt_shown() > attempts, f"the header shows attempt {attempts + 1}")
            accepted = list(backend.accepted)
            assert any("the connection dropped" in entry.text for entry in app.session.events.entries)

    for failures, (before, after) in enumerate(pairwise(accepted), start=1):
        assert after - before >= backoff.delay(failures, rng=lambda: 0.0), f"attempt {failures + 1} came too soon"
    window = accepted[-1] - accepted[0]
    print(f"{len(accepted)} attempts in {window:.2f} s; the schedule allows {most_attempts_in(backoff, window)}")
    assert len(accepted) <= most_attempts_in(backoff, window)
