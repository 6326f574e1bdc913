"""Textual's Footer, without its leak (Textualize/textual#6666, open in Textual 8.2.8), and without a rebuild
when only whether its keys can act changed.

The Footer recomposes on every `refresh_bindings()`, which the dashboard calls when the keys that depend on
the selected run change, and binds each new FooterKey to its own `compact` (`data_bind`). The binding is a
watcher kept on the Footer, and Textual forgets the watchers of removed widgets only when the watched value
changes, which `compact` never does here: every recompose kept its nine dead FooterKeys (about 16 KiB each)
alive for good, megabytes an hour in a dashboard left open on a busy backend.

A recompose unmounts every key and mounts new ones, and lays the screen out: 10 to 50 ms, on the key's path
when the cursor moves from a run that can be stopped to one that cannot. When the footer is to show the
same keys, only dimmed or lit otherwise, they are dimmed and lit where they are.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.paint.footer_keys import Shown, relight
from tf_tui.ui.paint.reaches import Feature
from tf_tui.ui.paint.watchers import forget_closed_watchers


class LeakFreeFooter(Footer):
    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not self._lit_in_place(screen):
            super().bindings_changed(screen)

    def _lit_in_place(self, screen: Screen[Any]) -> bool:
        """Whether the footer's keys are the keys to show, now dimmed or lit as they are to be."""
        app = self.app
        if not (isinstance(app, PaintedApp) and Feature.FOOTER_IN_PLACE in app.paint_features):
            return False
        if not (app.app_focus and self.is_attached and screen is self.screen):
            return False  # Textual's own way: nothing until the app has the focus again
        wanted = self._keys_to_show(screen)
        return wanted is not None and relight(self, wanted)

    def _keys_to_show(self, screen: Screen[Any]) -> list[tuple[Shown, bool]] | None:
        """The keys `Footer.compose` would show now, in their order, and whether each can act: the first
        binding of each action shown. None when it would show more than plain keys (grouped keys, the
        palette's key), which are left to a rebuild."""
        if self.show_command_palette:
            return None
        first: dict[str, tuple[Shown, bool]] = {}
        for _, binding, enabled, tooltip in screen.active_bindings.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            written = self.app.get_key_display(binding)
            shown = (binding.key, written, binding.description, binding.action, tooltip or None)
            first.setdefault(binding.action, (shown, enabled))
        return list(first.values())

    async def recompose(self) -> None:
        await super().recompose()
        forget_closed_watchers(self)
