"""Fixtures of the integration tests that run tf-tui as a user would: a process of its own."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.test_headless_cli import cli_environment, tf_tui_command


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`tf-tui --url URL ARGS` in a process, everything it keeps under the test's directory."""

    def run(
        *arguments: str, url: str, timeout: float = 120, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            tf_tui_command(url, *arguments),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=cli_environment(tmp_path, extra_env),
            check=False,
        )

    return run
