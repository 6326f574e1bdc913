"""The line under the header: what the selected run's backend says of its machine (`GET /env/check`).

It reads the backend every few seconds only while it is on screen: not while a narrower terminal hides
it, nor while another screen is on top; once a minute while the URL is not Talent Factory at all. A failed
read is said on the line in words and touches nothing else. It repaints only when its text changes,
without a layout pass (one line whatever it says).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.widgets import Static

from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotTalentFactory
from tf_tui.client.recognition import NOT_TALENT_FACTORY_RETRY_S
from tf_tui.core.environment import BoxEnvironment, describe_box, parse_environment
from tf_tui.core.ports import BackendApi

REFRESH_S = 5.0
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

    def __init__(self, source: BackendSource, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._source = source
        self._backend: str | None = None
        self._followed = False
        self._known: dict[str | None, Text] = {}  # the last line of each backend, shown at once when it is selected
        self._text: Text | None = None
        self._reading = False
        self._resting = 0  # turns of the refresh timer left without a read
        self.ticks = 0  # turns of the refresh timer, shown or not
        self.reads = 0  # reads finished, answered or failed

    def on_mount(self) -> None:
        self.set_interval(REFRESH_S, self._tick)
        self.follow()

    @property
    def shown(self) -> bool:
        """On screen: displayed (a narrow terminal hides it) on the screen in front (no dialog over it)."""
        return self.display and self.screen.is_active

    @property
    def reading(self) -> bool:
        """A read is on its way (the next one waits for it)."""
        return self._reading

    def follow(self) -> None:
        """The backend may have changed (another run was selected): its last line at once, then a read."""
        backend, _ = self._source()
        if self._followed and backend == self._backend:
            return
        self._backend, self._followed = backend, True
        self._show(self._known.get(backend) or environment_text(backend, None))
        self._read_if_shown()

    def _tick(self) -> None:
        self.ticks += 1
        if self._resting:
            self._resting -= 1
        else:
            self._read_if_shown()

    def _read_if_shown(self) -> None:
        if self.shown and not self._reading:  # a slow backend is not asked again before it answered
            self._reading = True
            self._read()

    @work(group="environment", exit_on_error=False)
    async def _read(self) -> None:
        backend, api = self._source()
        try:
            box: BoxEnvironment | str = parse_environment(await api.environment())
        except NotTalentFactory as error:
            box = str(error)
            self._resting = round(NOT_TALENT_FACTORY_RETRY_S / REFRESH_S) - 1
        except ApiError as error:
            box = str(error)
        finally:
            self._reading = False
        self.reads += 1
        text = environment_text(backend, box)
        self._known[backend] = text
        if self._source()[0] == backend:  # still the backend the line is about
            self._show(text)

    def _show(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.update(text, layout=False)
