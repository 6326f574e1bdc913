"""When the machine line reads a backend's machine (`GET /env/check`) again. Pure.

The read is not free on the deployed backend: each one appends an audit line and, on a GPU box, runs
`nvidia-smi`, and its figures never change (no live use). So a backend that answers fixed figures is read
once, and again only when asked (`r`); one that reports its use now (the reference server's `live`) is read
again at a slow pace, and only while the line is on screen (the widget's part). A read that failed is
tried again at the pace of a backend that is down.
"""

from __future__ import annotations

from tf_tui.client.recognition import NOT_TALENT_FACTORY_RETRY_S
from tf_tui.core.environment import BoxEnvironment

LIVE_EVERY_S = 30.0  # with the listing's read, at most 4 requests a minute while nothing changes
RETRY_EVERY_S = NOT_TALENT_FACTORY_RETRY_S


def next_read_in(answer: BoxEnvironment | None) -> float | None:
    """Seconds until the machine is read again after `answer` (None: the read failed); None: only when asked."""
    if answer is None:
        return RETRY_EVERY_S
    return None if answer.live is None else LIVE_EVERY_S
