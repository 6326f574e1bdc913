"""Which of the reference server's extensions a backend lacks, learnt from its answers, for the session.

The deployed backend answers the reference server's extra routes (a run's metrics and log, evaluation,
publishing, the catalogue) with 404 or 405. The first such answer is remembered here with its reason, so
tf-tui asks no more, and the dashboard dims the key that needs the route and says why.
"""

from __future__ import annotations

from enum import StrEnum


class Extension(StrEnum):
    METRICS = "a run's metrics history"
    LOGS = "a run's log"
    EVALUATE = "evaluation"
    STORED_EVALUATION = "a run's stored evaluation"
    PUBLISH = "publishing"
    CATALOGUE = "the talent catalogue"
    TALENT_TEST = "trying a talent"


class Capabilities:
    def __init__(self) -> None:
        self._lacking: dict[Extension, str] = {}

    def lacks(self, extension: Extension, reason: str) -> None:
        """Remember that the backend has no route for `extension`; `reason` is the answer, in words."""
        self._lacking.setdefault(extension, reason)

    def missing(self, extension: Extension) -> str | None:
        """Why the backend cannot do `extension`, or None while nothing says it cannot."""
        reason = self._lacking.get(extension)
        return None if reason is None else f"this backend does not offer {extension.value} ({reason})"
