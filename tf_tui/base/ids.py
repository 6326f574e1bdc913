"""Ids as people type them: a full id, or a unique prefix of one (the 8 characters every screen shows).

Pure: the candidates are whatever the caller knows of (the server's listings, the state file, the runs
already seen), so the CLI and the dashboard resolve the same way. Run ids and dataset ids resolve alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from tf_tui.base.text import printable

MIN_PREFIX = 4  # shorter prefixes match too much by chance to be taken as meant
LISTED_CANDIDATES = 10


class RunIdError(ValueError):
    """A typed id that names no single run; the message says why, in words."""


class DatasetIdError(ValueError):
    """A typed id that names no single dataset of the backend's; the message says why, with the ones it has."""


def resolve_id(typed: str, candidates: Iterable[str]) -> str:
    """The run `typed` names: itself when it is a known id, else the one known id it is a prefix of.

    An id that matches nothing known is returned as typed: the server may know runs older than its
    listings, and answers 404 for the others.
    """
    text = typed.strip()
    if not text:
        raise RunIdError("no run id given")
    try:
        return _named(text, list(dict.fromkeys(candidates)), "run") or text
    except ValueError as error:
        raise RunIdError(str(error)) from None


def resolve_dataset(typed: str, available: Iterable[str]) -> str:
    """The dataset `typed` names among those the backend lists: itself, or the one it is a prefix of.

    Unlike a run, a dataset the listing lacks is refused: the backend's list is all it has (the deployed
    backend starts a run on an unknown dataset anyway, and the run then fails without a word).
    """
    text = typed.strip()
    known = list(dict.fromkeys(available))
    try:
        found = _named(text, known, "dataset") if text else None
    except ValueError as error:
        raise DatasetIdError(str(error)) from None
    if found is None:
        has = f"it has {_listed(known)}" if known else "it has none (tf-tui dataset upload adds one)"
        raise DatasetIdError(f"no dataset {printable(text)!r} on this backend; {has}")
    return found


def _named(text: str, known: list[str], noun: str) -> str | None:
    """The known id `text` is, or the one it is a prefix of; None when none. ValueError when it is too short
    a prefix or names several."""
    if text in known:
        return text
    matches = [candidate for candidate in known if candidate.lower().startswith(text.lower())]
    if matches and len(text) < MIN_PREFIX:
        raise ValueError(f"{printable(text)!r} is too short to name a {noun}: give at least {MIN_PREFIX} characters")
    if len(matches) > 1:
        raise ValueError(
            f"{printable(text)!r} matches {len(matches)} {noun}s: {_listed(matches)}; give more characters"
        )
    return matches[0] if matches else None


def _listed(ids: list[str]) -> str:
    more = f" and {len(ids) - LISTED_CANDIDATES} more" if len(ids) > LISTED_CANDIDATES else ""
    return ", ".join(printable(each) for each in ids[:LISTED_CANDIDATES]) + more
