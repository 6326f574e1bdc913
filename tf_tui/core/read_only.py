"""Read-only: a backend whose runs tf-tui only watches (`--read-only`, `read_only = true` in the config, for
every backend or in one's `[[backends]]` entry). Nothing that changes a backend is offered or sent: no start,
no stop, no evaluation, no publishing, no upload. What is refused is said in the same words everywhere."""

from __future__ import annotations

from tf_tui.base.text import printable

HOW = "--read-only, or read_only = true in the config file"


def refusal(what: str, backend: str | None = None) -> str:
    """Why `what` (`start`, `stop`, ...) is off, in a sentence; `backend` when only that backend is read-only."""
    where = "Read-only" if backend is None else f"Read-only backend {printable(backend, 40)}"
    return f"{where}: {what} is off ({HOW})."
