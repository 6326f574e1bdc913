"""Every headless command against a plain web server (`python3 -m http.server`): it is named as not Talent
Factory, with what it answered, and the command exits 6; against a backend like the deployed one, never."""

from __future__ import annotations

import asyncio

import pytest

from tests.plain_web_server import plain_web_server
from tests.scripted_backend import running_backend
from tf_tui.base.exit_codes import ExitCode
from tf_tui.core.state import StateFile

RUN = "0123456789abcdef0123456789abcdef"
COMMANDS = {
    "status": ("status",),
    "models": ("models",),
    "datasets": ("datasets",),
    "upload": ("dataset", "upload", "{data}"),
    "start": ("start", "--model", "tiny", "--dataset", "builtin-arithmetic"),
    "stop": ("stop", RUN, "--yes"),
    "watch": ("watch", RUN, "--timeout", "30"),
    "logs": ("logs", RUN),
    "metrics": ("metrics", RUN),
    "evaluate": ("evaluate", RUN),
    "talents": ("talents",),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_names_a_plain_web_server_and_exits_6(cli, tmp_path, command):
    data = tmp_path / "notes.txt"
    data.write_text("A passage.")
    with plain_web_server(tmp_path) as web:
        result = cli(*(part.format(data=data) for part in COMMANDS[command]), url=web.url, timeout=60)
    assert result.returncode == ExitCode.NOT_TALENT_FACTORY, result.stderr
    assert "is not a Talent Factory backend: GET /health answered HTTP 404, File not found" in result.stderr
    assert "gave up" not in result.stderr and "Traceback" not in result.stderr


def test_watch_of_a_remembered_run_names_a_plain_web_server_at_once(cli, tmp_path):
    with plain_web_server(tmp_path) as web:
        StateFile(tmp_path / "state.json").add_many(web.url, [RUN])
        result = cli("watch", "--timeout", "30", url=web.url, timeout=60)
    assert result.returncode == ExitCode.NOT_TALENT_FACTORY, result.stderr
    assert "not a Talent Factory backend: GET /health answered HTTP 404" in result.stderr
    assert "gave up" not in result.stderr


async def test_a_backend_like_the_deployed_one_is_never_named_so(cli):
    async with running_backend() as backend:
        backend.status_bodies[RUN] = {"status": "training", "progress": 5}
        # In threads: the backend answers in this test's event loop while the commands run.
        status, metrics = await asyncio.gather(
            asyncio.to_thread(cli, "status", url=backend.url), asyncio.to_thread(cli, "metrics", RUN, url=backend.url)
        )
    assert status.returncode == ExitCode.OK, status.stderr
    assert metrics.returncode == ExitCode.UNSUPPORTED  # its extension is absent: said as such
    assert "does not offer a run's metrics history" in metrics.stderr
    for result in (status, metrics):
        assert "not a Talent Factory backend" not in result.stderr
