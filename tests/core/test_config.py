"""Settings precedence, URLs, and the token kept out of logs."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import DEADLINE_S
from tf_tui.core.config import (
    MAX_CONFIG_BYTES,
    ConfigError,
    SecretFilter,
    load_settings,
    setup_logging,
    websocket_url,
)


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
    assert (
        "the known keys are url, token, token_file, ca_cert, theme, desktop_notifications, log_level, read_only,"
        " backends, keys, alerts" in message
    )
    with pytest.raises(ConfigError, match=r"line 2: unknown key 'server'"):
        settings(tmp_path, 'url = "http://box:1"\n[server]\nport = 1\n')


def test_a_config_file_that_is_not_utf8_or_not_toml_is_named_with_its_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'url = "http://box:8084"\ntheme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=rf"{path}, line 2: not UTF-8 text \(byte 0xe9\)"):
        load_settings(environ={}, config_path=path)
    with pytest.raises(ConfigError, match=rf"{path}: not valid TOML: .*line 2"):
        settings(tmp_path, 'url = "http://box:8084"\ntheme = dark\n')


FLEET = """
[[backends]]
name = "gpu1"
url = "http://gpu1:8084/"
token = "t0ken-one"

[[backends]]
name = "gpu2"
url = "http://gpu2:8084"
token_env = "GPU2_TOKEN"

