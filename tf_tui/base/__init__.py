"""The vocabulary every layer speaks: the wire protocol's events, safe text, exit codes, run ids, what a
backend can do, the command line's names and defaults, and the few standard-library helpers (signals,
supervised tasks) that everything above uses.

Rule: the standard library and `tf_tui.common` only: no Textual, no httpx, no websockets, nothing of the
client. The reference server does not import it.
"""
