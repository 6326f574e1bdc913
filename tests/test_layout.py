"""The layout tells the architecture: the root of tf_tui holds only entry points, every other module sits in
a package that is a layer of the import-linter contract, and each package states its rule once, in an
`__init__.py` that imports nothing (so that `tf-tui --help` loads no more than it needs)."""

from __future__ import annotations

import ast
import pkgutil
import tomllib
from pathlib import Path

import tf_tui

PACKAGE = Path(tf_tui.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"
ENTRY_POINTS = {"cli", "__main__"}


def _layers() -> list[str]:
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    (layers,) = [contract for contract in contracts if contract["type"] == "layers"]
    assert layers["containers"] == ["tf_tui"]
    assert layers["exhaustive"] is True
    return [name.strip() for layer in layers["layers"] for name in layer.split("|")]


def _packages() -> list[Path]:
    return sorted(path.parent for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE)


def test_the_root_holds_only_entry_points_and_packages():
    modules = {module.name for module in pkgutil.iter_modules(tf_tui.__path__) if not module.ispkg}
    assert modules == ENTRY_POINTS


def test_every_top_level_package_is_a_layer():
    packages = {module.name for module in pkgutil.iter_modules(tf_tui.__path__) if module.ispkg}
    assert packages | ENTRY_POINTS == set(_layers())


def test_each_package_states_its_rule_and_imports_nothing():
    for package in _packages():
        tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{package.name}/__init__.py says nothing of its package"
        imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
        assert imports == [], f"{package.name}/__init__.py imports: the --help path would load them"


def test_the_import_contracts_stay_short():
    text = PYPROJECT.read_text(encoding="utf-8")
    section = text[text.index("[tool.importlinter]") : text.index("[tool.mypy]")]
    assert len(section.splitlines()) < 60
    assert "ignore_imports" not in section
