"""The terminal app. For now a first screen that checks the backend answers; the dashboard follows."""

from __future__ import annotations

import httpx
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class TfTuiApp(App[None]):
    TITLE = "tf-tui"
    BINDINGS = [("q", "quit", "Quit")]  # noqa: RUF012 - Textual's own declaration style

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.sub_title = url

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Connecting to {self.url} ..."), id="backend")
        yield Footer()

    def on_mount(self) -> None:
        self.check_backend()

    @work(exclusive=True, group="backend-check")
    async def check_backend(self) -> None:
        status = self.query_one("#backend", Static)
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=httpx.Timeout(5.0, connect=2.0)) as client:
                health = (await client.get("/health")).json()
                models = (await client.get("/models/list")).json().get("models", [])
        except (httpx.HTTPError, ValueError) as error:
            status.update(Text(f"{self.url} does not answer: {error}"))
            return
        # Server text is shown literally: Text() never interprets markup.
        status.update(
            Text(
                f"{health.get('service', 'backend')} at {self.url} is {health.get('status')}; "
                f"it trains {len(models)} model sizes. The live dashboard comes next."
            )
        )
