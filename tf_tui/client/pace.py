"""MessagePace: socket messages sent in batches, a bounded number per window of time. No I/O of its own.

The backend's subscribe message names one run (`subscribe_training` has one `train_id`), and its socket
answers every one with a confirmation. Following thousands of runs, or coming back after a reconnect to
them, sent thousands of messages in one go, and the server's confirmations then held up the frames behind
them. So at most `SUBSCRIBE_BATCH` subscriptions go out together; the next batch waits for the next
`SUBSCRIBE_WINDOW_S`. A few runs' subscriptions, the everyday case, never wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

SUBSCRIBE_BATCH = 100
SUBSCRIBE_WINDOW_S = 0.1

Sleep = Callable[[float], Awaitable[None]]


class MessagePace:
    """Owns how many messages went out in the current window; `wait` before each message holds back the
    one past the batch until the window is over."""

    def __init__(
        self,
        batch: int = SUBSCRIBE_BATCH,
        window_s: float = SUBSCRIBE_WINDOW_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.batch = batch
        self.window_s = window_s
        self._clock = clock
        self._sleep = sleep
        self._window_began = float("-inf")
        self._sent = 0
        self._turn = asyncio.Lock()  # the stream's open and a watch can both be sending: one count for both

    async def wait(self) -> None:
        """Return when one more message may go: at once while the window has room, else when the next begins."""
        async with self._turn:
            now = self._clock()
            if now - self._window_began >= self.window_s:
                self._window_began, self._sent = now, 0
            elif self._sent >= self.batch:
                await self._sleep(self._window_began + self.window_s - now)
                self._window_began, self._sent = max(self._clock(), self._window_began + self.window_s), 0
            self._sent += 1
