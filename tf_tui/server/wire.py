"""Run statuses as the contract (PROTOCOL.md) spells them, in the server's own words.

The reference server is the contract's oracle in the tests, so it keeps its own copy instead of
importing the client's (`tf_tui.base.protocol`): a wrong constant shared by both sides would pass on both.
"""

from __future__ import annotations

# A run in one of these has ended and never changes again.
TERMINAL_STATUSES = frozenset({"completed", "failed", "stopped"})

# `system_update` events this server adds to the contract: every socket is told when a run is
# accepted (started or queued) and when it ends, with its final status.
TRAINING_STARTED = "training_started"
TRAINING_ENDED = "training_ended"
