"""The runs the dashboard holds live as long as it does: Python's cycle collector need not walk them again.

Ten thousand listed runs, their rows and the texts kept for them are some 100,000 objects, kept for the
dashboard's life. Python's full collection walks every object that is not frozen: it took 50 to 115 ms
with ten thousand runs, and came every few seconds while their statuses were read, holding up any key
pressed meanwhile. Once the runs held have grown by a listing's worth, the objects then alive are frozen
(`gc.freeze`, which moves them aside at no cost): later full collections walk only what came after. A
frozen object is still freed when its last reference goes; only a cycle among frozen objects waits, and
the dashboard's end thaws them all (`gc.unfreeze`), for a process that goes on (the tests').
"""

from __future__ import annotations

import gc

FREEZE_AFTER_RUNS = 1_000  # runs held since the last freeze: a listing's worth, not a run started now and then


class LongLived:
    def __init__(self) -> None:
        self._runs_frozen = 0  # the runs held at the last freeze
        self.frozen = False

    def held(self, runs: int) -> None:
        """The runs held now: the objects alive are frozen when they grew by `FREEZE_AFTER_RUNS` since the last
        freeze."""
        if runs - self._runs_frozen >= FREEZE_AFTER_RUNS:
            self._runs_frozen = runs
            self.frozen = True
            gc.freeze()

    def thaw(self) -> None:
        if self.frozen:
            self.frozen = False
            gc.unfreeze()
