"""The reference server stays readable: short functions, and modules that import each other one way only."""

from __future__ import annotations

import ast
from pathlib import Path

import tf_tui.server

SERVER = Path(tf_tui.server.__file__).parent
PACKAGE = "tf_tui.server"
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    """Every module of the server package by its dotted name, packages by their `__init__.py`."""
    modules = {}
    for path in sorted(SERVER.rglob("*.py")):
        parts = path.relative_to(SERVER).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((PACKAGE, *parts))] = path
    return modules


def _imported(tree: ast.Module, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The server modules `tree` imports anywhere in it, lazy and type-checking-only imports included."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from package import module` imports the module; `from module import name`, the module.
            names.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names)
    return names & known


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {
        module: _imported(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py", known)
        for module, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in `graph`, as the modules along it, or None when there is none."""
    finished: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in finished:
            return None
        for imported in sorted(graph[module]):
            found = visit(imported, [*path, module])
            if found:
                return found
        finished.add(module)
        return None

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return None


def test_no_function_in_the_server_is_longer_than_a_screen():
    too_long = [
        f"{path.relative_to(SERVER)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path in sorted(SERVER.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert too_long == []


def test_the_server_modules_import_each_other_one_way_only():
    graph = _import_graph()
    assert "tf_tui.server.routes.runs" in graph["tf_tui.server.app"]  # the graph sees imports at all
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_a_cycle_through_a_type_checking_import():
    # What the server once had: the app imported the talent routes, which named the app's Services.
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tf_tui.server.app import Services\n"
    known = {"tf_tui.server.app", "tf_tui.server.talents"}
    graph = {
        "tf_tui.server.app": {"tf_tui.server.talents"},
        "tf_tui.server.talents": _imported(ast.parse(source), "tf_tui.server.talents", False, known),
    }
    assert _cycle(graph) == ["tf_tui.server.app", "tf_tui.server.talents", "tf_tui.server.app"]


def test_no_route_or_service_module_imports_the_app():
    importers = {module for module, imported in _import_graph().items() if "tf_tui.server.app" in imported}
    assert importers == {"tf_tui.server.serve"}
