"""Server text is made safe for the terminal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tf_tui.base import text as text_module
from tf_tui.base.protocol import RunUpdate
from tf_tui.base.text import printable, printable_log_line
from tf_tui.core.eventlog import EventLog
from tf_tui.core.format import duration, summary
from tf_tui.core.store import RunStore, Source


def test_escape_sequences_and_control_characters_are_removed():
    hostile = "a\x1b[31mred\x1b[0m\x1b]0;owned\x07b\x1b]8;;http://x\x1b\\c\x07\x08\x9b2Jd\ne\tf"
    assert printable(hostile) == "aredbcd e f"


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidirectional_controls_are_removed_so_text_reads_in_the_order_it_was_sent():
    """A dataset named "invoice\u202egpj.exe" would read "invoiceexe.jpg", and an override left open
    reverses what follows it on the line: the columns beside the name, the run's id."""
    assert printable("invoice\u202egpj.exe") == "invoicegpj.exe"
    assert printable(f"a{BIDI_CONTROLS}b") == "ab"
    assert printable_log_line(f"step\t{BIDI_CONTROLS}1") == "step\t1"
    assert printable("שלום abc") == "שלום abc"  # right-to-left text itself stays


def test_a_lone_surrogate_becomes_the_replacement_character_and_can_be_written():
    shown = printable("a\ud800b\udfffc")
    assert shown == "a\ufffdb\ufffdc"
    shown.encode("utf-8")  # the log file and the terminal need this


def test_markup_is_left_as_literal_text_and_long_text_is_cut():
    assert printable("[bold]x[/bold]") == "[bold]x[/bold]"
    assert printable("abcdef", limit=4) == "abc…"


def test_durations():
    assert [duration(s) for s in (None, -1, 0, 59.4, 61, 3599, 7260)] == [
        "",
        "",
        "0s",
        "59s",
        "1m01s",
        "59m59s",
        "2h01m",
    ]


def test_a_run_summary_is_one_clean_line():
    store = RunStore()
    details = {"step": 370, "total_steps": 1000, "loss": 1.23456, "eta_s": 12, "message": "Step\x1b[2J\n370"}
    store.apply(RunUpdate("r1", "training", 37, details), Source.WS, 1.0)
    assert summary(store.runs["r1"]) == "training 37% step 370/1000 loss 1.2346 eta 12s - Step 370"


def test_a_failing_event_log_listener_never_reaches_the_logger():
    events = EventLog()

    def broken(entry):
        raise RuntimeError("the viewer is gone")

    events.listeners.append(broken)
    assert events.add("socket live").text == "socket live"


def _cleaned_in_full(text: str) -> str:
    """What `printable` does to any text, written out as its three substitutions: its shortcut for text with
    nothing unsafe in it must give the same."""
    without_escapes = text_module._ESCAPE_SEQUENCE.sub("", text)
    spaced = text_module._CONTROL.sub(lambda match: " " if match.group() in "\t\n\r" else "", without_escapes)
    return text_module._SURROGATE.sub("\ufffd", spaced)


@given(
    st.text(
        alphabet=st.sampled_from(
            [
                "a",
                "[",
                "m",
                "0",
                ";",
                "\\",
                "é",
                "\u2067",
                "\ud800",
                *map(chr, range(0x20)),
                *map(chr, range(0x7F, 0xA0)),
            ]
        )
    )
)
def test_printable_cleans_as_its_three_substitutions_do(text: str):
    assert printable(text) == _cleaned_in_full(text)
