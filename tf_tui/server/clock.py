"""Timestamps as the server writes them: ISO 8601 local time, with the zone offset."""

from __future__ import annotations

from datetime import datetime


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")
