"""A script's `if __name__ == "__main__":` block runs as the module is read: a function defined after it does
not exist yet when it runs (a whole `make bench` of 17 minutes once ended in a NameError so). The block is
each module's last statement."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(path for folder in ("bench", "tf_tui", "tools") for path in (REPO / folder).rglob("*.py"))


def _is_main_guard(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.If)
        and isinstance(statement.test, ast.Compare)
        and isinstance(statement.test.left, ast.Name)
        and statement.test.left.id == "__name__"
    )


def test_the_sources_are_found() -> None:
    assert any(path.name == "run.py" and path.parent.name == "bench" for path in SOURCES)


def _statements_after_the_guard(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    guards = [index for index, statement in enumerate(body) if _is_main_guard(statement)]
    return guards not in ([], [len(body) - 1])


def test_the_main_guard_comes_last() -> None:
    assert [str(path.relative_to(REPO)) for path in SOURCES if _statements_after_the_guard(path)] == []
