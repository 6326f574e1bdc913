"""Where the dashboard's CPU time and terminal bytes go: tf-tui on a real pseudo-terminal, fed by a load server.

    .venv/bin/python bench/render_profile.py RUNS RATE [--warmup S] [--window S] [--spy OUT] [--lines]

Starts a small load server (RUNS runs, RATE `training_update` frames a second spread over them), then
`tf-tui --url` on a 120x40 pseudo-terminal. After the warm-up it measures, over the window: the
dashboard's CPU (user + system, % of one core), the bytes it wrote to the terminal, and optionally a
py-spy profile of those seconds (`--spy`, collapsed stacks; summarised by function) and the bytes per
screen line (`--lines`, from the cursor moves Textual writes before each run of cells).
    .venv/bin/python bench/render_profile.py first-frame [REPEATS]

times the first screen showing all 5 runs of a load server, against a bare Textual app (one `Static`)
started alternately in the same loop. This attributes costs; the figures of record come from `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import fcntl
import json
import os
import pty
import re
import select
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pyte
import uvicorn
from fastapi import FastAPI, WebSocket
from starlette.websockets import WebSocketDisconnect

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
CURSOR_MOVE = re.compile(rb"\x1b\[(\d+);\d+H")


def serve(runs: int, rate: float, port: int) -> None:
    """The load server: every run is active and training; frames go out at RATE, round-robin."""
    ids = [f"{index:08x}-0000-4000-8000-{index:012x}" for index in range(runs)]
    steps = dict.fromkeys(ids, 0)
    app = FastAPI()

    @app.get("/train/active")
    async def active() -> dict[str, object]:
        return {"active_trainings": ids, "count": len(ids)}

    @app.get("/dashboard")
    async def dashboard() -> dict[str, object]:
        return {"talent_count": 0, "dataset_count": 0, "recent_runs": [], "active_training": len(ids)}

    @app.get("/train/status/{train_id}")
    async def status(train_id: str) -> dict[str, object]:
        step = steps.get(train_id, 0)
        return {"status": "training", "progress": step // 10 % 100, "base_model": "tiny", "started_at": "2026-11-29"}

    async def pump(socket: WebSocket, wanted: set[str]) -> None:
        sent, began = 0, time.perf_counter()
        while rate > 0:
            sent += 1
            train_id = ids[sent % runs]
            if train_id in wanted:
                steps[train_id] += 1
                step = steps[train_id]
                details = {"step": step, "total_steps": 100_000, "loss": 4.0 / (1 + step), "eta_s": 100_000 - step}
                data = {"progress": step // 10 % 100, "status": "training", "details": details}
                frame = {"type": "training_update", "train_id": train_id, "timestamp": "2026-11-29T02:00:00"}
                await socket.send_text(json.dumps({**frame, "data": data}))
            await asyncio.sleep(max(0.0, began + sent / rate - time.perf_counter()))
        await asyncio.Event().wait()

    @app.websocket("/ws")
    async def stream(socket: WebSocket) -> None:
        await socket.accept()
        wanted: set[str] = set()
        task = asyncio.create_task(pump(socket, wanted))
        try:
            while True:
                message = json.loads(await socket.receive_text())
                if message.get("type") == "subscribe_training":
                    wanted.add(message["train_id"])
                    reply = {"type": "subscription_confirmed", "train_id": message["train_id"], "status": "subscribed"}
                    await socket.send_text(json.dumps(reply))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            task.cancel()

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, deadline_s: float = 60.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the load server did not listen on {port}")


def read_for(fd: int, seconds: float, sink: bytearray | None = None) -> int:
    """Drain the terminal for this long; the bytes read (kept in sink if given)."""
    total, end = 0, time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            total += len(chunk)
            if sink is not None:
                sink.extend(chunk)
    return total


def bytes_per_line(output: bytes) -> list[tuple[int, int, int]]:
    """(screen line, bytes, writes), most bytes first."""
    parts = CURSOR_MOVE.split(output)
    written: collections.Counter[int] = collections.Counter()
    writes: collections.Counter[int] = collections.Counter()
    for index in range(1, len(parts), 2):
        line = int(parts[index])
        written[line] += len(parts[index + 1]) + 8
        writes[line] += 1
    return [(line, count, writes[line]) for line, count in written.most_common()]


def summarise_profile(path: str, top: int = 40) -> list[tuple[float, str]]:
    """Inclusive share of samples per function, from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for row in Path(path).read_text().splitlines():
        stack, _, count = row.rpartition(" ")
        total += int(count)
        for frame in {re.sub(r":\d+\)", ")", frame) for frame in stack.split(";")}:
            inclusive[frame] += int(count)
    return [(100 * count / max(1, total), frame) for frame, count in inclusive.most_common(top)]


