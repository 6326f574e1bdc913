"""The suggestion an Input shows after what was typed, which Textual keeps private."""

from __future__ import annotations

from textual.widgets import Input


def shown_suggestion(field: Input) -> str:
    """What `field` suggests its value be, shown after what was typed; empty when it suggests nothing, and
    when Textual no longer keeps the suggestion where it did (`reaches` says so at start)."""
    # Reads textual.widgets.Input._suggestion, as textual.widgets.Input.action_cursor_right does to take the
    # suggestion (checked: Textual 8.2.0 and 8.2.8).
    suggestion: str = getattr(field, "_suggestion", "")
    return suggestion
