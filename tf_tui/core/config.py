"""Settings from flags, else the environment, else the config file, else defaults.

The config file is TOML in the user's config dir (`~/.config/tf-tui/config.toml` on Linux):

    url = "http://training-box:8084"
    token = "..."                   # or TF_TUI_TOKEN; never printed or logged
    token_file = "~/.tf-tui-token"  # or TF_TUI_TOKEN_FILE / --token-file; only its owner may read it
    ca_cert = "/etc/tf/ca.pem"      # or TF_TUI_CA_CERT / --ca-cert: the CA that signed an https backend
    theme = "textual-dark"
    desktop_notifications = true    # or "osc9"; a terminal notification, over SSH too
    read_only = true                # or --read-only: watch, never change (no start, stop, publish, ...)

    [keys]                          # the dashboard's keys, by action (`tf-tui keys` lists them)
    stop = "X"

Health alerts on every followed run (`core/alerts/settings.py` has each default and why):

    [alerts]
    enabled = true                  # false: no rule at all
    [alerts.non_finite]             # the loss is NaN or infinite
    action = "stop"                 # stop the run too; "notify" (the default) only tells
    [alerts.divergence]             # the loss above `factor` times its best for `points` points in a row
    factor = 3.0
    points = 5
    [alerts.stall]                  # a running run reports no new step for `seconds`
    seconds = 300
    [alerts.overfitting]            # the held-out loss above its best by more than `margin` for
    evaluations = 5                 # `evaluations` in a row, while the training loss falls
    margin = 0.02

Each rule's table also takes `enabled = false`.

Several backends are named in `[[backends]]` tables, each with its own token (or none):

    [[backends]]
    name = "gpu1"
    url = "http://gpu1:8084"
    token_file = "~/.tf-tui/gpu1.token"   # or token = "..." or token_env = "GPU1_TOKEN"
    read_only = true                      # this backend's runs only

With no `--url` and no `--backend`, every configured backend is followed (and the top-level `url`, if
given, as one more); `--backend NAME` picks named ones and `--url` gives others.
"""

from __future__ import annotations

import difflib
import errno
import logging
import os
import re
import stat
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from platformdirs import user_config_path, user_state_path

from tf_tui.base.bounded_read import MB, read_regular_file, read_regular_file_with_status
from tf_tui.base.options import DEFAULT_URL, LOG_LEVELS, TOKEN_FILE_VARIABLE, TOKEN_VARIABLE
from tf_tui.base.private_dir import make_private_dir
from tf_tui.client.tls import TlsSetupError, client_context
from tf_tui.core.alerts.settings import AlertConfigError, AlertSettings, alert_settings, unknown_alert_key
from tf_tui.core.identity import backend_key
from tf_tui.core.key_choices import KeyChoice, KeyTableError, key_choices

APP_NAME = "tf-tui"
# Every key the config file may hold: anything else is a typo, said as one rather than ignored.
CONFIG_KEYS = (
    "url",
    "token",
    "token_file",
    "ca_cert",
    "theme",
    "desktop_notifications",
    "log_level",
    "read_only",
    "backends",
    "keys",
    "alerts",
)
BACKEND_KEYS = ("name", "url", "token", "token_env", "token_file", "read_only")
# A config file or a token file is a few lines: one bigger than this is not the file meant.
MAX_CONFIG_BYTES = 1 * MB


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and why."""


# Off, or the escape sequence a desktop notification is sent with.
DesktopNotifications = Literal[False, "osc777", "osc9"]


@dataclass(frozen=True)
class LocalServer:
    """The `--local` server a backend is: where it keeps its data, and which process it was when attached."""

    data_dir: Path
    instance: str  # the instance id its address file and `/health` give


@dataclass(frozen=True)
class Backend:
    """One backend followed: the name it is shown by, its URL and its own token."""

    name: str
    url: str
    token: str | None = field(default=None, repr=False)
    # Set for `--local`: when that server is gone, the session finds or starts the next one there.
    local: LocalServer | None = None
    read_only: bool = False  # nothing of this backend is changed: no start, stop, evaluate, publish, upload


@dataclass(frozen=True)
class Settings:
    url: str
    state_file: Path
    log_file: Path
    token: str | None = field(default=None, repr=False)
    log_level: str = "info"
    theme: str | None = None
    desktop_notifications: DesktopNotifications = False
    ca_cert: Path | None = None  # trust this CA instead of the usual ones (a private CA)
    insecure: bool = False  # no TLS certificate verification: only when asked on the command line
    # Every backend followed; empty means the one of `url` and `token` above.
    backends: tuple[Backend, ...] = ()
    # Every backend read-only (`--read-only`, the config's top-level `read_only`); each backend's own is in
    # its Backend, and a Session's settings (`for_backend`) say its backend's.
    read_only: bool = False
    # The config file's `[keys]`: checked against the dashboard's actions by the dashboard (`ui.keymap`).
    keys: tuple[KeyChoice, ...] = ()
    alerts: AlertSettings = field(default_factory=AlertSettings)

    @property
    def ws_url(self) -> str:
        return websocket_url(self.url)

    @property
    def state_key(self) -> str:
        """The backend's identity, under which the state file and the start choices keep what they keep of it."""
        return backend_key(self.url)

    @property
    def fleet(self) -> tuple[Backend, ...]:
        """The backends followed, at least one."""
        return self.backends or (Backend(url_name(self.url), self.url, self.token, read_only=self.read_only),)

    def for_backend(self, backend: Backend) -> Settings:
        """These settings for one backend of the fleet: what its Session is made with."""
        return replace(
            self,
            url=backend.url,
            token=backend.token,
            backends=(backend,),
            read_only=backend.read_only or self.read_only,
        )


