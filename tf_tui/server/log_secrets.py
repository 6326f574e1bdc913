"""Secrets kept out of the server's log, at every level: at `--log-level debug` the WebSocket handshake's
headers are logged, `authorization: Bearer ...` among them, and at `trace` every request's headers."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import uvicorn.config

MASK = "***"
# A bearer credential in any shape a logger prints it: a header line, a repr of header pairs, a dict.
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s'\",;)\]}]+")


class SecretMask(logging.Filter):
    """Rewrites a record so that no bearer credential, and not the server's own token, is printed."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self._token = token or None

    def mask(self, text: str) -> str:
        text = _BEARER.sub(rf"\1 {MASK}", text)
        return text.replace(self._token, MASK) if self._token else text

    def filter(self, record: logging.LogRecord) -> bool:
        # Argument by argument, so that a formatter that reads them (uvicorn's access lines) still can.
        if isinstance(record.msg, str):
            record.msg = self.mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._masked(argument) for argument in record.args)
        message = record.getMessage()
        if self.mask(message) != message:  # a secret split across arguments: the message as one text
            record.msg, record.args = self.mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
        return True

    def _masked(self, argument: object) -> object:
        text = argument.decode(errors="replace") if isinstance(argument, bytes) else str(argument)
        masked = self.mask(text)
        return argument if masked == text else masked


def logging_config(token: str | None) -> dict[str, Any]:
    """uvicorn's logging, every handler behind a SecretMask; records of other libraries (and the
    server's own, `tf_tui.*`) go to the same handler, behind the same mask."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"secrets": {"()": SecretMask, "token": token}}
    for handler in config["handlers"].values():
        handler["filters"] = ["secrets"]
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    config["loggers"]["tf_tui"] = {"level": "INFO"}
    return config
