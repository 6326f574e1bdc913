"""The App's overrides of Textual's private methods, in the one class the dashboard's App inherits.

Textual's updates go to the terminal as the cells that changed (`terminal_diff`), a crash is told to the
app before Textual reports it, and the app can write an escape sequence to the terminal. Each goes
Textual's own way when `reaches` finds, at start, that what it overrides or reads is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual import on
from textual.app import App
from textual.driver import Driver
from textual.events import Mount
from textual.screen import Screen

from tf_tui.ui.paint.reaches import Feature, check

if TYPE_CHECKING:
    from tf_tui.ui.paint.terminal_diff import ScreenCopy


class PaintedApp(App[None]):
    """An App whose reaches into Textual's private API are checked when it is made: `paint_features` holds what
    they make possible."""

    def __init__(self) -> None:
        super().__init__()
        self.paint_features = check(self)
        self._screen_copy: ScreenCopy | None = None
        if Feature.CHANGED_CELLS in self.paint_features:
            # Only now: the screen copy's updates are Textual's private update classes, which may be gone.
            from tf_tui.ui.paint import terminal_diff

            self._screen_copy = terminal_diff.ScreenCopy()

    @on(Mount)
    def _forget_the_terminal_after_a_suspend(self) -> None:
        # Back from a suspend, the terminal shows the shell's screen, and Textual repaints it all.
        copy = self._screen_copy
        if copy is not None:
            self.app_resume_signal.subscribe(self, lambda app: copy.forget())

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        # Overrides textual.app.App._display (checked: Textual 8.2.0 and 8.2.8), which writes each of
        # Textual's updates to the terminal: it is given the changed cells of the update instead.
        copy = self._screen_copy
        if copy is not None and not self.is_headless and not self.is_inline:
            renderable = copy.narrow(renderable, self.size)
        super()._display(screen, renderable)

    def _handle_exception(self, error: Exception) -> None:
        # Overrides textual.app.App._handle_exception (checked: Textual 8.2.0 and 8.2.8), which Textual
        # calls with the exception that ends the app, and which reports it.
        self.crashing(error)
        super()._handle_exception(error)

    def crashing(self, error: Exception) -> None:
        """Called with the exception that ends the app, before Textual's own report of it."""

    def write_to_terminal(self, sequence: str) -> None:
        """Write an escape sequence to the terminal as Textual writes its own; nothing when the app has no
        terminal yet (or Textual no longer keeps its driver where it did)."""
        # Reads textual.app.App._driver, as textual.app.App.bell writes the bell (checked: Textual 8.2.0 and 8.2.8).
        driver: Driver | None = getattr(self, "_driver", None)
        if driver is not None:
            driver.write(sequence)
