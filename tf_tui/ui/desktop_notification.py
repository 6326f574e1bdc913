"""The escape sequence that asks the terminal for a desktop notification: it reaches a laptop over SSH too."""

from __future__ import annotations

from typing import Literal

from tf_tui.base.text import printable

MAX_PART_CHARS = 200


def notification_sequence(kind: Literal["osc777", "osc9"], title: str, body: str, *, in_tmux: bool) -> str:
    """OSC 777 (title and body) or OSC 9 (one text). Server text is made printable, and its `;` replaced,
    since OSC 777 separates its fields with `;`."""
    title, body = (printable(part, MAX_PART_CHARS).replace(";", ",") for part in (title, body))
    sequence = f"\x1b]9;{title}: {body}\x07" if kind == "osc9" else f"\x1b]777;notify;{title};{body}\x07"
    if in_tmux:  # tmux passes it on only wrapped in its DCS, its escapes doubled, and with allow-passthrough on
        sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence
