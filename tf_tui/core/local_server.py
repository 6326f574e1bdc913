"""The reference server as a process of its own on 127.0.0.1 and a free port.

For the tests, a child process stopped with them. For `tf-tui --local`, a detached, long-lived one: in
a session of its own (so the SIGHUP of a dropped SSH link, or a Ctrl+C, never reaches it), found again
by the next `--local` through the address file in its data directory, and gone by itself once idle.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from platformdirs import user_data_path

from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.options import SERVER_TOKEN_VARIABLE
from tf_tui.base.private_dir import make_private_dir
from tf_tui.common.atomic_file import exclusive_lock, write_json_atomically
from tf_tui.common.server_address import ServerAddress, address_path, read_address, remove_address
from tf_tui.core.format import duration, plural

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# A quit and relaunch, or an SSH link dropped and taken up again, finds the same server (and its runs'
# history) within this; a server nobody came back to stops holding memory and a port soon after.
LOCAL_IDLE_EXIT_S = 600.0
HEALTH_TIMEOUT_S = 5.0
EXIT_POLL_S = 0.05
# Held while a launcher checks for the local server and starts one, and while `serve --stop` stops it:
# two `tf-tui --local` at once find one server.
LAUNCH_LOCK_FILE = "launch.lock"
# The URL the launchers last found the data dir's server at. Its URL changes when it is started again (a
# free port each time); whatever tf-tui keeps of the backend, filed by URL, moves from this one to the new.
LAST_URL_FILE = "last-url.json"


class ServerStartError(RuntimeError):
    pass


class ServerProcess:
    def __init__(
        self,
        data_dir: Path,
        *,
        token: str | None = None,
        max_concurrent: int = 2,
        port: int = 0,
        serve_args: Sequence[str] = (),
        detached: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self._serve_args = list(serve_args)  # more `tf-tui serve` options
        self._detached = detached  # in a session of its own, outliving this process
        self._requested_port = port
        self.log_path = data_dir / "server.log"
        self._token = token
        self._max_concurrent = max_concurrent
        self._process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the server is not running")
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> str:
        """Start the server and return its URL once it serves requests."""
        # Made private as the server would make it: it then has nothing to tighten, and says nothing of it.
        make_private_dir(self.data_dir)
        ready_read, ready_write = os.pipe()
        environment = {key: value for key, value in os.environ.items() if key != SERVER_TOKEN_VARIABLE}
        if self._token is not None:
            environment[SERVER_TOKEN_VARIABLE] = self._token
        command = [
            sys.executable, "-m", "tf_tui", "serve",
            "--host", "127.0.0.1", "--port", str(self._requested_port),
            "--data-dir", str(self.data_dir),
            "--max-concurrent", str(self._max_concurrent),
            "--ready-fd", str(ready_write),
            *self._serve_args,
        ]  # fmt: skip
        with os.fdopen(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(ready_write,), env=environment,
                start_new_session=self._detached, cwd=self.data_dir if self._detached else None,
            )  # fmt: skip
        os.close(ready_write)
        try:
            self.port = int(_read_line(ready_read, timeout))
        except (TimeoutError, ValueError) as error:
            self.stop()
            raise ServerStartError(f"the reference server did not start ({error}); {self._log_tail()}") from None
        finally:
            os.close(ready_read)
        return self.url

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Shut down gracefully (SIGTERM), killing the server if it does not exit in time."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self.port = None

    def kill(self) -> None:
        """Die as a crashed server does, with no chance to clean up."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
            self.port = None

    def _log_tail(self) -> str:
        tail = self.log_path.read_text(errors="replace")[-800:].strip() if self.log_path.exists() else ""
        return f"its log ends: {tail}" if tail else f"see {self.log_path}"

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _read_line(fd: int, timeout: float) -> str:
    """One line from a pipe, waiting at most `timeout`; EOF (the writer died) ends it early."""
    deadline = time.monotonic() + timeout
    received = b""
    while not received.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError(f"no answer within {timeout:.0f} s")
        chunk = os.read(fd, 64)
        if not chunk:
            raise ValueError("it exited before it was ready")
        received += chunk
    return received.decode().strip()


# --- the detached local server of `tf-tui --local` ---------------------------------------------


def local_data_dir() -> Path:
    """Where `tf-tui --local` keeps its server's runs, datasets, log and address file."""
    return user_data_path("tf-tui") / "local-server"


