"""What `tf-tui` exits with: one list, so the CLI, `watch`'s outcomes and the dashboard cannot disagree."""

from __future__ import annotations

import signal
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0  # for `watch`: every run completed
    FAILED = 1  # for `watch`: a run failed; else the command could not do what was asked, or crashed
    USAGE = 2  # bad arguments or configuration, or nothing to do
    STOPPED = 3  # `watch`: a run was stopped
    UNKNOWN_RUN = 4  # `watch`: the server does not know a run
    TIMEOUT = 5  # `watch --timeout`: gave up with runs still going
    UNSUPPORTED = 6  # the backend has no route for what was asked (the deployed one lacks the extensions)
    NOT_TALENT_FACTORY = 6  # the same, for every route: what answers at the URL is not Talent Factory at all
    ALERT = 7  # `watch --exit-on-alert`: a health rule fired for a run (`[alerts]` in the config file)
    INTERRUPTED = 128 + signal.SIGINT
    # What a shell reports for a tool that SIGPIPE ended (`yes | head -1`): the reader left, nothing failed.
    # Not 0, which `watch` promises only for runs that completed; scripts with `pipefail` see it as other tools'.
    CLOSED_PIPE = 128 + signal.SIGPIPE
