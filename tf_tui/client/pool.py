"""A pool of kept-alive HTTP connections that can be renewed, for a backend that drops connections without a word.

The deployed backend answers a stop with a 500 and then drops that connection without telling the client,
which keeps it in its pool; the next request sent over it fails ("Server disconnected without sending a
response") though the server is healthy. httpx cannot be told to forget one connection, so the whole
pool is renewed instead: later requests go over a new client, and the old one is closed as soon as the
requests still going over it are done (closing it at once would break them). Renewals are rare (a 5xx,
a broken connection), and a new pool costs only new connections.

The first client is made at the first request: making one imports httpx, which the dashboard's first
screen does not wait for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class RenewablePool:
    def __init__(self, make_client: Callable[[], httpx.AsyncClient]) -> None:
        self._make_client = make_client
        self._client: httpx.AsyncClient | None = None  # made at the first request
        self._in_flight: Counter[httpx.AsyncClient] = Counter()
        self._retired: set[httpx.AsyncClient] = set()  # renewed away from, still carrying requests

    async def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The answer, its body read, over the current client's connections."""
        if self._client is None:
            self._client = self._make_client()
        client = self._client
        self._in_flight[client] += 1
        try:
            return await client.request(method, path, **options)
        finally:
            self._in_flight[client] -= 1
            if client in self._retired and not self._in_flight[client]:
                await self._close(client)

    async def renew(self) -> None:
        """Later requests go over new connections; the old ones are closed once nothing goes over them."""
        old, self._client = self._client, self._make_client()
        if old is None:
            return
        if self._in_flight[old]:
            self._retired.add(old)
        else:
            await self._close(old)

    async def aclose(self) -> None:
        current = () if self._client is None else (self._client,)
        for client in (*current, *self._retired):
            await self._close(client)

    async def _close(self, client: httpx.AsyncClient) -> None:
        self._retired.discard(client)
        del self._in_flight[client]
        await client.aclose()
