"""The footer's keys dimmed and lit where they are, as Textual's Footer shows a key that cannot act."""

from __future__ import annotations

from rich.console import RenderableType
from textual.widget import Widget

# A key as the footer shows it: the key, as written, its description, its action and its tooltip.
Shown = tuple[str, str, str, str, RenderableType | None]


def relight(footer: Widget, wanted: list[tuple[Shown, bool]]) -> bool:
    """When the footer shows the keys `wanted`, in their order, dim or light each as wanted (True: it can
    act) and say so; otherwise change nothing and return False, for the footer to be rebuilt. Only while
    `reaches` finds the footer's keys as they were (`Feature.FOOTER_IN_PLACE`)."""
    # Private: textual.widgets._footer.FooterKey, the footer's key, which textual.widgets does not export
    # (checked: Textual 8.2.8). Imported here, once the reach is known to be there.
    from textual.widgets._footer import FooterKey

    keys = list(footer.query_children(FooterKey))
    shown = [(key.key, key.key_display, key.description, key.action, key.tooltip) for key in keys]
    if shown != [each for each, _ in wanted]:
        return False
    for key, (_, enabled) in zip(keys, wanted, strict=True):
        # Mirrors textual.widgets._footer.FooterKey.__init__, which keeps whether a key is dimmed in
        # `_disabled` (its on_mouse_down rings the bell for a dimmed key rather than pressing it) and as the
        # class `-disabled`, which dims it (checked: Textual 8.2.8).
        key._disabled = not enabled
        key.set_class(not enabled, "-disabled")
    return True
