"""The config file's [keys] table: its shape, and the line each action is given on."""

from __future__ import annotations

import pytest

from tf_tui.core.config import ConfigError, load_settings
from tf_tui.core.key_choices import KeyChoice


def settings(tmp_path, config: str):
    path = tmp_path / "config.toml"
    path.write_text(config)
    return load_settings(environ={}, config_path=path)


def test_each_action_keeps_its_keys_and_its_line(tmp_path):
    config = 'url = "http://box:8084"\n\n[keys]\nstop = "X"\nfilter = ["f", "slash"]\n"event_log" = "L, f9"\n'
    where = f"{tmp_path / 'config.toml'}, line"
    assert settings(tmp_path, config).keys == (
        KeyChoice("stop", ("X",), f"{where} 4"),
        KeyChoice("filter", ("f", "slash"), f"{where} 5"),
        KeyChoice("event_log", ("L", "f9"), f"{where} 6"),
    )


def test_a_dotted_or_inline_keys_table_is_named_by_its_line_too(tmp_path):
    where = f"{tmp_path / 'config.toml'}, line"
    assert settings(tmp_path, 'theme = "nord"\nkeys.stop = "X"\n').keys == (KeyChoice("stop", ("X",), f"{where} 2"),)
    inline = 'url = "http://box:8084"\nkeys = { quit = "Q", stop = "X" }\n'
    assert [choice.where for choice in settings(tmp_path, inline).keys] == [f"{where} 2", f"{where} 2"]


def test_no_keys_table_is_no_choice(tmp_path):
    assert settings(tmp_path, 'url = "http://box:8084"\n').keys == ()


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ('keys = "X"\n', r"config.toml, line 1: keys must be a table, \[keys\]"),
        ("[keys]\nstop = 1\n", r"config.toml, line 2: stop must be a key"),
        ('[keys]\nquit = "q"\nstop = ["X", 2]\n', r"config.toml, line 3: stop must be a key"),
        ('[keys]\n\nstop = ""\n', r"config.toml, line 3: stop needs a key, and no empty one between commas"),
        ("[keys]\nstop = []\n", r"config.toml, line 2: stop needs a key"),
        ('[keys]\nstop = "X,,Y"\n', r"config.toml, line 2: stop needs a key, and no empty one"),
    ],
)
def test_a_keys_table_of_the_wrong_shape_is_an_error_naming_its_line(tmp_path, config, words):
    with pytest.raises(ConfigError, match=words):
        settings(tmp_path, config)
