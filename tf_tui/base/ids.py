"""Run ids as people type them: a full id, or a unique prefix of one (the 8 characters every screen shows).

Pure: the candidates are whatever the caller knows of (the server's listings, the state file, the runs
already seen), so the CLI and the dashboard resolve the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from tf_tui.base.text import printable

MIN_PREFIX = 4  # shorter prefixes match too much by chance to be taken as meant
LISTED_CANDIDATES = 10


class RunIdError(ValueError):
    """A typed id that names no single run; the message says why, in words."""


def resolve_id(typed: str, candidates: Iterable[str]) -> str:
    """The run `typed` names: itself when it is a known id, else the one known id it is a prefix of.

    An id that matches nothing known is returned as typed: the server may know runs older than its
    listings, and answers 404 for the others.
    """
    text = typed.strip()
    if not text:
        raise RunIdError("no run id given")
    known = list(dict.fromkeys(candidates))
    if text in known:
        return text
    matches = [candidate for candidate in known if candidate.lower().startswith(text.lower())]
    if matches and len(text) < MIN_PREFIX:
        raise RunIdError(f"{printable(text)!r} is too short to name a run: give at least {MIN_PREFIX} characters")
    if len(matches) > 1:
        listed = ", ".join(printable(match) for match in matches[:LISTED_CANDIDATES])
        more = f" and {len(matches) - LISTED_CANDIDATES} more" if len(matches) > LISTED_CANDIDATES else ""
        raise RunIdError(f"{printable(text)!r} matches {len(matches)} runs: {listed}{more}; give more characters")
    return matches[0] if matches else text
