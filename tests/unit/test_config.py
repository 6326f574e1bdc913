"""Settings precedence, URLs, and the token kept out of logs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
import trustme

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


def test_secret_filter_masks_the_token_in_a_logged_traceback():
    try:
        raise RuntimeError("header: Bearer s3cret")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    SecretFilter("s3cret").filter(record)
    formatted = logging.Formatter().format(record)
    assert "Bearer ***" in formatted and "s3cret" not in formatted


def test_the_token_file_and_the_ca_certificate_come_from_flags_environment_or_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    token_file.chmod(0o600)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(trustme.CA().cert_pem.bytes())
    assert settings(tmp_path, token_file=token_file).token == "from-file"
    assert settings(tmp_path, environ={"TF_TUI_TOKEN_FILE": str(token_file)}).token == "from-file"
    assert settings(tmp_path, 'token_file = "token"').token == "from-file"  # relative to the config file
    assert settings(tmp_path, 'token_file = "token"', {"TF_TUI_TOKEN": "env"}).token == "env"
    assert settings(tmp_path, environ={"TF_TUI_CA_CERT": str(ca)}).ca_cert == ca
    assert settings(tmp_path, 'ca_cert = "ca.pem"').ca_cert == tmp_path / "ca.pem"
    assert settings(tmp_path, 'ca_cert = "ca.pem"', ca_cert=Path("/elsewhere.pem"), insecure=True).ca_cert == Path(
        "/elsewhere.pem"
    )  # --insecure wins over any CA, as curl's -k does, so the file is not even read
    with pytest.raises(ConfigError, match="not both"):
        settings(tmp_path, token="x", token_file=token_file)
    token_file.write_text("")
    with pytest.raises(ConfigError, match="is empty"):
        settings(tmp_path, token_file=token_file)


def test_an_unknown_key_is_named_with_its_line_and_the_known_keys(tmp_path):
    config = 'theme = "textual-dark"\n\n# the backend\nurll = "http://box:8084"\n'
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, config)
    message = str(refused.value)
    assert f"{tmp_path / 'config.toml'}, line 4: unknown key 'urll' (did you mean 'url'?)" in message
    assert "the known keys are url, token, token_file, ca_cert, theme, desktop_notifications, log_level" in message
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'server'"):
        settings(tmp_path, 'url = "http://box:1"\n[server]\nport = 1\n')


def test_a_config_file_that_is_not_utf8_or_not_toml_is_named_with_its_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'url = "http://box:8084"\ntheme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=rf"{path}, line 2: not UTF-8 text \(byte 0xe9\)"):
        load_settings(environ={}, config_path=path)
    with pytest.raises(ConfigError, match=rf"{path}: not valid TOML: .*line 2"):
        settings(tmp_path, 'url = "http://box:8084"\ntheme = dark\n')