[[backends]]
name = "cloud"
url = "https://cloud.example.org"
token_file = "cloud.token"
"""


def fleet_settings(tmp_path, environ=None, **flags):
    token = tmp_path / "cloud.token"
    token.write_text("t0ken-three\n")
    token.chmod(0o600)
    return settings(tmp_path, FLEET, environ if environ is not None else {"GPU2_TOKEN": "two"}, **flags)


def test_every_configured_backend_is_followed_with_its_own_token(tmp_path):
    chosen = fleet_settings(tmp_path)
    assert [(b.name, b.url, b.token) for b in chosen.fleet] == [
        ("gpu1", "http://gpu1:8084", "t0ken-one"),
        ("gpu2", "http://gpu2:8084", "two"),
        ("cloud", "https://cloud.example.org", "t0ken-three"),
    ]
    assert (chosen.url, chosen.token) == ("http://gpu1:8084", "t0ken-one")
    assert [s.state_key for s in map(chosen.for_backend, chosen.fleet)] == [b.url for b in chosen.fleet]
    assert "t0ken" not in repr(chosen)


def test_backend_and_url_flags_pick_some(tmp_path):
    assert [b.name for b in fleet_settings(tmp_path, backend=["cloud", "gpu1"]).fleet] == ["cloud", "gpu1"]
    picked = fleet_settings(tmp_path, url=["http://gpu2:8084", "http://other:1"], token="flag")
    # A configured backend keeps its token when named by its URL; the flag's goes to the others only.
    assert [(b.name, b.token) for b in picked.fleet] == [("gpu2", "two"), ("other:1", "flag")]
    assert [b.url for b in fleet_settings(tmp_path, {"GPU2_TOKEN": "two", "TF_TUI_URL": "http://e:2"}).fleet] == [
        "http://e:2"
    ]
    with pytest.raises(ConfigError, match=r"no backend named 'gpu3' in .*config.toml \(the names there: gpu1, gpu2"):
        fleet_settings(tmp_path, backend=["gpu3"])


def test_read_only_is_every_backends_from_the_flag_or_the_top_level_and_one_backends_from_its_entry(tmp_path):
    def read_only(chosen) -> list[tuple[str, bool]]:
        return [(backend.name, chosen.for_backend(backend).read_only) for backend in chosen.fleet]

    assert read_only(fleet_settings(tmp_path)) == [("gpu1", False), ("gpu2", False), ("cloud", False)]
    assert read_only(fleet_settings(tmp_path, read_only=True)) == [("gpu1", True), ("gpu2", True), ("cloud", True)]
    flagged = settings(tmp_path, read_only=True, url="http://other:1")
    assert flagged.read_only and read_only(flagged) == [("other:1", True)]
    top = settings(tmp_path, 'read_only = true\n[[backends]]\nname = "a"\nurl = "http://a:1"\n')
    assert read_only(top) == [("a", True)]
    one = settings(
        tmp_path,
        '[[backends]]\nname = "a"\nurl = "http://a:1"\nread_only = true\n'
        '[[backends]]\nname = "b"\nurl = "http://b:1"\nread_only = false\n',
    )
    assert not one.read_only and read_only(one) == [("a", True), ("b", False)]
    with pytest.raises(ConfigError, match=r"config.toml: read_only must be true or false"):
        settings(tmp_path, "read_only = 1\n")


def test_without_configured_backends_the_default_url_is_followed(tmp_path):
    assert [(b.name, b.url) for b in settings(tmp_path).fleet] == [("localhost:8084", "http://localhost:8084")]
    both = settings(tmp_path, 'url = "http://top:1"\n[[backends]]\nname = "b"\nurl = "http://b:2"\n')
    assert [b.name for b in both.fleet] == ["top:1", "b"]


@pytest.mark.parametrize(
    ("entries", "words"),
    [
        ('[[backends]]\nname = "a"\nurl = "http://a:1"\ntokn = "x"\n', r"backend 1 \('a'\): unknown key 'tokn' \(did"),
        ('[[backends]]\nname = "a"\n', r"backend 1 \('a'\): a backend needs a url"),
        ('[[backends]]\nurl = "http://a:1"\n', r"backend 1: a backend needs a name"),
        (
            '[[backends]]\nname = "a"\nurl = "http://a:1"\n[[backends]]\nname = "a"\nurl = "http://b:1"\n',
            r"backend 2 \('a'\): the name 'a' is taken",
        ),
        (
            '[[backends]]\nname = "a"\nurl = "http://a:1"\n[[backends]]\nname = "b"\nurl = "http://a:1/"\n',
            r"backend 2 \('b'\): http://a:1 is already the backend 'a'",
        ),
        ('[[backends]]\nname = "a"\nurl = "a:1"\n', r"backend 1 \('a'\): backend URL 'a:1' must look like"),
        ('[[backends]]\nname = "a"\nurl = "http://a:1"\ntoken = "x"\ntoken_env = "Y"\n', "not several"),
        ('[[backends]]\nname = "a"\nurl = "http://a:1"\ntoken_env = "UNSET"\n', "UNSET named by token_env is not set"),
        ('[[backends]]\nname = "a"\nurl = 5\n', "url must be a string"),
        ("backends = 3", "must be \\[\\[backends\\]\\] tables"),
        ('[[backends]]\nname = "a"\nurl = "http://a:1"\nread_only = "yes"\n', "read_only must be true or false"),
    ],
)
def test_a_bad_backend_entry_is_an_error_naming_the_file_and_the_entry(tmp_path, entries, words):
    with pytest.raises(ConfigError, match=rf"{tmp_path / 'config.toml'}.*{words}"):
        settings(tmp_path, entries)


def test_a_backend_token_file_others_can_read_is_refused_with_the_fix(tmp_path):
    token = tmp_path / "t"
    token.write_text("secret")
    token.chmod(0o644)
    refusal = rf"backend 1 \(.a.\): the token file .*can be read or changed by other users.*chmod 600 {token}"
    with pytest.raises(ConfigError, match=refusal):
        settings(tmp_path, '[[backends]]\nname = "a"\nurl = "http://a:1"\ntoken_file = "t"\n')


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """`setup_logging` takes over the root logger: given back to pytest after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level


