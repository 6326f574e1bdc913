"""Textual's Footer without its leak (Textualize/textual#6666, open in Textual 8.2.8).

The Footer recomposes on every `refresh_bindings()`, which the dashboard calls at each repaint, and binds
each new FooterKey to its own `compact` (`data_bind`). The binding is a watcher kept on the Footer, and
Textual forgets the watchers of removed widgets only when the watched value changes, which `compact`
never does here: every recompose kept its nine dead FooterKeys (about 16 KiB each) alive for good,
megabytes an hour in a dashboard left open on a busy backend.
"""

from __future__ import annotations

from typing import Any

from textual.dom import DOMNode
from textual.widgets import Footer


class LeakFreeFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)


def forget_closed_watchers(observed: DOMNode) -> None:
    """Drop the watchers that removed widgets keep on `observed`, by Textual's own rule (a closing widget's
    watcher is never called again), without waiting for the watched value to change."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(observed, "__watchers", {})
    for entries in watchers.values():
        entries[:] = [(watcher, callback) for watcher, callback in entries if not watcher._closing]
