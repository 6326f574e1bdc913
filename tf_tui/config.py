"""Settings from flags, else the environment, else the config file, else defaults.

The config file is TOML in the user's config dir (`~/.config/tf-tui/config.toml` on Linux):

    url = "http://training-box:8084"
    token = "..."                   # or TF_TUI_TOKEN; never printed or logged
    token_file = "~/.tf-tui-token"  # or TF_TUI_TOKEN_FILE / --token-file; only its owner may read it
    ca_cert = "/etc/tf/ca.pem"      # or TF_TUI_CA_CERT / --ca-cert: the CA that signed an https backend
    theme = "textual-dark"
    desktop_notifications = true    # or "osc9"; a terminal notification, over SSH too
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_config_path, user_state_path

from tf_tui.client.tls import TlsSetupError, client_context

DEFAULT_URL = "http://localhost:8084"
APP_NAME = "tf-tui"
LOG_LEVELS = ("debug", "info", "warning", "error")
# Every key the config file may hold: anything else is a typo, said as one rather than ignored.
CONFIG_KEYS = ("url", "token", "token_file", "ca_cert", "theme", "desktop_notifications", "log_level")


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


# Off, or the escape sequence a desktop notification is sent with.
DesktopNotifications = Literal[False, "osc777", "osc9"]


@dataclass(frozen=True)
class Settings:
    url: str
    state_file: Path
    log_file: Path
    token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    theme: str | None = None
    desktop_notifications: DesktopNotifications = False
    # The state file remembers runs per backend; a backend whose URL changes each time (the
    # `--local` server on a free port) is remembered under a name of its own instead.
    backend_name: str | None = None
    ca_cert: Path | None = None  # trust this CA instead of the usual ones (a private CA)
    insecure: bool = False  # no TLS certificate verification: only when asked on the command line

    @property
    def ws_url(self) -> str:
        return websocket_url(self.url)

    @property
    def state_key(self) -> str:
        return self.backend_name or self.url


def default_config_path() -> Path:
    return user_config_path(APP_NAME) / "config.toml"


def load_settings(
    *,
    url: str | None = None,
    token: str | None = None,
    state_file: Path | None = None,
    log_level: str | None = None,
    environ: Mapping[str, str] = os.environ,
    config_path: Path | None = None,
    token_file: Path | None = None,
    ca_cert: Path | None = None,
    insecure: bool = False,
) -> Settings:
    path = config_path or Path(environ.get("TF_TUI_CONFIG") or default_config_path())
    config = read_config(path)
    chosen_url = url or environ.get("TF_TUI_URL") or _string(config, "url", path) or DEFAULT_URL
    chosen_level = (
        log_level or environ.get("TF_TUI_LOG_LEVEL") or _string(config, "log_level", path) or "info"
    ).lower()
    if chosen_level not in LOG_LEVELS:
        raise ConfigError(f"log level {chosen_level!r} is not one of {', '.join(LOG_LEVELS)}")
    notifications = _desktop_notifications(config.get("desktop_notifications", False))
    if notifications is None:
        raise ConfigError(f'{path}: desktop_notifications must be true, false, "osc777" or "osc9"')
    if token and token_file:
        raise ConfigError("give --token or --token-file, not both")
    chosen_token = (
        token
        or _token_from_file(token_file)
        or environ.get("TF_TUI_TOKEN")
        or _token_from_file(_path(environ.get("TF_TUI_TOKEN_FILE")))
        or _string(config, "token", path)
        or _token_from_file(_path(_string(config, "token_file", path), relative_to=path.parent))
        or None
    )
    if chosen_token is not None:
        chosen_token = chosen_token.strip()
        # Checked here, so the token never reaches an HTTP library that would quote it in an error.
        if not chosen_token or any(not "!" <= char <= "~" for char in chosen_token):
            raise ConfigError("the token must be printable ASCII with no spaces (it goes in an HTTP header)")
    chosen_ca = (
        ca_cert
        or _path(environ.get("TF_TUI_CA_CERT"))
        or _path(_string(config, "ca_cert", path), relative_to=path.parent)
    )
    try:
        client_context(chosen_ca, insecure=insecure)  # a CA file that cannot be used is said now, not at connect
    except TlsSetupError as error:
        raise ConfigError(str(error)) from None
    state_dir = user_state_path(APP_NAME)
    return Settings(
        url=normalise_url(chosen_url),
        token=chosen_token,
        state_file=state_file or Path(environ.get("TF_TUI_STATE_FILE") or state_dir / "state.json"),
        log_file=Path(environ.get("TF_TUI_LOG_FILE") or state_dir / "tf-tui.log"),
        log_level=chosen_level,
        theme=_string(config, "theme", path),
        desktop_notifications=notifications,
        ca_cert=chosen_ca,
        insecure=insecure,
    )


def _token_from_file(path: Path | None) -> str | None:
    """The token kept in a file only its owner can read, as ssh insists for a private key."""
    if path is None:
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise ConfigError(f"the token file {path} is not a regular file")
            if mode & 0o077:
                raise ConfigError(
                    f"the token file {path} can be read or changed by other users "
                    f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
                )
            token = handle.read().strip()
    except OSError as error:
        raise ConfigError(f"cannot read the token file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"the token file {path} is not text") from None
    if not token:
        raise ConfigError(f"the token file {path} is empty")
    return token


def _path(value: str | None, relative_to: Path | None = None) -> Path | None:
    """A path from the environment or the config file; `~` expanded, relative ones from the config's folder."""
    if not value:
        return None
    path = Path(value).expanduser()
    return relative_to / path if relative_to is not None and not path.is_absolute() else path


