"""The reference server as a child process on 127.0.0.1 and a free port: for `--local` and for tests."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
TOKEN_VARIABLE = "TF_TUI_SERVER_TOKEN"  # the token goes by environment: argv is visible to `ps`


class ServerStartError(RuntimeError):
    pass


class ServerProcess:
    def __init__(self, data_dir: Path, *, token: str | None = None, max_concurrent: int = 2, port: int = 0) -> None:
        self.data_dir = data_dir
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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ready_read, ready_write = os.pipe()
        environment = {key: value for key, value in os.environ.items() if key != TOKEN_VARIABLE}
        if self._token is not None:
            environment[TOKEN_VARIABLE] = self._token
        command = [
            sys.executable, "-m", "tf_tui", "serve",
            "--host", "127.0.0.1", "--port", str(self._requested_port),
            "--data-dir", str(self.data_dir),
            "--max-concurrent", str(self._max_concurrent),
            "--ready-fd", str(ready_write),
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                pass_fds=(ready_write,), env=environment,
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
