"""tf-tui: a terminal dashboard for Talent Factory training runs."""

import sys

# httpx imports its own command-line tool whenever click is installed (uvicorn, for the reference server,
# brings it), and with it click, pygments and rich.syntax: 40 modules and about a tenth of a second of
# the dashboard's start, for a tool tf-tui never runs. A None entry makes that one import fail, which
# httpx expects (its command line is an optional extra) and answers with a stub. The ignore: typeshed
# allows only modules in sys.modules, where None is the import system's documented "fail this import".
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
