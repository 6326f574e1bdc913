"""Why a run's log cannot be shown: asked at every repaint of the footer (`o` dims), so it lives apart from
the log screen, which is imported only when it opens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tf_tui.base.capabilities import Extension
from tf_tui.core.format import short_id

if TYPE_CHECKING:
    from tf_tui.core.session import Session
    from tf_tui.core.store import RunState


def log_refusal(run: RunState | None, session: Session) -> str | None:
    """Why the run's log cannot be shown, in words, or None when it can be asked for."""
    if run is None:
        return "no run is selected"
    if run.missing:
        return f"run {short_id(run.train_id)} is not known to the server"
    return session.capabilities.missing(Extension.LOGS)
