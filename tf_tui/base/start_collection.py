"""The cyclic garbage collector held off while the dashboard starts, then told to leave the start's objects be.

Importing Textual and the dashboard makes some 56,000 objects that live as long as the process (modules,
classes, functions), and no garbage to speak of: the collector's passes over them while they were made
(about 120 of them, one a full pass of 12 to 17 ms just before the first paint) took 27 to 32 ms of a first
screen of 0.31 s on a quiet machine, and found 255 objects to free. So the dashboard turns the collector off
as it begins to import (`hold`), and once its first screen is painted (`release`) moves every object made so
far to the permanent generation (`gc.freeze`) before turning it on again: the collections while it runs then
never walk the start's objects again.

The price, bounded and paid once: an object of the start that later becomes garbage in a reference cycle
(a widget of the first screen removed afterwards) is never freed, as the collector no longer looks at it.
Only a collector that `hold` turned off is turned on again: a process that had it off keeps it off.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """No collection until `release` (the dashboard's start)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """The start is over: what it made is kept out of later collections, and collecting resumes. Does nothing
    unless `hold` turned the collector off, and nothing the second time."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
