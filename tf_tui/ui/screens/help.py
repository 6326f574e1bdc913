"""Every key, read from the app's own BINDINGS: the help cannot drift from what the keys do."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Static


def declared_bindings(node_class: type[DOMNode]) -> list[Binding]:
    """The BINDINGS of a class and of its bases, the class's own first."""
    return [
        binding
        for cls in node_class.__mro__
        for binding in cls.__dict__.get("BINDINGS", ())
        if isinstance(binding, Binding)
    ]


def key_rows(bindings: list[Binding]) -> list[tuple[str, str]]:
    """(keys, meaning) per action, in the order declared. The meaning is the binding's tooltip: a
    binding without one (or a system one) is internal and not listed."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        if not binding.tooltip or binding.system:
            continue
        keys, _ = rows.setdefault(binding.action, ([], binding.tooltip))
        keys.extend(name for name in key_names(binding) if name not in keys)
    return [("  ".join(keys), meaning) for keys, meaning in rows.values()]


def markdown_key_table(rows: list[tuple[str, str]]) -> str:
    """The README's key table (`tools/key_table.py` writes it there from the default keys)."""
    lines = ["| key | action |", "|---|---|"]
    for keys, meaning in rows:
        cells = (" ".join(f"`{key}`" for key in keys.split("  ")), meaning)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def key_names(binding: Binding) -> list[str]:
    """The binding's keys as the footer shows them (`?`, `↓`, `ctrl+p`)."""
    if binding.key_display:
        return [binding.key_display]
    return [format_key(each.key) for each in Binding.make_bindings([binding])]


class HelpScreen(ModalScreen[None]):
    """The keys of the dashboard, as a table (scrolled with the arrows where the terminal is too short for
    it); any of escape, ? or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100; max-width: 100%; height: auto; max-height: 100%; border: thick $accent;
        background: $surface; padding: 1 2; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="close")]  # noqa: RUF012 - Textual's own style

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self._rows = rows

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 3))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for keys, meaning in self._rows:
            table.add_row(Text(keys), Text(meaning))
        with VerticalScroll():
            yield Static(table)

    def action_close(self) -> None:
        self.dismiss(None)
