"""The import contracts (pyproject.toml, checked by `make lint`) list modules by name: a new module must
be added to them, or it would slip past every boundary unseen."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import tf_tui

PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"
ENTRY = {"tf_tui.cli", "tf_tui.__main__"}  # start the dashboard and the server: they reach both sides


def _contracts() -> list[dict[str, Any]]:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def _contract(**matching: Any) -> dict[str, Any]:
    (found,) = [c for c in _contracts() if all(c.get(key) == value for key, value in matching.items())]
    return found


def _top_level() -> set[str]:
    return {f"tf_tui.{module.name}" for module in pkgutil.iter_modules(tf_tui.__path__)}


def test_every_module_outside_the_dashboard_is_kept_from_textual():
    sources = _contract(forbidden_modules=["textual"])["source_modules"]
    assert set(sources) == _top_level() - ENTRY - {"tf_tui.ui"}


def test_every_module_but_the_launcher_is_kept_from_the_server_and_its_dependencies():
    sources = _contract(forbidden_modules=["tf_tui.server"], ignore_imports=None)["source_modules"]
    assert set(sources) == _top_level() - ENTRY - {"tf_tui.server", "tf_tui.local_server"}
    without_extra = next(c for c in _contracts() if "fastapi" in c["forbidden_modules"])["source_modules"]
    assert set(without_extra) == _top_level() - ENTRY - {"tf_tui.server"}


# Standard library only and stateless, used by both sides of the contract on purpose.
SHARED_WITH_THE_SERVER = {"tf_tui.downsample"}


def test_the_server_is_kept_from_every_client_module():
    forbidden = _contract(source_modules=["tf_tui.server"])["forbidden_modules"]
    assert set(forbidden) == _top_level() - {"tf_tui.__main__", "tf_tui.server"} - SHARED_WITH_THE_SERVER
