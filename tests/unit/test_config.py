"""Settings precedence, URLs, and the token kept out of logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tf_tui.config import ConfigError, SecretFilter, load_settings, websocket_url


def settings(tmp_path, config: str = "", environ=None, **flags):
    path = tmp_path / "config.toml"
    path.write_text(config)
    return load_settings(environ=environ or {}, config_path=path, **flags)


def test_flags_beat_environment_beat_file_beat_default(tmp_path):
    assert settings(tmp_path).url == "http://localhost:8084"
    assert settings(tmp_path, 'url = "http://file:1"').url == "http://file:1"
    assert settings(tmp_path, 'url = "http://file:1"', {"TF_TUI_URL": "http://env:2"}).url == "http://env:2"
    assert settings(tmp_path, 'url = "http://file:1"', {"TF_TUI_URL": "http://env:2"}, url="http://flag:3/").url == (
        "http://flag:3"
    )
    assert settings(tmp_path, 'token = "file"', {"TF_TUI_TOKEN": "env"}).token == "env"
    assert settings(tmp_path, environ={"TF_TUI_STATE_FILE": "/x/s.json"}).state_file == Path("/x/s.json")
    assert settings(tmp_path, state_file=Path("/y.json"), environ={"TF_TUI_STATE_FILE": "/x"}).state_file == Path(
        "/y.json"
    )


def test_the_token_is_not_in_the_settings_repr(tmp_path):
    assert "s3cret" not in repr(settings(tmp_path, token="s3cret"))


@pytest.mark.parametrize(
    ("url", "ws"),
    [
        ("http://localhost:8084", "ws://localhost:8084/ws"),
        ("https://tf.example.org", "wss://tf.example.org/ws"),
        ("https://box/tf/", "wss://box/tf/ws"),
    ],
)
def test_websocket_urls_follow_http_urls(url, ws):
    assert websocket_url(url) == ws


@pytest.mark.parametrize(
    ("config", "flags", "words"),
    [
        ("", {"url": "localhost:8084"}, "must look like"),
        ("", {"url": "ftp://x"}, "must look like"),
        ("url = [", {}, "not valid TOML"),
        ("url = 5", {}, "url must be a string"),
        ("desktop_notifications = 'yes'", {}, "must be true, false"),
        ("", {"log_level": "loud"}, "log level"),
    ],
)
def test_bad_settings_are_errors_in_words(tmp_path, config, flags, words):
    with pytest.raises(ConfigError, match=words):
        settings(tmp_path, config, **flags)


def test_secret_filter_masks_the_token():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "header: Bearer %s", ("s3cret",), None)
    SecretFilter("s3cret").filter(record)
    assert record.getMessage() == "header: Bearer ***"


@pytest.mark.parametrize("token", ["s3c\rret", "two words", "t\u00f8ken"])
def test_a_token_that_cannot_go_in_a_header_is_refused_without_showing_it(tmp_path, token):
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, token=token)
    assert token.strip() not in str(refused.value)
    assert settings(tmp_path, token="  fine-token\n").token == "fine-token"