@dataclass(frozen=True)
class Attached:
    """The server a launcher found or started, and the URL the data dir's server had before, if another."""

    address: ServerAddress
    started: bool  # started by this launcher, not found running
    previous_url: str | None = None


def attach_or_start(data_dir: Path, idle_exit: float = LOCAL_IDLE_EXIT_S) -> Attached:
    """The server for `data_dir`: the one running already if it answers as itself, else a new detached
    one that stops itself after `idle_exit` seconds with nothing going."""
    with exclusive_lock(data_dir / LAUNCH_LOCK_FILE):
        recorded = _recorded_server(data_dir)
        if recorded is not None:
            address, answering = recorded
            if not answering:
                # Another server on the data dir would only wait for the lock this one holds, then give up.
                raise ServerStartError(
                    f"the local server at {address.url} (pid {address.pid}) is running but not answering; "
                    "`tf-tui serve --stop` stops it"
                )
            return _noted(data_dir, Attached(address, started=False))
        ServerProcess(data_dir, detached=True, serve_args=["--idle-exit", f"{idle_exit:g}"]).start()
        started = read_address(data_dir)
        if started is None:
            raise ServerStartError(f"the reference server started but left no address file in {data_dir}")
        return _noted(data_dir, Attached(started, started=True))


def _noted(data_dir: Path, attached: Attached) -> Attached:
    """`attached`, with the URL the launchers last knew if it was another; the new one noted in its place."""
    path = data_dir / LAST_URL_FILE
    try:
        last = json.loads(path.read_text(encoding="utf-8")).get("url")
    except (OSError, ValueError, AttributeError):
        last = None
    if last == attached.address.url:
        return attached
    try:
        write_json_atomically(path, {"url": attached.address.url})
    except OSError as error:  # the next launcher then moves nothing: a convenience lost, never a launch
        log.warning("cannot note the local server's URL in %s: %s", path, error.strerror or error)
    return replace(attached, previous_url=last if isinstance(last, str) else None)


@dataclass(frozen=True)
class ServerStatus:
    address: ServerAddress
    going: int | None  # runs queued or training; None when the server would not say
    answering: bool = True  # False: alive and a server on the data dir, but /health had no answer in time
    started_at: float | None = None  # when it began to serve (it writes its address file then); None: unknown


def server_status(data_dir: Path, token: str | None = None) -> ServerStatus | None:
    with exclusive_lock(data_dir / LAUNCH_LOCK_FILE):
        recorded = _recorded_server(data_dir)
    if recorded is None:
        return None
    address, answering = recorded
    try:
        started_at: float | None = address_path(data_dir).stat().st_mtime
    except OSError:  # stopped meanwhile
        started_at = None
    return ServerStatus(address, _going_runs(address, token) if answering else None, answering, started_at)


def stop_server(data_dir: Path, token: str | None = None, timeout: float = STOP_TIMEOUT_S) -> ServerStatus | None:
    """Stop the server of `data_dir` (SIGTERM, then SIGKILL after `timeout`); what it was, or None when
    none runs. A server that no longer answers is still stopped when its command line shows it is one."""
    with exclusive_lock(data_dir / LAUNCH_LOCK_FILE):
        recorded = _recorded_server(data_dir)
        if recorded is None:
            return None
        address, answering = recorded
        status = ServerStatus(address, _going_runs(address, token) if answering else None, answering)
        _terminate(address.pid, timeout)
        remove_address(data_dir, address.instance)  # a killed server could not remove it itself
        return status


