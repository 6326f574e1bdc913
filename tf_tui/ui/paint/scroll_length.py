"""A scroll view's new length told to its scrollbar alone, without a layout of the screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView


def tell_scrollbar_only(view: ScrollView, size: Size) -> None:
    """Take `size` as the view's virtual size with no layout: for a view whose height does not follow from
    its length (longer than its room before and after), where a layout of the whole screen changes nothing.
    Only while `reaches` finds the method at start (`Feature.QUIET_SCROLL_LENGTH`)."""
    view.set_reactive(ScrollView.virtual_size, size)
    # Mirrors the last step of the layout that setting `virtual_size` asks for: textual.widget.Widget.
    # _size_updated calls _scroll_update(virtual_size), which sets the scrollbars' window sizes and keeps the
    # scroll within the new length (checked: Textual 8.2.0 and 8.2.8).
    view._scroll_update(size)