def read_config(path: Path) -> dict[str, Any]:
    """The config file's settings; an error names the file, the line and what is wrong there."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        ) from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line L, column C)"
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    for key in config:
        if key not in CONFIG_KEYS:
            raise ConfigError(_unknown_key(path, text, key))
    return config


def _unknown_key(path: Path, text: str, key: str) -> str:
    quoted = re.escape(key)
    # The key as TOML writes it: bare, quoted, dotted, or as a table's name.
    pattern = re.compile(rf"""^\s*(\[+\s*)?(["']?){quoted}\2\s*[=.\]]""")
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]
    where = f"{path}, line {lines[0]}" if lines else str(path)
    close = difflib.get_close_matches(key, CONFIG_KEYS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}: unknown key {key!r}{hint}; the known keys are {', '.join(CONFIG_KEYS)}"


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if "@" in parts.netloc or ("@" in url and not parts.netloc):
        # Never echoed: the part before the @ is likely a password, and the URL is shown and logged.
        raise ConfigError("the backend URL must not hold a user or password; give the token with --token-file")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"backend URL {url!r} must look like http://host:port or https://host")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def websocket_url(url: str) -> str:
    """`ws://` follows `http://` and `wss://` follows `https://`; the socket lives at `/ws`."""
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", "", ""))


def setup_logging(settings: Settings) -> None:
    """Logs go to a file, never to the screen; the token is masked in anything logged."""
    settings.log_file.parent.mkdir(parents=True, exist_ok=True)
    # backslashreplace: a line that cannot be encoded is still written, never a traceback on the screen.
    handler = logging.FileHandler(settings.log_file, encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if settings.token:
        handler.addFilter(SecretFilter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The websockets library logs handshake headers, the Authorization header among them, at DEBUG.
    logging.getLogger("websockets").setLevel(logging.INFO)


class SecretFilter(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._secret in message:
            record.msg, record.args = message.replace(self._secret, "***"), None
        # A traceback quotes exception messages and, through them, whatever a library put there.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self._secret, "***")
        if record.stack_info:
            record.stack_info = record.stack_info.replace(self._secret, "***")
        return True


def _desktop_notifications(value: object) -> DesktopNotifications | None:
    """The config file's value, or None if it is not one of true, false, "osc777" and "osc9"."""
    if value is False:
        return False
    if value is True or value == "osc777":  # true: the default sequence
        return "osc777"
    if value == "osc9":
        return "osc9"
    return None


def _string(config: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a string")
    return value
