"""The line under the header: what the selected run's backend says of its machine (`GET /env/check`).

A backend is read when the line first shows it, then as `tf_tui/core/machine_reads.py` says: fixed figures
(the deployed backend) only again when asked (`reread`, the `r` key), live ones at a slow pace, a failure
once a minute; and a read that is due waits while the line is not on screen (a narrower terminal hides it,
or another screen is on top). Its timer rests while the backend shown has no read due at any turn (fixed
figures): an idle dashboard on the deployed backend wakes for nothing. A failed read is said on the line in
words and touches nothing else. It repaints only when its text changes, without a layout pass (one line
whatever it says).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.timer import Timer
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.environment import BoxEnvironment, describe_box, parse_environment
from tf_tui.core.machine_reads import next_read_in
from tf_tui.core.ports import BackendApi

TICK_S = 5.0  # how soon a read that is due happens once the line is on screen
# Which backend the line is about: its name (None when only one is followed) and its API.
BackendSource = Callable[[], tuple[str | None, BackendApi]]


def environment_text(backend: str | None, box: BoxEnvironment | str | None) -> Text:
    """The line for a backend's machine; `box` is what was read, the failure in words, or None before any answer."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f" {printable(backend, 20)} box: " if backend else " box: ", style="dim")
    if box is None:
        text.append("reading GET /env/check…", style="dim")
    elif isinstance(box, str):
        text.append(f"unknown ({printable(box)})", style="bold yellow")
    else:
        text.append(describe_box(box), style="bold yellow" if box.ready is False else "")
    return text


class EnvironmentLine(Static):
    DEFAULT_CSS = "EnvironmentLine { height: 1; background: $panel; }"

    def __init__(self, source: BackendSource, *, held: bool = False, id: str | None = None) -> None:
        """`held`: no read until `release` (the dashboard's first status reads go out before it)."""
        super().__init__(id=id)
        self._source = source
        self._held = held
        self._backend: str | None = None
        self._followed = False
        self._known: dict[str | None, Text] = {}  # the last line of each backend, shown at once when it is selected
        self._text: Text | None = None
        self._reading = False
        # Per backend, the turn of the timer its next read is due at; None: only when asked; absent: at once.
        self._due: dict[str | None, int | None] = {}
        self._timer: Timer | None = None
        self.ticks = 0  # turns of the timer, shown or not
        self.reads = 0  # reads finished, answered or failed

    def on_mount(self) -> None:
        self._timer = self.set_interval(TICK_S, self._tick)
        # After the first frame: the first screen is painted before any network call.
        self.call_after_refresh(self.follow)

    @property
    def shown(self) -> bool:
        """On screen: displayed (a narrow terminal hides it) on the screen in front (no dialog over it)."""
        return self.display and self.screen.is_active

    @property
    def reading(self) -> bool:
        """A read is on its way (the next one waits for it)."""
        return self._reading

    def follow(self) -> None:
        """The backend may have changed (another run was selected): its last line at once, then a read if one is due."""
        backend, _ = self._source()
        if self._followed and backend == self._backend:
            return
        self._backend, self._followed = backend, True
        self._show(self._known.get(backend) or environment_text(backend, None))
        self._read_if_due()

    def reread(self) -> None:
        """Read the machine of the backend shown again, as soon as the line is on screen (the `r` key)."""
        self._due[self._backend] = self.ticks
        self._read_if_due()

    def release(self) -> None:
        """Reads may go out from now on: the one due, at once."""
        self._held = False
        self._read_if_due()

    def _tick(self) -> None:
        self.ticks += 1
        self._read_if_due()

    def _read_if_due(self) -> None:
        due = self._due.get(self._backend, self.ticks)
        # A slow backend is not asked again before it answered.
        if due is not None and self.ticks >= due and self.shown and not self._reading and not self._held:
            self._reading = True
            self._read()
        if self._timer is not None:  # it turns while a read is due at some turn, or on its way
            if due is None and not self._reading:
                self._timer.pause()
            else:
                self._timer.resume()

    @work(group="environment", exit_on_error=False)
    async def _read(self) -> None:
        backend, api = self._source()
        box: BoxEnvironment | str
        try:
            box = parse_environment(await api.environment())
        except ApiError as error:
            box = str(error)
        finally:
            self._reading = False
        self.reads += 1
        wait = next_read_in(box if isinstance(box, BoxEnvironment) else None)
        self._due[backend] = None if wait is None else self.ticks + max(1, math.ceil(wait / TICK_S))
        text = environment_text(backend, box)
        self._known[backend] = text
        if self._source()[0] == backend:  # still the backend the line is about
            self._show(text)
        self._read_if_due()  # none is due before the next turn: whether the timer rests

    def _show(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.update(text, layout=False)
