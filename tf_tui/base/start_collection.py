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
_start_kept_out = False  # by `release`: what `connected` adds to


def hold() -> None:
    """No collection until `release` (the dashboard's start)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """The start is over: what it made is kept out of later collections, and collecting resumes. Does nothing
    unless `hold` turned the collector off, and nothing the second time."""
    global _held, _start_kept_out
    if _held:
        _held = False
        _start_kept_out = True
        gc.freeze()
        gc.enable()


def connected() -> None:
    """The dashboard has connected: what connecting made (the network's libraries, imported only then, and the
    sessions) is kept out of later collections too. Once, and only after `release` kept out the start's.

    Measured following a log at 5,000 lines/s (`bench.log_view`, a quiet machine): the full passes, one
    every ~1.7 s, went over 37,000-43,000 objects for 7-13 ms of CPU, in the middle of a key's paint when
    they fell there; with these ~4,500 objects kept out too, 36,000-39,000 and 5-9 ms."""
    global _start_kept_out
    if _start_kept_out:
        _start_kept_out = False
        gc.freeze()