def default_config_path() -> Path:
    return user_config_path(APP_NAME) / "config.toml"


def state_file_path(environ: Mapping[str, str]) -> Path:
    """Where the active runs are remembered, when no `--state-file` says: TF_TUI_STATE_FILE, else the default."""
    return Path(environ.get("TF_TUI_STATE_FILE") or user_state_path(APP_NAME) / "state.json")


def load_settings(
    *,
    url: str | Sequence[str] | None = None,
    backend: Sequence[str] = (),
    token: str | None = None,
    state_file: Path | None = None,
    log_level: str | None = None,
    environ: Mapping[str, str] = os.environ,
    config_path: Path | None = None,
    token_file: Path | None = None,
    ca_cert: Path | None = None,
    insecure: bool = False,
    themes: Collection[str] | None = None,
    read_only: bool = False,
) -> Settings:
    """`themes`: the themes the dashboard knows (Textual's, which only the dashboard loads); when given, the
    config file's `theme` must be one of them. `read_only` (`--read-only`) makes every backend read-only, as
    the config's top-level `read_only = true` does."""
    path = config_path or Path(environ.get("TF_TUI_CONFIG") or default_config_path())
    config = read_config(path)
    urls = [url] if isinstance(url, str) else list(url or ())
    if not urls and not backend and environ.get("TF_TUI_URL"):
        urls = [environ["TF_TUI_URL"]]
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
        or environ.get(TOKEN_VARIABLE)
        or _token_from_file(_path(environ.get(TOKEN_FILE_VARIABLE)))
        or _string(config, "token", path)
        or _token_from_file(_path(_string(config, "token_file", path), relative_to=path.parent))
        or None
    )
    chosen_token = _header_safe(chosen_token, "the token")
    configured = _configured_backends(config, path, environ)
    fleet = _choose_backends(urls, backend, configured, _string(config, "url", path), chosen_token, path)
    every_read_only = read_only or _flag(config, "read_only", str(path))
    fleet = tuple(replace(each, read_only=each.read_only or every_read_only) for each in fleet)
    chosen_ca = (
        ca_cert
        or _path(environ.get("TF_TUI_CA_CERT"))
        or _path(_string(config, "ca_cert", path), relative_to=path.parent)
    )
    try:  # a CA file that cannot be used is said now, not at connect
        if chosen_ca is not None:
            client_context(chosen_ca, insecure=insecure)
    except TlsSetupError as error:
        raise ConfigError(str(error)) from None
    try:
        alerts = alert_settings(config.get("alerts"))
    except AlertConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
    state_dir = user_state_path(APP_NAME)
    return Settings(
        url=fleet[0].url,
        token=fleet[0].token,
        backends=fleet,
        state_file=state_file or state_file_path(environ),
        log_file=Path(environ.get("TF_TUI_LOG_FILE") or state_dir / "tf-tui.log"),
        log_level=chosen_level,
        theme=_theme(_string(config, "theme", path), themes, path),
        desktop_notifications=notifications,
        ca_cert=chosen_ca,
        insecure=insecure,
        read_only=every_read_only,
        keys=config.get("keys", ()),
        alerts=alerts,
    )


