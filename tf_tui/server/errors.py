"""How the server says no: 422s in FastAPI's `detail` list shape, and 503s in words for data the server
cannot store, instead of a 500 with a traceback and a dropped connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def unprocessable(location: tuple[str | int, ...], message: str) -> HTTPException:
    """A 422 for one field, shaped as FastAPI's own validation errors, so that a client reads every 422 alike."""
    return HTTPException(422, [field_error(location, message)])


def field_error(location: tuple[str | int, ...], message: str) -> dict[str, Any]:
    return {"type": "value_error", "loc": list(location), "msg": message}


async def validation_failed(request: Request, error: Exception) -> JSONResponse:
    """FastAPI's 422, with the reason of a `json_invalid` error in its `msg` (FastAPI's own says only
    "JSON decode error", and a client shows the `msg`)."""
    assert isinstance(error, RequestValidationError)
    errors = [_worded(item) for item in error.errors()]
    # A body that is not JSON is echoed as its bytes, which need not be UTF-8 (FastAPI's own handler fails on them).
    shown = jsonable_encoder(errors, custom_encoder={bytes: lambda data: data.decode("utf-8", "replace")})
    return JSONResponse({"detail": shown}, status_code=422)


async def storage_failed(request: Request, error: Exception) -> JSONResponse:
    """A route that could not read or write the server's data (a full disk, most likely)."""
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return JSONResponse({"detail": f"The server could not store or read its data: {reason}"}, status_code=503)


EXCEPTION_HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    RequestValidationError: validation_failed,
    sqlite3.Error: storage_failed,
    OSError: storage_failed,
}


def _worded(error: Any) -> Any:
    reason = error.get("ctx", {}).get("error") if error.get("type") == "json_invalid" else None
    return {**error, "msg": f"Invalid JSON: {reason}"} if isinstance(reason, str) else error
