"""A bare Textual app, one line of text: the floor for "time to the first frame" on this machine."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

READY = "bare textual app ready"


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(READY)


if __name__ == "__main__":
    BareApp().run()
