"""Every reach into a private Textual or Rich API lives in tf_tui/ui/paint: read from the source (`ast`),
no other module imports a private module of theirs, touches a private name of their objects, or overrides
one of their private methods; and, from the classes themselves, no class outside paint uses a private
name its Textual or Rich base classes use."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap
from functools import cache
from pathlib import Path

from textual.screen import Screen

import tf_tui
import tf_tui.ui

ROOT = Path(tf_tui.__file__).parent
PAINT = ROOT / "ui" / "paint"
UI = ROOT / "ui"
UPSTREAM = ("textual", "rich")
# The private names the dashboard reaches for, as attributes, overridden methods or reflective look-ups.
KNOWN_PRIVATE = {
    "_driver",
    "_compositor",
    "_suggestion",
    "_color_system",
    "__watchers",
    "_display",
    "_handle_exception",
    "_closing",
    "_update_size",
    "_width",
    "_process_line",
}
REFLECTION = {"getattr", "setattr", "hasattr", "delattr"}
IMPORTERS = {"import_module", "__import__"}
# The private names paint's classes override or keep on purpose: the App's methods, the measured Log's.
OVERRIDES = {"_display", "_handle_exception", "_update_size", "_width"}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("__")


def is_upstream_private_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in UPSTREAM and any(is_private(part) for part in parts[1:])


def reaches(source: str, *, in_ui: bool) -> list[str]:
    """What in `source` reaches into Textual's or Rich's private API, as `line: what`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if is_upstream_private_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in UPSTREAM:
            names = [alias.name for alias in node.names]
            if is_upstream_private_module(node.module) or any(is_private(name) for name in names):
                found.append(f"{node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in KNOWN_PRIVATE:
            found.append(f"{node.lineno}: def {node.name} (an override of a private method)")
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            on_itself = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            # In the UI any other object's private name is taken for Textual's: the UI's own helpers are public.
            if node.attr in KNOWN_PRIVATE or (in_ui and not on_itself):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            texts = [arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
            if called in REFLECTION and any(text in KNOWN_PRIVATE or (in_ui and is_private(text)) for text in texts):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
            if called in IMPORTERS and any(is_upstream_private_module(text) for text in texts):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_outside_paint_reaches_into_textual_or_rich_private_api():
    outside = [path for path in ROOT.rglob("*.py") if PAINT not in path.parents]
    assert len(outside) > 50  # the whole package is read, not a folder that moved
    found = {
        str(path.relative_to(ROOT)): hits
        for path in outside
        if (hits := reaches(path.read_text(encoding="utf-8"), in_ui=UI in path.parents))
    }
    assert found == {}, "move these into tf_tui/ui/paint (see its docstring)"


def test_paint_holds_the_reaches_it_is_for():
    """The rule is not met by an empty check: the reaches are found where they are."""
    found = [hit for path in PAINT.rglob("*.py") for hit in reaches(path.read_text(encoding="utf-8"), in_ui=True)]
    for reach in (
        "textual._compositor",
        "_display",
        "_handle_exception",
        "'_driver'",
        "'_suggestion'",
        "'__watchers'",
        "def _update_size",
    ):
        assert any(reach in hit for hit in found), reach


def test_each_kind_of_reach_is_found():
    source = textwrap.dedent(
        """
        import textual._compositor
        from textual._compositor import ChopsUpdate
        from rich._loop import loop_last
        from textual.widgets import _footer
        from textual.app import App
        importlib.import_module("textual._context")

        class Dashboard(App):
            def _display(self, screen, renderable):
                super()._display(screen, renderable)

            def notify_desktop(self):
                self._driver.write("x")
                color = self.console._color_system
                getattr(self, "__watchers", {})
                field._suggestion
        """
    )
    found = reaches(source, in_ui=False)
    for reach in (
        "import textual._compositor",
        "from textual._compositor",
        "from rich._loop",
        "import _footer",
        "textual._context",
        "def _display",
        "super()._display",
        "self._driver",
        "self.console._color_system",
        "'__watchers'",
        "field._suggestion",
    ):
        assert any(reach in hit for hit in found), reach
    assert not any("from textual.app" in hit for hit in found)
    # In the UI, any other object's private name counts; a class's own private names do not.
    assert reaches("widget._layout_cache\nself._rows = []\n", in_ui=True) == ["1: widget._layout_cache"]
    assert reaches("widget._layout_cache\n", in_ui=False) == []


def is_upstream(cls: type) -> bool:
    return cls.__module__.split(".")[0] in UPSTREAM


def ui_classes() -> list[type]:
    """Every class defined in tf_tui.ui that has a Textual or Rich class among its bases."""
    classes: list[type] = []
    for module_info in pkgutil.walk_packages(tf_tui.ui.__path__, "tf_tui.ui."):
        module = importlib.import_module(module_info.name)
        classes += [
            value
            for value in vars(module).values()
            if inspect.isclass(value) and value.__module__ == module.__name__ and any(map(is_upstream, value.__mro__))
        ]
    return classes


def written_private_names(cls: type) -> frozenset[str]:
    """The private names a class's own code uses on `self` or defines (methods, class attributes)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):  # a class made at run time
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            names.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):  # its class attributes
            assigned = [statement for statement in node.body if isinstance(statement, (ast.Assign, ast.AnnAssign))]
            targets = [
                target
                for each in assigned
                for target in (each.targets if isinstance(each, ast.Assign) else [each.target])
            ]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(name for name in names if is_private(name))


@cache
def upstream_private_names(cls: type) -> frozenset[str]:
    """What an upstream class uses privately: in its code, and what its class holds once made."""
    return written_private_names(cls) | {name for name in vars(cls) if is_private(name)}


def shared_private_names(cls: type) -> frozenset[str]:
    """The private names a class of ours uses that its Textual or Rich base classes use too."""
    upstream = frozenset().union(*(upstream_private_names(base) for base in cls.__mro__[1:] if is_upstream(base)))
    return written_private_names(cls) & upstream


def test_no_class_outside_paint_uses_a_private_name_of_its_textual_or_rich_bases():
    """Reading, writing or overriding one of them is a reach as much as any other (a screen that kept its
    title in `self._name` was setting Textual's name of the screen)."""
    classes = ui_classes()
    assert len(classes) > 20
    shared = {
        f"{cls.__module__}.{cls.__qualname__}": names
        for cls in classes
        if (
            names := shared_private_names(cls) - (OVERRIDES if cls.__module__.startswith("tf_tui.ui.paint.") else set())
        )
    }
    assert shared == {}


def test_a_class_that_uses_a_private_name_of_its_bases_is_found():
    class TitledScreen(Screen[None]):
        def __init__(self) -> None:
            super().__init__()
            self._name = "a title"
            self._title_shown = False

    assert shared_private_names(TitledScreen) == {"_name"}
