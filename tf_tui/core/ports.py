"""What a Session needs from outside it, as small Protocols: the backend's HTTP API, the update stream
and a clock.

The real ones (`TalentFactoryApi`, `UpdateStream`, `time.time`) are `Session`'s defaults; the
screenshots' demo and the tests hand in their own through the constructor instead of swapping a
session's attributes after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tf_tui.base.protocol import Event
from tf_tui.client.api import LogChunk
from tf_tui.client.stream import ConnectionState


class Clock(Protocol):
    """Seconds since the epoch, as `time.time` gives them."""

    def __call__(self) -> float: ...


class BackendApi(Protocol):
    """The backend's HTTP API, as `TalentFactoryApi` speaks it. Every call raises `ApiError` (or a
    subclass) for what the server or the network did wrong."""

    async def aclose(self) -> None: ...

    async def health(self) -> dict[str, Any]: ...

    async def models(self) -> list[dict[str, Any]]: ...

    async def datasets(self) -> list[dict[str, Any]]: ...

    async def ingest(
        self, paths: Sequence[Path], name: str | None, on_progress: Callable[[int, int], None]
    ) -> dict[str, Any]: ...

    async def start(
        self, base_model: str, dataset_ids: list[str], params: dict[str, Any], outcome: str
    ) -> dict[str, Any]: ...

    async def status(self, train_id: str) -> dict[str, Any]: ...

    async def stop(self, train_id: str) -> dict[str, Any]: ...

    async def metrics(self, train_id: str, after_step: int | None = None) -> dict[str, Any]: ...

    async def active(self) -> list[str]: ...

    async def dashboard(self) -> dict[str, Any]: ...

    async def log(self, train_id: str, offset: int) -> LogChunk: ...

    async def environment(self) -> dict[str, Any]: ...

    async def evaluate(self, talent_id: str, test_dataset_id: str | None = None) -> dict[str, Any]: ...

    async def evaluation(self, train_id: str) -> dict[str, Any]: ...

    async def publish(
        self,
        talent_id: str,
        name: str,
        category: str,
        version: str,
        model_path: str,
        metrics: dict[str, float] | None = None,
    ) -> dict[str, Any]: ...

    async def talents(self) -> list[dict[str, Any]]: ...

    async def try_talent(self, talent_id: str, test_input: str) -> dict[str, Any]: ...


class Stream(Protocol):
    """The update stream, as `UpdateStream` is one: keeps the watched runs subscribed while it runs."""

    @property
    def state(self) -> ConnectionState: ...

    @property
    def live(self) -> bool: ...

    @property
    def watched(self) -> Mapping[str, None]: ...  # in watch order

    async def subscribe(self, train_id: str) -> None: ...

    async def unsubscribe(self, train_id: str) -> None: ...

    async def run(self) -> None: ...


class StreamFactory(Protocol):
    """Makes a session's stream, wired to the session's handlers: each parsed frame (`on_event`), each
    connection state (`on_state`), each open with the runs it subscribed (`on_open`)."""

    def __call__(
        self,
        *,
        on_event: Callable[[Event], None],
        on_state: Callable[[ConnectionState], None],
        on_open: Callable[[list[str]], None],
    ) -> Stream: ...
