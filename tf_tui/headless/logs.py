"""`tf-tui logs`: a run's log on stdout, and with `--follow` what it says next, until the run ends."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from tf_tui.base.capabilities import Extension
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, NotFound, NotTalentFactory, RouteMissing
from tf_tui.core.fleet import Fleet
from tf_tui.core.log_reader import POLL_S, LogReader
from tf_tui.headless.commands import exit_code


async def print_log(fleet: Fleet, typed_id: str, *, follow: bool, out: TextIO = sys.stdout) -> int:
    """The log as it is now; with `follow`, then each line as it comes, and the exit status says how the
    run ended (as `watch`'s does). Trouble reaching the backend while following is said and retried."""
    key = await fleet.locate(typed_id)
    session = fleet.session(key.backend)
    reader = LogReader(session.api, key.train_id, session.capabilities)
    trouble: str | None = None
    while True:
        try:
            lines = await reader.read()
        except RouteMissing:
            print(f"tf-tui logs: {session.capabilities.missing(Extension.LOGS)}", file=sys.stderr)
            return ExitCode.UNSUPPORTED
        except NotFound:
            print(f"tf-tui logs: the server does not know run {printable(typed_id)}", file=sys.stderr)
            return ExitCode.UNKNOWN_RUN
        except ApiError as error:
            if not follow or isinstance(error, NotTalentFactory):  # asking again would not help
                raise
            if str(error) != trouble:  # said once, not at every retry
                trouble = str(error)
                print(f"tf-tui logs: {trouble}; trying again", file=sys.stderr)
            lines = []
        else:
            trouble = None
        for line in lines:
            print(line, file=out)
        out.flush()
        if reader.more:
            continue
        if not follow:
            return ExitCode.OK
        if reader.complete:
            break
        await asyncio.sleep(POLL_S)
    await session.resync([key.train_id])
    return exit_code([session.store.ensure(key.train_id)])
