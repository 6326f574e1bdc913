"""The event log records what happened, once: a run's end in one line whichever report brings it first, and
a server event by the name the server gave it, when the server sent it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import ENDLESS_PARAMS, SHORT_PARAMS, api_client, until
from tests.core.test_session_seams import held_session
from tf_tui.base.protocol import RunUpdate
from tf_tui.core.session import Session


def shown_lines(session: Session, train_id: str, words: str) -> list[str]:
    """The lines the event log shows (without the per-update ones) that name the run and say `words`."""
    return [
        entry.text for entry in session.events.shown(updates=False) if train_id in entry.text and words in entry.text
    ]


def heard(session: Session, text: str) -> bool:
    """Whether any line of the log, the per-update ones too, says `text`."""
    return any(text in entry.text for entry in session.events.entries)


def queue_told_after(session: Session, text: str) -> bool:
    """Whether the server told its queue after the first line that says `text`: the reference server tells
    it after all it sends of a run's end, so every frame of that end has been read by then."""
    entries = session.events.entries
    said = [entry.sequence for entry in entries if text in entry.text]
    return bool(said) and any(
        entry.sequence > said[0] and entry.text == "server event: training_queue" for entry in entries
    )


async def test_a_stop_is_recorded_once_though_its_reply_its_last_update_and_its_announcement_each_tell_it(
    server, make_session
):
    session = make_session(server.url)
    await session.open(follow_all=True)  # as the dashboard: every run, and the server's announcements
    try:
        train_id = (await session.start("tiny", ["builtin-arithmetic"], params=ENDLESS_PARAMS)).train_id
        await until(lambda: session.store.runs[train_id].step is not None, what="the run trains")
        assert (await session.stop(train_id)).stopped
        await until(lambda: queue_told_after(session, f"{train_id} ended"), what="every frame of the end")
        await until(lambda: train_id not in session.watched, what="the run is no longer watched")
        assert shown_lines(session, train_id, "ended") == [f"{train_id} ended: stopped"]
    finally:
        await session.close()


async def test_talent_published_is_shown_when_a_run_is_published_and_never_when_it_only_completed(server, make_session):
    session = make_session(server.url)
    await session.open(follow_all=True)
    try:
        train_id = (await session.start("tiny", ["builtin-arithmetic"], params=SHORT_PARAMS)).train_id
        await until(lambda: queue_told_after(session, f"{train_id} ended"), what="every frame of the end")
        assert shown_lines(session, train_id, "ended") == [f"{train_id} ended: completed"]
        assert not heard(session, "talent_published")  # it completed; nothing was published
        async with api_client(server.url) as http:
            reply = await http.post("/talents/publish", json={"id": train_id, "name": "n", "category": "general"})
            assert reply.status_code == 200, reply.text
        await until(lambda: heard(session, "server event: talent_published"), what="the publication")
        published = [entry.text for entry in session.events.entries if "talent_published" in entry.text]
        assert published == ["server event: talent_published"]  # once: when it was published
    finally:
        await session.close()


class StoppingApi:
    """A run in training, and a stop the server confirms after its stream has already told the end."""

    def __init__(self) -> None:
        self.before_reply: Callable[[], None] = lambda: None

    async def status(self, train_id: str) -> dict[str, Any]:
        return {"status": "training", "progress": 3}

    async def metrics(self, train_id: str, after_step: int | None = None) -> dict[str, Any]:
        return {"train_id": train_id, "points": [], "downsampled": False}

    async def stop(self, train_id: str) -> dict[str, Any]:
        self.before_reply()
        return {"status": "stopped", "progress": 3}

    async def aclose(self) -> None:
        pass


async def test_a_stop_reply_after_the_runs_last_update_adds_no_second_end(tmp_path):
    """The stream's last update can come before the reply to the stop that caused it: the end is said once."""
    api = StoppingApi()
    session, stream = held_session(tmp_path, api=api)
    await session.watch(["r1"])
    api.before_reply = lambda: stream.on_event(RunUpdate("r1", "stopped", 3))
    assert (await session.stop("r1")).stopped
    assert shown_lines(session, "r1", "ended") == ["r1 ended: stopped"]
    await session.close()
