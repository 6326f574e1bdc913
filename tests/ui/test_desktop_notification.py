"""The desktop notification's escape sequence: OSC 777 or OSC 9, made safe, and wrapped for tmux."""

from __future__ import annotations

from tf_tui.ui.desktop_notification import notification_sequence


def test_osc777_carries_title_and_body_as_separate_fields():
    sequence = notification_sequence("osc777", "tf-tui: run abc completed", "loss 0.41", in_tmux=False)
    assert sequence == "\x1b]777;notify;tf-tui: run abc completed;loss 0.41\x07"


def test_osc9_carries_one_text():
    assert notification_sequence("osc9", "tf-tui", "done", in_tmux=False) == "\x1b]9;tf-tui: done\x07"


def test_server_text_cannot_add_fields_or_end_the_sequence_early():
    sequence = notification_sequence("osc777", "run;x", "ok\x07\x1b]0;owned\x07;more", in_tmux=False)
    assert sequence.startswith("\x1b]777;notify;run,x;")
    inner = sequence.removeprefix("\x1b]").removesuffix("\x07")
    assert "\x1b" not in inner and "\x07" not in inner
    assert inner.count(";") == 3  # 777, notify, title, body: nothing the server sent splits a field


def test_long_server_text_is_cut():
    sequence = notification_sequence("osc9", "t" * 1000, "b" * 1000, in_tmux=False)
    assert len(sequence) < 500


def test_inside_tmux_the_sequence_is_wrapped_in_its_passthrough_with_escapes_doubled():
    plain = notification_sequence("osc777", "title", "body", in_tmux=False)
    wrapped = notification_sequence("osc777", "title", "body", in_tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]777;notify;title;body\x07\x1b\\"
    assert wrapped.removeprefix("\x1bPtmux;").removesuffix("\x1b\\").replace("\x1b\x1b", "\x1b") == plain
