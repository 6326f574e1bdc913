"""What a talent is published with: the categories the deployed web UI offers, and the first version.

Apart from `tf_tui.core.talents` so that the CLI's parser offers them without loading the HTTP client.
"""

from __future__ import annotations

CATEGORIES = ("general", "coding", "writing", "analysis", "creative")  # the deployed UI's, in its order
DEFAULT_VERSION = "1.0.0"
