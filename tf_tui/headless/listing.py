"""The runs a command lists (`status`, `export`): every run each backend lists and every one tf-tui
remembers, each read once, newest first."""

from __future__ import annotations

import asyncio
import math
import sys
from dataclasses import dataclass

from tf_tui.client.api import ApiError
from tf_tui.core.fleet import Fleet, RunKey
from tf_tui.core.run_order import run_date
from tf_tui.core.store import RunState


@dataclass(frozen=True)
class Listed:
    keys: list[RunKey]  # newest first
    unlisted: list[str]  # the backends that could not be listed (each said on stderr)


async def list_runs(fleet: Fleet, command: str, *, every_known: bool = False) -> Listed:
    """The runs the backends list and the active ones the state file remembers; with `every_known`, also
    every run the run memory keeps facts of (the runs tf-tui learnt of, which a backend may no longer list).

    A backend that cannot be listed is said on stderr and its remembered runs are still read; with one
    backend its error is raised instead.
    """
    listings = await fleet.refresh_listings()
    for name, listing in listings.items():
        if isinstance(listing, ApiError):
            if fleet.single:
                raise listing
            print(f"tf-tui {command}: {name}: {listing}", file=sys.stderr)
    known = (
        [RunKey(name, train_id) for name, session in fleet.sessions.items() for train_id in session.memory.known()]
        if every_known
        else []
    )
    keys = list(
        dict.fromkeys(
            [
                *(
                    RunKey(name, train_id)
                    for name, listing in listings.items()
                    if isinstance(listing, list)
                    for train_id in listing
                ),
                *fleet.remembered(),
                *known,
            ]
        )
    )
    # The listing read each run it named; read the others that may still be going (remembered, or known to
    # the run memory), every backend at once. Read again, a thousand listed runs took a thousand more requests.
    await asyncio.gather(*(fleet.session(name).resync(_unread_going(fleet, keys, name)) for name in fleet.names))
    # Newest first, as the dashboard lists them; a run nothing dates goes last, the last listed first.
    keys = sorted(reversed(keys), key=lambda key: created_at(fleet.get(key)), reverse=True)
    return Listed(keys, [name for name, listing in listings.items() if isinstance(listing, ApiError)])


def _unread_going(fleet: Fleet, keys: list[RunKey], backend: str) -> list[str]:
    session = fleet.session(backend)
    return [
        key.train_id
        for key in keys
        if key.backend == backend and not fleet.get(key).ended and not session.has_read(key.train_id)
    ]


def created_at(run: RunState) -> float:
    """When the run was made (or began), by the server's dates or what tf-tui remembers; -inf for none."""
    created = run_date(run)
    return -math.inf if created is None else created
