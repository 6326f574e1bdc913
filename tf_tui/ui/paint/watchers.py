"""The watchers Textual keeps on a node for other nodes, dropped once those nodes are gone."""

from __future__ import annotations

from typing import Any

from textual.dom import DOMNode


def forget_closed_watchers(observed: DOMNode) -> None:
    """Drop the watchers that removed widgets keep on `observed`, by Textual's own rule (a closing widget's
    watcher is never called again), without waiting for the watched value to change. Nothing is dropped
    when Textual no longer keeps them where it did (`reaches` says so at start)."""
    # Mirrors textual.reactive.Reactive._check_watchers, which prunes the same lists when the value changes:
    # those textual.reactive._watch keeps in the node's `__watchers`, each watcher's MessagePump._closing
    # deciding (checked: Textual 8.2.0 and 8.2.8).
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(observed, "__watchers", {})
    for entries in watchers.values():
        entries[:] = [(watcher, callback) for watcher, callback in entries if not getattr(watcher, "_closing", False)]
