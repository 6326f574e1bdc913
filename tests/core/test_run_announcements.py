"""Runs started anywhere reach an open session at once: the reference server announces them on every socket,
and the state file tells of runs other tf-tui processes record. Against the real reference server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from tests.conftest import ListingCounter, open_socket, receive_until, until
from tf_tui.client.stream import Phase
from tf_tui.core.session import Session
from tf_tui.core.state import StateFile


@asynccontextmanager
async def opened(session: Session, *, follow_all: bool) -> AsyncIterator[ListingCounter]:
    """The session open and its socket live (an announcement sent before then is not seen, by design)."""
    counter = ListingCounter(session.api)
    session.api = counter
    try:
        await session.open(follow_all=follow_all)
        await until(lambda: session.stream.live, what="the socket is live")
        yield counter
    finally:
        await session.close()


def is_announcement(event: str, train_id: str) -> Callable[[dict[str, Any]], bool]:
    def matches(frame: dict[str, Any]) -> bool:
        data = frame.get("data") or {}
        return frame["type"] == "system_update" and data.get("event") == event and data.get("train_id") == train_id

    return matches


async def test_the_server_announces_a_run_on_every_socket_when_it_starts_and_ends(server, http, endless_run):
    async with open_socket(server.url) as socket:  # subscribed to nothing
        train_id = await endless_run()
        started = (await receive_until(socket, is_announcement("training_started", train_id)))[-1]
        assert started["data"]["base_model"] == "tiny" and started["data"]["status"] in ("starting", "queued")
        assert started["timestamp"]
        assert (await http.post(f"/train/stop/{train_id}")).status_code == 200
        ended = (await receive_until(socket, is_announcement("training_ended", train_id)))[-1]
        assert ended["data"] == {
            "event": "training_ended",
            "train_id": train_id,
            "base_model": "tiny",
            "status": "stopped",
        }


async def test_a_following_session_watches_a_run_another_client_started_without_a_listing(
    server, endless_run, make_session
):
    session = make_session(server.url)
    async with opened(session, follow_all=True) as api:
        train_id = await endless_run()  # started over plain HTTP: no tf-tui knows of it
        await until(lambda: train_id in session.watched, what="the announced run is watched")
        await until(lambda: session.store.runs[train_id].status is not None, what="its status is read")
        assert session.store.runs[train_id].base_model == "tiny"
        assert session.state.active(session.state_key) == [train_id]  # remembered like any watched run
        assert api.listings == 0


async def test_an_ended_announcement_records_the_final_status_of_an_unwatched_run(
    server, http, endless_run, make_session
):
    train_id = await endless_run()  # before the session opens: it is neither announced to it nor watched
    session = make_session(server.url)
    async with opened(session, follow_all=True) as api:
        assert train_id not in session.watched
        assert (await http.post(f"/train/stop/{train_id}")).status_code == 200
        await until(lambda: train_id in session.store.runs and session.store.runs[train_id].ended, what="it ended")
        assert session.store.runs[train_id].status == "stopped"
        assert train_id not in session.watched and api.listings == 0


async def test_a_session_that_follows_only_its_runs_leaves_announced_runs_alone(server, endless_run, make_session):
    mine, other = make_session(server.url), make_session(server.url)
    async with opened(mine, follow_all=False), opened(other, follow_all=True):
        train_id = await endless_run()
        await until(lambda: train_id in other.watched, what="the following session took the announcement")
        assert train_id not in mine.store.runs and mine.watched == []


async def test_a_run_another_process_records_in_the_state_file_is_watched(server, endless_run, make_session, tmp_path):
    train_id = await endless_run()  # before the session opens: no announcement can tell it of the run
    session = make_session(server.url)
    async with opened(session, follow_all=True) as api:
        session.state.path.write_text("{ torn")  # another writer's garbage: said, never fatal
        # Read from the event log, not state.problem: a run another test starts on the shared server is
        # announced, watched and recorded, and that write sets the torn file aside and clears the problem.
        torn = f"the state file {session.state.path} is not JSON"
        await until(lambda: any(torn in entry.text for entry in session.events.entries), what="the torn file said")
        StateFile(session.state.path).add(session.state_key, train_id)  # what a headless `start` does
        await until(lambda: train_id in session.watched, what="the recorded run is watched")
        assert api.listings == 0
        assert session.connection.phase is Phase.LIVE  # the watcher's trouble did not cost the session