def log_to(tmp_path: Path, log_file: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which leaves a new file readable by everyone
    try:
        setup_logging(settings(tmp_path, environ={"TF_TUI_LOG_FILE": str(log_file)}))
    finally:
        os.umask(old_umask)
    logging.getLogger("tf_tui").warning("server text: %s", "something private")


def test_a_new_log_file_is_readable_by_its_owner_only_in_a_private_directory(tmp_path, restored_logging):
    log_file = tmp_path / "logs" / "tf-tui.log"
    log_to(tmp_path, log_file)
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    assert "something private" in log_file.read_text()


def test_a_log_file_others_can_read_is_tightened_and_kept(tmp_path, restored_logging):
    log_file = tmp_path / "tf-tui.log"
    log_file.write_text("an earlier line\n")
    log_file.chmod(0o644)
    log_to(tmp_path, log_file)
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert log_file.read_text().startswith("an earlier line\n")


def test_a_log_file_that_is_a_pipe_nothing_reads_is_said_rather_than_waited_on(tmp_path, restored_logging):
    """It had blocked the launch for ever in opening the pipe for writing, before any word was said."""
    log_file = tmp_path / "tf-tui.log"
    os.mkfifo(log_file)
    with pytest.raises(ConfigError, match=r"a pipe that nothing reads.*TF_TUI_LOG_FILE"):
        setup_logging(settings(tmp_path, environ={"TF_TUI_LOG_FILE": str(log_file)}))


# --- a config or token file that is not one: a FIFO, a device, too big, too deep -----------------

HANG_DETECTOR_S = 30  # opening a FIFO for reading blocks until a writer comes: the test hangs, not fails


@pytest.mark.timeout(HANG_DETECTOR_S)
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (os.mkfifo, "it is a FIFO, not a regular file"),
        (lambda path: path.symlink_to("/dev/zero"), "it is a character device, not a regular file"),
        (lambda path: path.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1)), "it is 1 MB, more than the 1 MB tf-tui reads"),
    ],
    ids=["fifo", "symlink to /dev/zero", "too big"],
)
def test_a_config_or_token_file_that_is_not_a_regular_file_or_too_big_is_said_at_once(tmp_path, make, words):
    config = tmp_path / "config.toml"
    make(config)
    with pytest.raises(ConfigError) as refused:
        load_settings(environ={}, config_path=config)
    assert str(refused.value) == f"cannot read the config file {config}: {words}"
    token = tmp_path / "token"
    make(token)
    with pytest.raises(ConfigError) as refused:
        load_settings(environ={}, config_path=tmp_path / "no-config.toml", token_file=token)
    assert str(refused.value) == f"cannot read the token file {token}: {words}"


def test_a_config_file_nested_too_deeply_is_said_in_words(tmp_path):
    with pytest.raises(ConfigError, match=r"config.toml: not valid TOML: arrays or tables nested too deeply"):
        settings(tmp_path, "url = " + "[" * 100_000 + "]" * 100_000)


@pytest.mark.timeout(HANG_DETECTOR_S)
def test_tf_tui_with_a_fifo_for_its_config_file_says_so_at_once(cli, tmp_path):
    os.mkfifo(tmp_path / "no-config.toml")  # the file the `cli` fixture points TF_TUI_CONFIG at
    result = cli("status", url="http://127.0.0.1:9", timeout=DEADLINE_S)
    assert result.returncode == 2
    assert (
        f"cannot read the config file {tmp_path / 'no-config.toml'}: it is a FIFO, not a regular file" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_theme_that_does_not_exist_is_an_error_naming_the_known_ones(tmp_path):
    known = ["nord", "dracula", "textual-dark"]
    with pytest.raises(ConfigError) as refused:
        settings(tmp_path, 'theme = "nrod"', themes=known)
    assert str(refused.value) == (
        f"{tmp_path / 'config.toml'}: unknown theme 'nrod' (did you mean 'nord'?); "
        "the known themes are dracula, nord, textual-dark"
    )
    assert settings(tmp_path, 'theme = "nord"', themes=known).theme == "nord"
    assert settings(tmp_path, 'theme = "nrod"').theme == "nrod"  # no themes given (a headless command): unchecked
