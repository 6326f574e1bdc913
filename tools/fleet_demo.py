"""`make fleet-demo`: three local reference servers, a run going on each, and a dashboard over the three.

The servers live in a temporary directory and are stopped, whatever happens, when the dashboard quits.
"""

from __future__ import annotations

import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx
from platformdirs import user_state_path

from tf_tui.core.config import APP_NAME, Backend, Settings, setup_logging
from tf_tui.core.local_server import ServerProcess
from tf_tui.ui.launch import run_dashboard

BACKENDS = ("gpu1", "gpu2", "cloud")
DEMO_STEPS = 200_000  # long enough to watch, and stopped with the servers anyway


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tf-tui-fleet-") as directory, ExitStack() as servers:
        backends = []
        for name in BACKENDS:
            server = ServerProcess(Path(directory) / name)
            servers.callback(server.stop)
            url = server.start()
            with httpx.Client(base_url=url, trust_env=False) as client:
                client.post(
                    "/train/start",
                    json={
                        "base_model": "tiny",
                        "dataset_ids": ["builtin-arithmetic"],
                        "params": {"max_steps": DEMO_STEPS},
                    },
                ).raise_for_status()
            backends.append(Backend(name, url))
        print(f"tf-tui: started {len(backends)} reference servers in {directory}", file=sys.stderr)
        settings = Settings(
            url=backends[0].url,
            state_file=Path(directory) / "state.json",  # the demo's runs are not remembered after it
            log_file=user_state_path(APP_NAME) / "fleet-demo.log",
            backends=tuple(backends),
        )
        setup_logging(settings)  # never on the screen the dashboard draws
        return run_dashboard(settings).code


if __name__ == "__main__":
    sys.exit(main())
