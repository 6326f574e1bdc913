"""The keys as the user chose them: the config file's `[keys]` checked against the dashboard's bindings,
then handed to Textual's own keymap (`App.set_keymap`), which rebinds every binding with that id.

An action is a binding's id (`Binding("x", "stop", "Stop", id="stop")`): whatever declares bindings with
ids, the app or any of its screens and widgets, is found here, so a binding added anywhere in tf-tui
can be remapped without a list to keep. Bindings that share an id share their keys: `x` stops a run, and
when it cannot, the hidden binding beside it on `x` says why, so both move together.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding, InvalidBinding
from textual.dom import DOMNode
from textual.keys import Keys, format_key
from textual.screen import Screen
from textual.widget import Widget

from tf_tui.core.config import ConfigError
from tf_tui.core.key_choices import KeyChoice
from tf_tui.ui import screens, widgets

# The help screen's module (which reads bindings) and every other screen are imported only when keys are
# checked or listed: the dashboard imports a screen when it opens it, and its first screen waits for none.

# Binding id -> its keys, comma-separated, as `App.set_keymap` takes them.
Keymap = Mapping[str, str]
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
NAMED_KEYS = frozenset(key.value for key in Keys)
KEY_NAMING = (
    "a character (x, X, ?), a named key (f5, escape, enter, space, delete, pageup, up) or either after "
    "modifiers (ctrl+x, alt+shift+left)"
)


@dataclass(frozen=True)
class Action:
    """One action of one part of the dashboard, with its keys (remapped) and what it does."""

    where: str  # "dashboard", or the screen or field it belongs to ("compare screen", "path input field")
    name: str  # the binding's id: the name the config file's [keys] gives it by
    keys: list[str]  # as the help shows them
    description: str


def keyed_classes(app_class: type[App[Any]]) -> list[type[DOMNode]]:
    """The app, then every screen and widget of tf-tui that declares bindings of its own."""
    for package in (screens, widgets):  # the classes are found among those imported
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    found: list[type[DOMNode]] = [app_class]
    pending = [Widget]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("tf_tui.") and "BINDINGS" in cls.__dict__ and cls not in found:
            found.append(cls)
    return [app_class, *sorted(found[1:], key=lambda cls: (cls.__module__, cls.__qualname__))]


def part_name(cls: type[DOMNode]) -> str:
    """How the part a binding belongs to is named: `EventLogScreen` is "event log screen"."""
    if issubclass(cls, App):
        return "dashboard"
    words = " ".join(re.findall(r"[A-Z][a-z0-9]*", cls.__name__.removesuffix("Screen"))).lower()
    return f"{words} screen" if issubclass(cls, Screen) else f"{words} field"


def checked_keymap(choices: Sequence[KeyChoice], app_class: type[App[Any]]) -> dict[str, str]:
    """The keymap the config file's `[keys]` asks for; a ConfigError naming the line for an unknown action, an
    unknown key name, or a key that two actions of one screen would share."""
    if not choices:  # the keys as declared: nothing to check, and no screen to import for it
        return {}
    from tf_tui.ui.screens.help import declared_bindings

    classes = keyed_classes(app_class)
    actions = sorted({binding.id for cls in classes for binding in declared_bindings(cls) if binding.id})
    keymap: dict[str, str] = {}
    where: dict[str, str] = {}
    for choice in choices:
        if choice.action not in actions:
            close = difflib.get_close_matches(choice.action, actions, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{choice.where}: unknown action {choice.action!r}{hint}; the actions are {', '.join(actions)}"
                " (`tf-tui keys` lists them with their keys)"
            )
        keymap[choice.action] = ",".join(_key_name(key, choice) for key in choice.keys)
        where[choice.action] = choice.where
    for cls in classes:
        _check_clashes(cls, keymap, where)
    return keymap


def _key_name(key: str, choice: KeyChoice) -> str:
    """The key as Textual names it (`?` is `question_mark`), or a ConfigError when it names no key."""
    try:
        (binding,) = Binding.make_bindings([Binding(key, choice.action)])
    except (InvalidBinding, ValueError):
        binding = None
    if binding is None or not _is_key(binding.key):
        raise ConfigError(f"{choice.where}: {key!r} for {choice.action} is not a key name; a key is {KEY_NAMING}")
    return binding.key


def _is_key(name: str) -> bool:
    if name in NAMED_KEYS:
        return True
    *modifiers, key = name.split("+")
    if not key or not all(modifier in MODIFIERS for modifier in modifiers):
        return False
    # A character, a named key, or a character's name (`question_mark`, `plus`), which format_key turns back.
    return len(key) == 1 or key in NAMED_KEYS or format_key(key) != key


def _check_clashes(cls: type[DOMNode], keymap: Keymap, where: Mapping[str, str]) -> None:
    """Two actions on one key of one screen: Textual would drop one in silence, so it is refused."""
    from tf_tui.ui.screens.help import declared_bindings

    bindings = declared_bindings(cls)
    if issubclass(cls, App):  # the dashboard's own screen has Textual's keys too (tab moves the focus)
        bindings += declared_bindings(Screen)
    holders: dict[str, Binding] = {}
    for binding in bindings:
        for key in _bound_keys(binding, keymap):
            holder = holders.setdefault(key, binding)
            if holder.action == binding.action or (holder.id is not None and holder.id == binding.id):
                continue
            chosen = [each for each in (holder, binding) if each.id in where]
            if not chosen:  # two of tf-tui's own defaults: Textual's order decides, as it always has
                continue
            other = holder if chosen[-1] is binding else binding
            other_name = other.id or other.description.lower() or other.action
            raise ConfigError(
                f"{where[chosen[-1].id or '']}: {format_key(key)} for {chosen[-1].id} is also the key of"
                f" {other_name} on the {part_name(cls)}; give one of them another key"
            )


def _bound_keys(binding: Binding, keymap: Keymap) -> Iterator[str]:
    if binding.id is not None and binding.id in keymap:
        yield from keymap[binding.id].split(",")
    else:
        yield from (each.key for each in Binding.make_bindings([binding]))


def remapped(bindings: Sequence[Binding], keymap: Keymap) -> list[Binding]:
    """The bindings with the keys the keymap gives them, as Textual binds them."""
    return [
        binding.with_key(keymap[binding.id]) if binding.id is not None and binding.id in keymap else binding
        for binding in bindings
    ]


def actions(app_class: type[App[Any]], keymap: Keymap) -> list[Action]:
    """Every action of the dashboard and its screens, with its keys after the remapping: `tf-tui keys`."""
    from tf_tui.ui.screens.help import declared_bindings, key_names

    listed: list[Action] = []
    for cls in keyed_classes(app_class):
        by_id: dict[str, Action] = {}
        for binding in remapped(declared_bindings(cls), keymap):
            if binding.id is None:
                continue
            action = by_id.setdefault(
                binding.id, Action(part_name(cls), binding.id, [], binding.tooltip or binding.description)
            )
            action.keys.extend(name for name in key_names(binding) if name not in action.keys)
        listed.extend(by_id.values())
    return listed


def keys_listing(app_class: type[App[Any]], keymap: Keymap) -> str:
    """`tf-tui keys`: every action by the part of the dashboard it belongs to, its keys and what it does."""
    listed = actions(app_class, keymap)
    name_width = max(len(action.name) for action in listed)
    keys_width = max(len("  ".join(action.keys)) for action in listed)
    lines: list[str] = []
    parts: dict[str, list[Action]] = {}
    for action in listed:
        parts.setdefault(action.where, []).append(action)
    for where, part in parts.items():
        lines.append(where if not lines else f"\n{where}")
        lines.extend(
            f"  {action.name:<{name_width}}  {'  '.join(action.keys):<{keys_width}}  {action.description}"
            for action in part
        )
    return "\n".join(lines)