def dashboard_environment(scratch: str) -> dict[str, str]:
    """A terminal that speaks colour, and tf-tui's files in a scratch directory."""
    return {
        **os.environ,
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "TF_TUI_STATE_FILE": f"{scratch}/state.json",
        "TF_TUI_LOG_FILE": f"{scratch}/tf-tui.log",
        "TF_TUI_CONFIG": f"{scratch}/none.toml",
    }


def measure(args: argparse.Namespace) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "serve", str(args.runs), str(args.rate), str(port)])
    environment = dashboard_environment(tempfile.mkdtemp())
    try:
        wait_for_port(port)
        command = [sys.executable, "-m", "tf_tui", "--url", f"http://127.0.0.1:{port}"]
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(ROOT)
            os.execvpe(command[0], command, environment)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        read_for(fd, args.warmup)
        spy = None
        if args.spy:
            spy_command = [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "-r", "100"]
            spy_command += ["-f", "raw", "-o", args.spy, "--pid", str(pid), "--duration", str(int(args.window))]
            spy = subprocess.Popen(spy_command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        process = psutil.Process(pid)
        before, began = process.cpu_times(), time.monotonic()
        output = bytearray()
        written = read_for(fd, args.window, output)
        after, elapsed = process.cpu_times(), time.monotonic() - began
        cpu = (after.user + after.system - before.user - before.system) / elapsed * 100
        print(f"{args.runs} runs, {args.rate:g} updates/s: CPU {cpu:.1f}% of a core, {written / elapsed:,.0f} B/s")
        if args.lines:
            for line, count, writes in bytes_per_line(bytes(output))[:20]:
                print(f"  screen line {line:>2}: {count / elapsed:8,.0f} B/s in {writes / elapsed:5.1f} writes/s")
        if spy is not None:
            spy.wait()
            for share, frame in summarise_profile(args.spy, args.top):
                print(f"  {share:5.1f}%  {frame[:140]}")
        os.kill(pid, signal.SIGTERM)
        read_for(fd, 2)
        os.waitpid(pid, 0)
    finally:
        server.terminate()
        server.wait()


BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare app ready")

Bare().run()
"""


def seconds_to_screen(command: list[str], environment: dict[str, str], ready: Callable[[str], bool]) -> float:
    """From the exec to the first screen (as a terminal emulator reads it) on which `ready` holds."""
    began = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execvpe(command[0], command, environment)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    screen = pyte.Screen(*SIZE)
    stream = pyte.ByteStream(screen)
    took = float("nan")
    while time.perf_counter() - began < 60:
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            stream.feed(os.read(fd, 65536))
        except OSError:
            break
        if ready("\n".join(screen.display)):
            took = time.perf_counter() - began
            break
    os.kill(pid, signal.SIGTERM)
    read_for(fd, 2)
    os.waitpid(pid, 0)
    return took


def first_frame(repeats: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "serve", "5", "0", str(port)])
    scratch = tempfile.mkdtemp()
    environment = dashboard_environment(scratch)
    bare = Path(scratch) / "bare.py"
    bare.write_text(BARE_APP)
    short_ids = [f"{index:08x}" for index in range(5)]
    dashboard = [sys.executable, "-m", "tf_tui", "--url", f"http://127.0.0.1:{port}"]
    try:
        wait_for_port(port)
        bare_times, dashboard_times = [], []
        for _ in range(repeats):
            bare_times.append(seconds_to_screen([sys.executable, str(bare)], environment, lambda s: "ready" in s))
            shown = seconds_to_screen(dashboard, environment, lambda s: all(short in s for short in short_ids))
            dashboard_times.append(shown)
    finally:
        server.terminate()
        server.wait()

    def spread(times: list[float]) -> str:
        return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"

    print(f"bare Textual app: {spread(bare_times)}")
    print(f"tf-tui, 5 runs:   {spread(dashboard_times)}")
    print(f"ratio of medians: {statistics.median(dashboard_times) / statistics.median(bare_times):.2f}x")


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
        return
    if sys.argv[1:2] == ["first-frame"]:
        first_frame(int(sys.argv[2]) if len(sys.argv) > 2 else 5)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int)
    parser.add_argument("rate", type=float, help="training_update frames a second, over all runs")
    parser.add_argument("--warmup", type=float, default=12.0, help="seconds before measuring (listing, reads)")
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured")
    parser.add_argument("--spy", metavar="OUT", help="py-spy the window into OUT (collapsed stacks)")
    parser.add_argument("--top", type=int, default=40, help="functions shown from the profile")
    parser.add_argument("--lines", action="store_true", help="bytes written per screen line")
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
