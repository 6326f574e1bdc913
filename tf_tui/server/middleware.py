"""The bearer token, checked before FastAPI reads a request body."""

from __future__ import annotations

import secrets

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

OPEN_PATHS = frozenset({"/health"})
WS_POLICY_VIOLATION = 1008


class BearerTokenMiddleware:
    """Every route but /health needs `Authorization: Bearer TOKEN`: 401 over HTTP, a refused handshake
    (HTTP 403) on the WebSocket. It answers before any body is read, so an anonymous client cannot make
    the server read or store anything."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS or self._authorized(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await WebSocketClose(code=WS_POLICY_VIOLATION)(scope, receive, send)
        else:
            response = JSONResponse(
                {"detail": "Missing or wrong bearer token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        given = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, credentials = given.partition(b" ")
        # The scheme is case-insensitive (RFC 9110, 11.1): `bearer` is as good as `Bearer`. The token is not.
        return scheme.lower() == b"bearer" and secrets.compare_digest(credentials.strip(b" "), self._token)
