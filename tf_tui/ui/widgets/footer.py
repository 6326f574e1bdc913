"""Textual's Footer without its leak (Textualize/textual#6666, open in Textual 8.2.8).

The Footer recomposes on every `refresh_bindings()`, which the dashboard calls at each repaint, and binds
each new FooterKey to its own `compact` (`data_bind`). The binding is a watcher kept on the Footer, and
Textual forgets the watchers of removed widgets only when the watched value changes, which `compact`
never does here: every recompose kept its nine dead FooterKeys (about 16 KiB each) alive for good,
megabytes an hour in a dashboard left open on a busy backend.
"""

from __future__ import annotations

from textual.widgets import Footer

from tf_tui.ui.paint.watchers import forget_closed_watchers


class LeakFreeFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)
