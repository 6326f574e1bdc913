"""Names and defaults the command line shows in its help, shared with the modules that act on them.

A module that imports nothing: `tf-tui --help` builds its parser from it before anything else loads.
"""

from __future__ import annotations

DEFAULT_URL = "http://localhost:8084"
LOG_LEVELS = ("debug", "info", "warning", "error")
TOKEN_VARIABLE, TOKEN_FILE_VARIABLE = "TF_TUI_TOKEN", "TF_TUI_TOKEN_FILE"
# The reference server's token, as `serve` reads it and the launcher hands it over: argv is visible to `ps`.
SERVER_TOKEN_VARIABLE = "TF_TUI_SERVER_TOKEN"

# What a start asks the backend to favour (`outcome_preference`); the first is the default.
OUTCOME_PREFERENCES = ("balanced", "speed", "quality")
DEFAULT_OUTCOME_PREFERENCE = OUTCOME_PREFERENCES[0]
