"""The runs list's filter field: Textual's Input, whose text's length lays out no screen."""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input


class FilterField(Input):
    """Textual's Input sets its virtual width to its text's length at each character, and a widget's virtual
    size asks for a layout of the whole screen when it changes: over ten thousand runs that layout, and the
    diff of the whole screen that follows it, were half of a filter character's frame. The field's size is
    fixed (its height, the screen's width), so its text moves nothing on the screen; its own scroll within
    its width reads the virtual size as before, without the layout."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