def process_alive(pid: int) -> bool:
    try:
        # A server started from this very process is its child: reap it, or it lingers as a zombie.
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, and someone else's
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """Ended, and waiting for its parent to reap it: the server a dashboard started is that dashboard's
    child, and `serve --stop` from another process waited out its whole timeout, then SIGKILL's, on one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False  # gone meanwhile, or no /proc: the signal's answer stands
    # The state follows the command's name, which is in parentheses and may hold any character.
    return stat[stat.rfind(")") + 2 : stat.rfind(")") + 3] == "Z"


def _recorded_server(data_dir: Path) -> tuple[ServerAddress, bool] | None:
    """The recorded server, and whether it answers as itself; call it holding the launch lock.

    One that does not answer in time is still running if its pid is alive and runs a server on this
    data dir: frozen or busy, it holds the data dir, and its record is what `serve --stop` needs. Only
    the record of one that is gone, or whose pid another process has taken since, is removed (under the
    launch lock, so never a newer server's)."""
    address = read_address(data_dir)
    if address is None:
        return None
    if _answers_as_itself(address):
        return address, True
    if _is_server_on(address.pid, data_dir):
        return address, False
    remove_address(data_dir, address.instance)
    return None


def _answers_as_itself(address: ServerAddress) -> bool:
    """The server at the recorded URL is the recorded one: it repeats its instance id, which another
    server on a reused port cannot. Alive and answering, it also still holds the recorded pid."""
    import httpx  # here: the dashboard imports this module, and its first screen does not wait for httpx

    try:
        reply = httpx.get(f"{address.url}/health", timeout=HEALTH_TIMEOUT_S, trust_env=False)
        return reply.status_code == httpx.codes.OK and reply.json().get("instance") == address.instance
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def _going_runs(address: ServerAddress, token: str | None) -> int | None:
    import httpx  # as above

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        reply = httpx.get(f"{address.url}/train/active", headers=headers, timeout=HEALTH_TIMEOUT_S, trust_env=False)
        count = reply.json().get("count") if reply.status_code == httpx.codes.OK else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return count if isinstance(count, int) else None


def _is_server_on(pid: int, data_dir: Path) -> bool:
    """`pid` runs `tf-tui serve` on `data_dir`, by its command line (where /proc shows it): a hung server
    can still be stopped, a process that took over a dead server's pid is never signalled."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"serve" in arguments and str(data_dir).encode() in arguments


def _terminate(pid: int, timeout: float) -> None:
    for stop_signal in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, stop_signal)
        except ProcessLookupError:
            return
        if _exited_within(pid, timeout):
            return


def _exited_within(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(EXIT_POLL_S)
    return True


def quit_note(data_dir: Path, going: int) -> str:
    """What the dashboard says on quit about the local server of `data_dir`: that it trains on, or stops
    by itself once idle; or, when it is gone (killed, stopped), only that."""
    address = read_address(data_dir)
    if address is None or not process_alive(address.pid):
        return "the local server is not running (`tf-tui --local` starts it again)"
    if going:
        return (
            f"the local server keeps training {plural(going, 'run')} — `tf-tui --local` reattaches,"
            " `tf-tui serve --stop` stops it"
        )
    return (
        f"the local server at {address.url} stops by itself after {duration(LOCAL_IDLE_EXIT_S)} with nothing"
        " going (`tf-tui serve --stop` stops it now)"
    )


def status_record(data_dir: Path, found: ServerStatus | None, now: float) -> dict[str, object]:
    """`tf-tui serve --status --json`: the server's state, URL, pid, data dir, uptime and runs going."""
    if found is None:
        return {"state": "not running", "url": None, "pid": None, "data_dir": str(data_dir), "uptime_s": None,
                "going": None}  # fmt: skip
    started_at = found.started_at
    return {
        "state": "running" if found.answering else "not answering",
        "url": found.address.url,
        "pid": found.address.pid,
        "data_dir": str(data_dir),
        "uptime_s": None if started_at is None else round(max(0.0, now - started_at), 1),
        "going": found.going,
    }


def manage(data_dir: Path, *, stop: bool, token: str | None, as_json: bool = False) -> int:
    """`tf-tui serve --status` (0 when a server runs on `data_dir`, 1 when none does; `as_json`: one JSON
    object) and `--stop` (0)."""
    found = stop_server(data_dir, token) if stop else server_status(data_dir, token)
    if as_json and not stop:
        print(json.dumps(status_record(data_dir, found, time.time())))
        return ExitCode.OK if found is not None else ExitCode.FAILED
    if found is None:
        print(f"No server is running on {data_dir}.")
        return ExitCode.OK if stop else ExitCode.FAILED
    address = found.address
    if stop:
        print(f"Stopped the server at {address.url} (pid {address.pid}); {_runs_ended(found.going)}.")
    elif not found.answering:
        print(
            f"A server is running on {data_dir} at {address.url} (pid {address.pid}) but is not answering "
            f"(nothing within {HEALTH_TIMEOUT_S:g} s: frozen or very busy); `tf-tui serve --stop` stops it."
        )
    else:
        print(f"A server is running on {data_dir} at {address.url} (pid {address.pid}): {_runs_going(found.going)}.")
    return ExitCode.OK


def _runs_ended(going: int | None) -> str:
    if going is None:
        return "what it was training is not known"
    return f"{plural(going, 'run')} it was training ended with it, as failed" if going else "nothing was going"


def _runs_going(going: int | None) -> str:
    if going is None:
        return "it did not say what is going"
    return f"{plural(going, 'run')} going" if going else "nothing going"
