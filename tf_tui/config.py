"""Settings from flags, else the environment, else the config file, else defaults.

The config file is TOML in the user's config dir (`~/.config/tf-tui/config.toml` on Linux):

    url = "http://training-box:8084"
    token = "..."                   # or TF_TUI_TOKEN; never printed or logged
    theme = "textual-dark"
    desktop_notifications = true    # or "osc9"; a terminal notification, over SSH too
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_config_path, user_state_path

DEFAULT_URL = "http://localhost:8084"
APP_NAME = "tf-tui"
LOG_LEVELS = ("debug", "info", "warning", "error")


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    url: str
    state_file: Path
    log_file: Path
    token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    theme: str | None = None
    desktop_notifications: str | bool = False  # False, or the escape sequence to use: "osc777" or "osc9"
    # The state file remembers runs per backend; a backend whose URL changes each time (the
    # `--local` server on a free port) is remembered under a name of its own instead.
    backend_name: str | None = None

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
) -> Settings:
    path = config_path or Path(environ.get("TF_TUI_CONFIG") or default_config_path())
    config = read_config(path)
    chosen_url = url or environ.get("TF_TUI_URL") or _string(config, "url", path) or DEFAULT_URL
    chosen_level = (
        log_level or environ.get("TF_TUI_LOG_LEVEL") or _string(config, "log_level", path) or "info"
    ).lower()
    if chosen_level not in LOG_LEVELS:
        raise ConfigError(f"log level {chosen_level!r} is not one of {', '.join(LOG_LEVELS)}")
    notifications = config.get("desktop_notifications", False)
    if notifications is True:
        notifications = "osc777"
    if notifications not in (False, "osc777", "osc9"):
        raise ConfigError(f'{path}: desktop_notifications must be true, false, "osc777" or "osc9"')
    chosen_token = token or environ.get("TF_TUI_TOKEN") or _string(config, "token", path) or None
    if chosen_token is not None:
        chosen_token = chosen_token.strip()
        # Checked here, so the token never reaches an HTTP library that would quote it in an error.
        if not chosen_token or any(not "!" <= char <= "~" for char in chosen_token):
            raise ConfigError("the token must be printable ASCII with no spaces (it goes in an HTTP header)")
    state_dir = user_state_path(APP_NAME)
    return Settings(
        url=normalise_url(chosen_url),
        token=chosen_token,
        state_file=state_file or Path(environ.get("TF_TUI_STATE_FILE") or state_dir / "state.json"),
        log_file=Path(environ.get("TF_TUI_LOG_FILE") or state_dir / "tf-tui.log"),
        log_level=chosen_level,
        theme=_string(config, "theme", path),
        desktop_notifications=notifications,
    )


def read_config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"the config file {path} is not valid TOML: {error}") from None


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
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
    handler = logging.FileHandler(settings.log_file, encoding="utf-8")
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
        return True


def _string(config: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a string")
    return value
