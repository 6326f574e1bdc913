"""The private names of Textual that the dashboard reaches for, each checked when the app starts.

A Textual release may rename any of them without notice. The check turns off each feature whose names are
not all there, and says in the log which names are missing and what the dashboard does without them: it
then goes Textual's own way (writes whole lines, takes no suggestion with tab...) rather than crashing.
The names were checked against Textual 8.2.0 and 8.2.8 with Rich 14.2.0 and 15.0.0.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Region

log = logging.getLogger(__name__)


class Feature(StrEnum):
    """What the dashboard does through private names, each said as what it is."""

    CHANGED_CELLS = "only the cells that changed are written to the terminal"
    CRASH_REPORT = "a crash's traceback is logged without its local variables"
    TERMINAL_WRITES = "desktop notifications"
    FOOTER_CLEANUP = "the footer frees the keys it drops"
    TAB_COMPLETION = "tab takes a path's suggestion"
    QUIET_SCROLL_LENGTH = "a filter over a long runs list lays out no screen"
    FOOTER_IN_PLACE = "the footer dims and lights its keys without rebuilding them"
    LOG_WIDTHS = "a log's lines are measured as they come, not again in a thread on every write"


@dataclass(frozen=True)
class Reach:
    upstream: str  # the name as Textual spells it, and what of it is used
    feature: Feature
    present: Callable[[App[Any]], bool]  # given the starting app; may raise when the name is gone


def attribute(module: str, path: str) -> Any:
    """`path` (a name, or a class's attribute: `App._display`) of `module`; an exception when it is gone."""
    value: Any = importlib.import_module(module)
    for name in path.split("."):
        value = getattr(value, name)
    return value


def named(module: str, path: str) -> Callable[[App[Any]], bool]:
    """A name is there."""
    return lambda app: attribute(module, path) is not None


def method(module: str, path: str, *parameters: str) -> Callable[[App[Any]], bool]:
    """An overridden method is there and takes what its override takes."""
    return lambda app: list(inspect.signature(attribute(module, path)).parameters) == ["self", *parameters]


def constructed(module: str, name: str, arguments: tuple[object, ...], *attributes: str) -> Callable[[App[Any]], bool]:
    """A class whose objects are read: one made from `arguments` has `attributes`."""
    return lambda app: all(hasattr(attribute(module, name)(*arguments), each) for each in attributes)


def watchers_kept_by_name(app: App[Any]) -> bool:
    """Textual keeps the watchers of a node's attributes on the node, under `__watchers`: a node watched
    through Textual's public `watch` has them there."""
    node = DOMNode()
    node.watch(node, "probed", lambda: None, init=False)
    return isinstance(getattr(node, "__watchers", None), dict)


REACHES = (
    Reach(
        "textual._compositor.CompositorUpdate.render_segments(console)",
        Feature.CHANGED_CELLS,
        method("textual._compositor", "CompositorUpdate.render_segments", "console"),
    ),
    Reach(
        "textual._compositor.LayoutUpdate(strips, region)",
        Feature.CHANGED_CELLS,
        constructed("textual._compositor", "LayoutUpdate", ([], Region()), "strips", "region"),
    ),
    Reach(
        "textual._compositor.ChopsUpdate(chops, spans, chop_ends)",
        Feature.CHANGED_CELLS,
        constructed("textual._compositor", "ChopsUpdate", ([], [], []), "chops", "spans", "chop_ends"),
    ),
    Reach(
        "textual.app.App._display(screen, renderable)",
        Feature.CHANGED_CELLS,
        method("textual.app", "App._display", "screen", "renderable"),
    ),
    Reach(
        "textual.app.App._handle_exception(error)",
        Feature.CRASH_REPORT,
        method("textual.app", "App._handle_exception", "error"),
    ),
    # The driver is None until the app runs: its being kept there is what can be checked at start.
    Reach("textual.app.App._driver", Feature.TERMINAL_WRITES, lambda app: hasattr(app, "_driver")),
    Reach("textual.reactive._watch's __watchers", Feature.FOOTER_CLEANUP, watchers_kept_by_name),
    Reach("textual.message_pump.MessagePump._closing", Feature.FOOTER_CLEANUP, lambda app: hasattr(app, "_closing")),
    Reach("textual.widgets.Input._suggestion", Feature.TAB_COMPLETION, named("textual.widgets", "Input._suggestion")),
    Reach(
        "textual.widget.Widget._scroll_update(virtual_size)",
        Feature.QUIET_SCROLL_LENGTH,
        method("textual.widget", "Widget._scroll_update", "virtual_size"),
    ),
    Reach(
        "textual.widgets._footer.FooterKey(key, key_display, description, action)._disabled",
        Feature.FOOTER_IN_PLACE,
        constructed("textual.widgets._footer", "FooterKey", ("x", "x", "x", "x"), "_disabled"),
    ),
    Reach(
        "textual.widgets._log.Log._update_size(updates, lines)",
        Feature.LOG_WIDTHS,
        method("textual.widgets._log", "Log._update_size", "updates", "lines"),
    ),
    Reach(
        "textual.widgets._log.Log._width",
        Feature.LOG_WIDTHS,
        constructed("textual.widgets._log", "Log", (), "_width"),
    ),
    Reach(
        "textual.widgets._log.Log._process_line(line)",
        Feature.LOG_WIDTHS,
        named("textual.widgets._log", "Log._process_line"),
    ),
)


def present(reach: Reach, app: App[Any]) -> bool:
    try:
        return reach.present(app)
    except Exception:  # a renamed or reshaped name fails its probe in any way at all
        return False


def check(app: App[Any]) -> frozenset[Feature]:
    """The features whose private names are all there; one warning in the log names any that are not."""
    missing = [reach for reach in REACHES if not present(reach, app)]
    if missing:
        # Here: importlib.metadata brings email, csv and zipfile, which a start with every name found never needs.
        from importlib.metadata import version

        log.warning(
            "Textual %s lacks %s, which tf-tui reaches into: Textual's own way is used instead, and these are off: %s",
            version("textual"),
            ", ".join(reach.upstream for reach in missing),
            "; ".join(dict.fromkeys(reach.feature.value for reach in missing)),
        )
    return frozenset(Feature) - {reach.feature for reach in missing}
