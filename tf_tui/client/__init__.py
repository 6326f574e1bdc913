"""The wire to one backend: its HTTP API (httpx), its update stream (websockets), TLS, and the pacing
of the fallback poll.

Rule: nothing above it (no model, no Textual); it speaks in `tf_tui.base`'s vocabulary.
"""
