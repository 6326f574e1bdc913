"""Write the README's key table from the dashboard's default keys: `.venv/bin/python tools/key_table.py`.

tests/ui/test_keys.py fails while the README's table is not the one this writes.
"""

from __future__ import annotations

from pathlib import Path

from tf_tui.ui.app import TfTuiApp
from tf_tui.ui.screens.help import declared_bindings, key_rows, markdown_key_table

README = Path(__file__).parents[1] / "README.md"
TABLE_START = "| key | action |"


def with_key_table(text: str) -> str:
    """The README's text with its key table replaced by the one the default keys make."""
    start = text.index(TABLE_START)
    end = text.index("\n\n", start)
    return text[:start] + markdown_key_table(key_rows(declared_bindings(TfTuiApp))) + text[end:]


if __name__ == "__main__":
    README.write_text(with_key_table(README.read_text(encoding="utf-8")), encoding="utf-8")
