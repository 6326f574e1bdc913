"""The `--local` backend: tf-tui's own reference server, known by its URL like any other backend.

Its URL changes when it is started again (a free port each time), so what tf-tui keeps of it, filed by
URL (the state file's runs, what is known of them, the start dialog's and the view's choices), moves to
the new URL; and a session whose server is gone (killed, crashed) finds the one another launch started,
or starts one, and follows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from tf_tui.common.atomic_file import exclusive_lock
from tf_tui.common.server_address import read_address
from tf_tui.core.config import Backend, LocalServer, Settings, url_name
from tf_tui.core.eventlog import EventLog, Kind
from tf_tui.core.local_server import LAUNCH_LOCK_FILE, Attached, ServerStartError, attach_or_start, process_alive
from tf_tui.core.run_memory import move_run_memory, run_memory_path
from tf_tui.core.start_choices import StartChoicesFile, start_choices_path
from tf_tui.core.state import StateFile
from tf_tui.core.view_choices import ViewChoicesFile, view_choices_path


def local_settings(settings: Settings, data_dir: Path) -> Settings:
    """`settings` for the local server of `data_dir`, found or started; raises `ServerStartError`."""
    attached = attach_or_start(data_dir)
    if attached.previous_url is not None:
        move_memory(StateFile(settings.state_file), settings, attached.previous_url, attached.address.url)
    address = attached.address
    local = LocalServer(data_dir, address.instance)
    backend = Backend(url_name(address.url), address.url, local=local, read_only=settings.read_only)
    return replace(settings, url=address.url, token=None, backends=(backend,))


def move_memory(state: StateFile, settings: Settings, old_url: str, new_url: str) -> None:
    """What tf-tui keeps of the backend at `old_url` is now of `new_url`'s."""
    state.move(old_url, new_url)
    move_run_memory(run_memory_path(settings.state_file), old_url, new_url)
    StartChoicesFile(start_choices_path(settings)).move(old_url, new_url)
    ViewChoicesFile(view_choices_path(settings)).move(old_url, new_url)


class LocalServerStopped(ServerStartError):
    """The server was stopped on purpose (`serve --stop`): not brought back against its user's word."""


def find_again(local: LocalServer) -> Attached | None:
    """The local server to follow instead of `local`'s, found or started; None while that one still runs
    (frozen or busy, it is waited for and never replaced). Blocking: it may start a server."""
    # Read under the launch lock: a launcher replacing a dead server's record with a new one holds it.
    with exclusive_lock(local.data_dir / LAUNCH_LOCK_FILE):
        recorded = read_address(local.data_dir)
    if recorded is None:  # a killed server cannot remove its address file: this one was stopped
        raise LocalServerStopped("it was stopped; `tf-tui --local` elsewhere starts it again, and this one follows")
    if recorded.instance == local.instance and process_alive(recorded.pid):
        return None
    return attach_or_start(local.data_dir)


class LocalServerKeeper:
    """Checks, each time the session's socket fails to reconnect, whether its local server is gone; if so,
    finds or starts the next one, says so in the event log and hands it to `follow`."""

    def __init__(
        self,
        local: LocalServer,
        follow: Callable[[Backend], Awaitable[None]],
        events: EventLog,
        spawn: Callable[[Coroutine[Any, Any, None], str], None],
    ) -> None:
        self._local = local
        self._follow = follow
        self._events = events
        self._spawn = spawn
        self._checking = False
        self._trouble: str | None = None  # the last reason no server could be followed: said once

    def check_soon(self, backend: Backend) -> None:
        """Check in the background for `backend`, unless a check is going already."""
        if not self._checking:
            self._checking = True
            self._spawn(self._check(backend), "find the local server")

    async def _check(self, backend: Backend) -> None:
        try:
            await self._find_and_follow(backend)
        finally:
            self._checking = False

    async def _find_and_follow(self, backend: Backend) -> None:
        try:
            found = await asyncio.to_thread(find_again, self._local)
        except ServerStartError as error:
            if str(error) != self._trouble:
                self._trouble = str(error)
                self._events.add(f"the local server at {backend.url} is gone: {error}", logging.WARNING)
            return
        if found is None or found.address.instance == self._local.instance:
            return
        self._trouble = None
        address = found.address
        self._local = LocalServer(self._local.data_dir, address.instance)
        how = "started again" if found.started else "started by another tf-tui"
        self._events.add(
            f"the local server at {backend.url} is gone; now {address.url} (pid {address.pid}, {how})",
            logging.WARNING,
            Kind.CONNECTION,
        )
        await self._follow(replace(backend, url=address.url, local=self._local))
