"""`tf-tui status|watch|start|stop` over several real reference servers named in the config file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from tests.conftest import ENDLESS_PARAMS, api_client, cli_environment, start_run, wait_for_status
from tests.headless.test_headless_cli import assert_no_traceback


def fleet_cli(tmp_path, backends: dict[str, str]):
    """Runs `tf-tui` with a config file naming these backends (name: URL), and no --url."""
    config = tmp_path / "config.toml"
    config.write_text("".join(f'[[backends]]\nname = "{name}"\nurl = "{url}"\n\n' for name, url in backends.items()))

    def run(*arguments: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tf_tui", *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=cli_environment(tmp_path, {"TF_TUI_CONFIG": str(config)}),
            check=False,
        )

    return run


async def test_status_watch_start_and_stop_work_across_two_backends(server, start_server, tmp_path):
    other = start_server()
    cli = fleet_cli(tmp_path, {"shared": server.url, "own": other.url})
    async with api_client(server.url) as shared_http, api_client(other.url) as own_http:
        on_shared = await start_run(shared_http, **ENDLESS_PARAMS)
        on_own = await start_run(own_http, **ENDLESS_PARAMS)
        try:
            status = cli("status", "--json")
            assert status.returncode == 0, status.stderr
            records = {(record["backend"], record["train_id"]) for record in json.loads(status.stdout)}
            assert {("shared", on_shared), ("own", on_own)} <= records
            assert ("own", on_shared) not in records and ("shared", on_own) not in records

            # No --backend: the run is found on the one backend that knows it.
            stopped = cli("stop", on_own[:8], "--yes")
            assert stopped.returncode == 0 and f"stopped {on_own} on own" in stopped.stdout, stopped.stderr
            await wait_for_status(shared_http, on_shared, {"training"})
            await shared_http.post(f"/train/stop/{on_shared}")

            # The exit status is decided over both runs, and each line names its backend.
            watched = cli("watch", on_shared, on_own)
            assert watched.returncode == 3, watched.stderr
            assert f"shared {on_shared[:8]} stopped" in watched.stdout
            assert f"own {on_own[:8]} stopped" in watched.stdout

            refused = cli("start", "--model", "tiny", "--dataset", "builtin-units")
            assert refused.returncode == 2 and "say which with --backend NAME (shared, own)" in refused.stderr
            started = cli("start", "--backend", "own", "--model", "tiny", "--dataset", "builtin-units",
                          "--param", "max_steps=10000000")  # fmt: skip
            assert started.returncode == 0, started.stderr
            new = started.stdout.strip()
            assert (await own_http.get(f"/train/status/{new}")).status_code == 200
            assert cli("stop", "--backend", "own", new, "--yes").returncode == 0
            unknown = cli("stop", "no-such-run", "--yes")
            assert unknown.returncode == 1 and "no backend knows run 'no-such-run'" in unknown.stderr
            assert_no_traceback(unknown)
        finally:
            for client, train_id in ((shared_http, on_shared), (own_http, on_own)):
                await client.post(f"/train/stop/{train_id}")


async def test_one_run_id_on_two_backends_is_two_runs_and_stop_refuses_to_guess(start_server, tmp_path):
    first = start_server(tmp_path / "first")
    async with api_client(first.url) as http:
        train_id = await start_run(http)
        await wait_for_status(http, train_id, {"completed"})
    first.stop()
    # A copy of the first server's data: the second server knows the very same run id.
    shutil.copytree(tmp_path / "first", tmp_path / "second")
    (tmp_path / "second" / "server.log").unlink()
    first = start_server(tmp_path / "first")
    second = start_server(tmp_path / "second")
    cli = fleet_cli(tmp_path, {"a": first.url, "b": second.url})
    records = json.loads(cli("status", "--json").stdout)
    assert sorted(record["backend"] for record in records if record["train_id"] == train_id) == ["a", "b"]
    refused = cli("stop", train_id[:8], "--yes")
    assert refused.returncode == 2, refused.stderr
    assert f"run '{train_id[:8]}' is known to 2 backends (a, b); say which with --backend NAME" in refused.stderr
    ended = cli("stop", "--backend", "b", train_id, "--yes")
    assert ended.returncode == 1 and "had already ended (completed)" in ended.stderr
