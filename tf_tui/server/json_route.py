"""The routes' JSON bodies, read by `tf_tui.server.json_input` instead of Python's bare decoder: what it
refuses becomes FastAPI's own 422 `json_invalid` error, in the contract's `detail` list."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from tf_tui.server.json_input import JsonInputError, parse_json

# A bigger body is parsed in a worker thread: the event loop keeps serving the sockets meanwhile.
INLINE_PARSE_BYTES = 64 * 1024


class CheckedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise json.JSONDecodeError("the body is not UTF-8 text", "", error.start) from None
            try:
                self._json = (
                    parse_json(text) if len(body) <= INLINE_PARSE_BYTES else await asyncio.to_thread(parse_json, text)
                )
            except JsonInputError as error:
                # The one error FastAPI turns into a 422 (any other is a bare 400 that says nothing).
                raise json.JSONDecodeError(str(error), text, error.position) from None
        return self._json


class CheckedJsonRoute(APIRoute):
    """A route whose JSON body is read by `CheckedJsonRequest`: every router of the server makes its routes so."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            return await handler(CheckedJsonRequest(request.scope, request.receive))

        return checked
