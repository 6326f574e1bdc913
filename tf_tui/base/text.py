"""Server text made safe for a terminal: no escape sequences, no control characters, nothing unencodable."""

from __future__ import annotations

import re

# ESC-introduced sequences (CSI, OSC up to BEL or ST, two-character escapes) and 8-bit CSI, then any other
# C0/C1 control character. Newlines and tabs become spaces: a run's message is one line on screen.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])|\x9b[0-?]*[ -/]*[@-~]")
# And the bidirectional controls: embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the
# marks (U+200E, U+200F, U+061C). A dataset named "\u202egpj.exe" reads "exe.jpg" on screen, and an override
# left open reverses the rest of the line after it: the columns beside it, the run's id.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# A lone surrogate is valid in JSON ("\ud800") but cannot be encoded: written to the log file or the
# terminal it raises, so it becomes the replacement character.
_SURROGATES = "\ud800-\udfff"
_SURROGATE = re.compile(f"[{_SURROGATES}]")
# What any of the three would change: every escape sequence starts with a control character (ESC or CSI).
_UNSAFE = re.compile(f"[{_CONTROLS}{_SURROGATES}]")


def printable(text: object, limit: int | None = None) -> str:
    cleaned = str(text)
    if _UNSAFE.search(cleaned) is not None:  # most text has nothing to clean: one scan instead of three substitutions
        cleaned = _CONTROL.sub(
            lambda match: " " if match.group() in "\t\n\r" else "", _ESCAPE_SEQUENCE.sub("", cleaned)
        )
        cleaned = _SURROGATE.sub("\ufffd", cleaned)
    if limit is not None and len(cleaned) > limit:
        return cleaned[: max(0, limit - 1)] + "…"
    return cleaned


def printable_log_line(line: str) -> str:
    """One line of a run's log, fit to show as it is: no escape sequences and no control characters (a
    carriage return reads as a space), tabs kept for the columns a trainer lines up with them."""
    if _UNSAFE.search(line) is None:  # most lines: one scan instead of three substitutions (thousands a second)
        return line
    cleaned = _CONTROL.sub(
        lambda match: match.group() if match.group() == "\t" else " " if match.group() == "\r" else "",
        _ESCAPE_SEQUENCE.sub("", line),
    )
    return _SURROGATE.sub("\ufffd", cleaned)