def _header_safe(token: str | None, what: str) -> str | None:
    if token is None:
        return None
    token = token.strip()
    # Checked here, so the token never reaches an HTTP library that would quote it in an error.
    if not token or any(not "!" <= char <= "~" for char in token):
        raise ConfigError(f"{what} must be printable ASCII with no spaces (it goes in an HTTP header)")
    return token


def _configured_backends(config: Mapping[str, Any], path: Path, environ: Mapping[str, str]) -> list[Backend]:
    """The config file's `[[backends]]`; a bad entry is an error naming the file and the entry."""
    entries = config.get("backends", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise ConfigError(f"{path}: backends must be [[backends]] tables, each with a name and a url")
    backends: list[Backend] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, backend {number}" + (f" ({entry['name']!r})" if isinstance(entry.get("name"), str) else "")
        backend = _backend_entry(entry, where, path, environ)
        for earlier in backends:
            if earlier.name == backend.name:
                raise ConfigError(f"{where}: the name {backend.name!r} is taken by an earlier backend")
            if earlier.url == backend.url:
                raise ConfigError(f"{where}: {backend.url} is already the backend {earlier.name!r}")
        backends.append(backend)
    return backends


def _backend_entry(entry: Mapping[str, Any], where: str, path: Path, environ: Mapping[str, str]) -> Backend:
    for key in entry:
        if key not in BACKEND_KEYS:
            close = difflib.get_close_matches(key, BACKEND_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{hint}; a backend has {', '.join(BACKEND_KEYS)}")
    for key in entry:
        if key != "read_only" and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise ConfigError(f"{where}: {key} must be a string that is not empty")
    if "name" not in entry or "url" not in entry:
        raise ConfigError(f"{where}: a backend needs a {'name' if 'name' not in entry else 'url'}")
    name = entry["name"].strip()
    if any(not char.isprintable() for char in name):
        raise ConfigError(f"{where}: the name must be printable text")
    given = [key for key in ("token", "token_env", "token_file") if key in entry]
    if len(given) > 1:
        raise ConfigError(f"{where}: give one of {' or '.join(given)}, not several")
    try:
        url = normalise_url(entry["url"])
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None
    token: str | None = entry.get("token")
    if "token_env" in entry:
        variable = entry["token_env"]
        if not environ.get(variable):
            raise ConfigError(f"{where}: the environment variable {variable} named by token_env is not set")
        token = environ[variable]
    elif "token_file" in entry:
        try:
            token = _token_from_file(_path(entry["token_file"], relative_to=path.parent))
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
    token = _header_safe(token, f"{where}: the token")
    return Backend(name, url, token, read_only=_flag(entry, "read_only", where))


def _choose_backends(
    urls: Sequence[str],
    names: Sequence[str],
    configured: list[Backend],
    fallback_url: str | None,
    token: str | None,
    path: Path,
) -> tuple[Backend, ...]:
    """The backends followed: the named ones and the `--url` ones; else every configured one, or the default.

    A configured backend keeps its own token, even when picked by its URL; the token of the flags, the
    environment or the top-level config goes only to the backends that are not configured.
    """
    by_name = {backend.name: backend for backend in configured}
    by_url = {backend.url: backend for backend in configured}
    chosen: dict[str, Backend] = {}
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name) or "none is configured"
            raise ConfigError(f"no backend named {name!r} in {path} (the names there: {known})")
        chosen[by_name[name].url] = by_name[name]
    for url in urls:
        normal = normalise_url(url)
        chosen.setdefault(normal, by_url.get(normal) or Backend(url_name(normal), normal, token))
    if not chosen:
        if fallback_url is not None or not configured:
            normal = normalise_url(fallback_url or DEFAULT_URL)
            chosen[normal] = by_url.get(normal) or Backend(url_name(normal), normal, token)
        for backend in configured:
            chosen.setdefault(backend.url, backend)
    return tuple(chosen.values())


def url_name(url: str) -> str:
    """The name of a backend given by its URL alone: its host, port and path."""
    parts = urlsplit(url)
    return parts.netloc + parts.path


def _token_from_file(path: Path | None) -> str | None:
    """The token kept in a file only its owner can read, as ssh insists for a private key."""
    if path is None:
        return None
    try:
        raw, status = read_regular_file_with_status(path, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(f"cannot read the token file {path}: {error.strerror}") from None
    if status.st_mode & 0o077:
        raise ConfigError(
            f"the token file {path} can be read or changed by other users "
            f"(mode {stat.S_IMODE(status.st_mode):o}); run: chmod 600 {path}"
        )
    try:
        token = raw.decode("utf-8").strip()
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
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return {}
    except OSError as error:  # a FIFO or a device (never waited on or read), one too big, or no permission
        raise ConfigError(f"cannot read the config file {path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        ) from None
    import tomllib  # only when there is a file: without one, the dashboard's start does without it

    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line L, column C)"
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses into nested arrays and tables: some thousands of `[` do it
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    for key in config:
        if key not in CONFIG_KEYS:
            raise ConfigError(_unknown_key(path, text, key))
    if "keys" in config:  # read while the text is at hand: a key's error names its line
        try:
            config["keys"] = key_choices(config["keys"], text, path)
        except KeyTableError as error:
            raise ConfigError(str(error)) from None
    unknown = unknown_alert_key(config.get("alerts"))
    if unknown is not None:
        raise ConfigError(_unknown_key(path, text, unknown.key, unknown.known, unknown.table))
    return config


def _unknown_key(path: Path, text: str, key: str, known: Sequence[str] = CONFIG_KEYS, table: str = "") -> str:
    """The key's file and line, and the known keys (of `table`, when the key is in one)."""
    quoted = re.escape(key)
    # The key as TOML writes it: bare, quoted, dotted, or as a table's name (after its table's, if in one).
    pattern = re.compile(rf"""^\s*(\[+\s*)?({re.escape(table)}\.)?(["']?){quoted}\3\s*[=.\]]""")
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]
    where = f"{path}, line {lines[0]}" if lines else str(path)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    within = f" in [{table}]" if table else ""
    return (
        f"{where}: unknown key {key!r}{within}{hint}; the known keys{' there' if table else ''} are {', '.join(known)}"
    )


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if "@" in parts.netloc or ("@" in url and not parts.netloc):
        # Never echoed: the part before the @ is likely a password, and the URL is shown and logged.
        raise ConfigError("the backend URL must not hold a user or password; give the token with --token-file")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"backend URL {url!r} must look like http://host:port or https://host")
    return backend_key(url)  # one backend, one name: `--url HTTP://Box:8084/` is the configured http://box:8084


def websocket_url(url: str) -> str:
    """`ws://` follows `http://` and `wss://` follows `https://`; the socket lives at `/ws`."""
    parts = urlsplit(url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", "", ""))


def setup_logging(settings: Settings) -> None:
    """Logs go to a file, never to the screen; the token is masked in anything logged."""
    make_private_dir(settings.log_file.parent)
    _make_private(settings.log_file)
    # backslashreplace: a line that cannot be encoded is still written, never a traceback on the screen.
    handler = logging.FileHandler(settings.log_file, encoding="utf-8", errors="backslashreplace")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for token in {backend.token for backend in settings.fleet if backend.token}:
        handler.addFilter(SecretFilter(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # The websockets library logs handshake headers, the Authorization header among them, at DEBUG.
    logging.getLogger("websockets").setLevel(logging.INFO)


def _make_private(log_file: Path) -> None:
    """The log quotes server text and run ids: made readable by its owner only, and one written by an
    older tf-tui with a looser mode is tightened. Only a regular file: a log sent to /dev/null stays as it is.
    Opened without blocking: a pipe nothing reads would otherwise hold the launch for ever, unsaid."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        descriptor = os.open(log_file, flags, 0o600)
    except OSError as error:
        if error.errno != errno.ENXIO:
            raise
        raise ConfigError(
            f"the log file {log_file} is a pipe that nothing reads; give TF_TUI_LOG_FILE a file instead"
        ) from error
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISREG(mode) and stat.S_IMODE(mode) != 0o600:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


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


def _theme(theme: str | None, known: Collection[str] | None, path: Path) -> str | None:
    """A theme that does not exist is an error, as an unknown key is, rather than the default in silence."""
    if theme is None or known is None or theme in known:
        return theme
    close = difflib.get_close_matches(theme, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"{path}: unknown theme {theme!r}{hint}; the known themes are {', '.join(sorted(known))}")


def _flag(config: Mapping[str, Any], key: str, where: str) -> bool:
    value = config.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


def _string(config: Mapping[str, Any], key: str, path: Path) -> str | None:
    value = config.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a string")
    return value
