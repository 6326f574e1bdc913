"""The runs list: a line per run under a line of column names, in the order and groups the user chose,
with a cursor and a filter.

One widget draws only the lines in view (Textual's line API): ten thousand runs cost ten thousand small
objects and a sorted list, not ten thousand widgets. A run's change repaints its own line when that line is
in view and shows something else than it last painted; a line out of view costs nothing until it comes into
view. Whatever changes which runs are in view (a scroll, a resize, the filter, the order) is said with
`on_view`, so that what the runs need (their statuses) can be read for those first.

Newest is by the server's own creation (or start) time; the runs whose date is not known yet (listed, not
read yet) come after the dated ones, the last to become known first (`run_order.age_key`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Offset, Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tf_tui.core.run_order import Grouping, Order, RunsView, age_key, group_of, order_key
from tf_tui.core.store import RunState
from tf_tui.ui.paint.app import PaintedApp
from tf_tui.ui.paint.reaches import Feature
from tf_tui.ui.paint.scroll_length import tell_scrollbar_only
from tf_tui.ui.wake_up import WakeUp
from tf_tui.ui.widgets.run_lines import Heading, Line, RowKey, RunLines
from tf_tui.ui.widgets.run_row import Columns, RunRow, header_text, shown_values, shown_values_change_at

HEADER_LINES = 1  # the column names, over the rows: they stay as the rows scroll
STRIPS_KEPT = 256  # lines drawn lately, kept to be shown again: a few screens' worth
# A row kept where it is on the screen while the rows around it move: the row and its line in the viewport.
Anchor = tuple[RowKey, int]


class RunsList(ScrollView, can_focus=True, inherit_bindings=False):
    """The rows, their order, the selection and the filter; the app says which runs changed.

    With several backends, a row is a run of one backend (the same id on two is two rows), and the list
    can be narrowed to one backend (`show_backend`). Its keys are the app's (j, k, page down...): it takes
    none of a scrolling container's own.
    """

    # As a scrolling list's own keys, which the help leaves to Textual: they move the cursor a page at a
    # time, or to the first or last run, and the list follows it.
    BINDINGS = [  # noqa: RUF012 - Textual's declaration style
        Binding("pagedown", "move_page(1)", "Page down", show=False, id="page_down"),
        Binding("pageup", "move_page(-1)", "Page up", show=False, id="page_up"),
        Binding("home", "move_to_end(False)", "First run", show=False, id="first_run"),
        Binding("end", "move_to_end(True)", "Last run", show=False, id="last_run"),
    ]
    COMPONENT_CLASSES = {"runs-list--selected"}  # noqa: RUF012 - Textual's declaration style
    DEFAULT_CSS = """
    RunsList { height: auto; overflow-x: hidden; }
    RunsList > .runs-list--selected { background: $accent 40%; }
    """

    class Selected(Message):
        def __init__(self, train_id: str | None, backend: str | None = None) -> None:
            super().__init__()
            self.train_id = train_id
            self.backend = backend

    def __init__(
        self, clock: Callable[[], float] = time.time, *, backends: Sequence[str] = (), id: str | None = None
    ) -> None:
        """`backends`: the backends followed, in their order, when there are several (the backend order)."""
        super().__init__(id=id)
        self._clock = clock
        self._backend_rank = {name: rank for rank, name in enumerate(backends)}
        self._rows: dict[RowKey, RunRow] = {}
        self._counter = itertools.count()
        self._filter = ""
        self._haystacks: dict[RowKey, str] = {}  # by row: `_haystack`, made again after the row's run changed
        self._backend_shown: str | None = None  # only this backend's runs, or every backend's
        self._settled = False  # the cursor is the user's, or on a run going: the list stops choosing
        self.view = RunsView()
        # Each row's place: what it sorts by, as last worked out, and the lines shown (rows that pass the
        # filter, and group headings).
        self._lines = RunLines()
        self._order_changed = False
        self._lay_out_due = False  # a layout is asked for after this batch of changes
        self._going: dict[RowKey, bool] = {}  # as last seen, for the first selection
        self._default_known = False  # the first selection's candidates are as last worked out
        self._painted: dict[int, Hashable] = {}  # by line of the viewport: what it showed when last rendered
        self._asked: set[int] = set()  # lines of the viewport asked to repaint and not rendered yet
        self._strips: dict[Hashable, Strip] = {}  # lines drawn lately, by what they show (`_signature`)
        self._strips_look: tuple[Style, Style, bool] | None = None  # the styles they were drawn in
        # Told the rows in view whenever they change: the app has their runs' statuses read first.
        self.on_view: Callable[[list[RowKey]], None] = lambda keys: None
        self._told_in_view: list[RowKey] | None = None
        self.selected: RowKey | None = None
        self.columns = Columns()  # sized from every run shown: the rows are repainted when they grow
        # Ages and stale marks change with the time alone: the lines in view are looked at when one is due.
        self._wake_up = WakeUp(self, self._time_turned, clock)

    @property
    def selected_id(self) -> str | None:
        return None if self.selected is None else self.selected[1]

    @property
    def row_count(self) -> int:
        """The rows held, shown or not."""
        return len(self._rows)

    @property
    def shown(self) -> tuple[RowKey, ...]:
        """The rows the filter and the backend shown let through, in their order."""
        self._arrange()
        return tuple(self._lines.shown)

    @property
    def orders(self) -> tuple[Order, ...]:
        """The orders `>` cycles through: by backend only when there are several."""
        return tuple(order for order in Order if order is not Order.BACKEND or len(self._backend_rank) > 1)

    # --- what the app says ---------------------------------------------------------------------

    def show(self, run: RunState, backend: str | None = None) -> None:
        """Add a row for a new run, or repaint the run's row; either way in its place."""
        key = (backend, run.train_id)
        row = self._rows.get(key)
        columns = self.columns.taking(run)
        grew, self.columns = columns is not self.columns, columns
        if row is None:
            row = RunRow(run, backend, next(self._counter))
            self._rows[key] = row
        self._haystacks.pop(key, None)
        # Usually the key is the same (a run's progress in the newest order): the row stays where it is.
        if self._lines.set_key(key, self._sort_key(row)):
            self._order_changed = True
        if self._going.get(key) != run.going:
            self._going[key] = run.going
            self._default_known = False
        if self._order_changed or grew:
            self._lay_out_later()
        else:
            self._repaint_row(key)

    def select_default(self) -> None:
        """Until the user moves the cursor: the newest run going, else the newest run."""
        self._lay_out()
        if self._settled or self._default_known:
            return
        self._default_known = True
        shown = self._lines.shown
        going = next((key for key in shown if self._rows[key].run.going), None)
        target = going or (shown[0] if shown else None)
        self._settled = going is not None
        if target is not None and target != self.selected:
            self._select(target)

    def remove_run(self, train_id: str, backend: str | None = None) -> None:
        """Take a run's row away; the selection moves to the row below it (else above)."""
        key = (backend, train_id)
        if key not in self._rows:
            return
        shown, index = self._lines.shown, self._lines.index(key)
        neighbours = shown[:1] if index is None else [*shown[index + 1 : index + 2], *shown[index - 1 : index]]
        del self._rows[key]
        self._going.pop(key, None)
        self._haystacks.pop(key, None)
        self._lines.remove(key)
        if self.selected == key:
            self.selected = None
            self._settled = True
            self._lay_out(force=True)
            self._select(neighbours[0] if neighbours else None)
        else:
            self._lay_out(force=True)

    def set_marked(self, key: RowKey, marked: bool) -> None:
        row = self._rows.get(key)
        if row is not None and row.marked != marked:
            row.marked = marked
            self._repaint_row(key)

    def prepare_filter(self) -> None:
        """Make every row's text to look in now (the filter field opens): the first character's pass over
        ten thousand rows then only looks, where making them all was most of its time on the key's path."""
        for key, row in self._rows.items():
            if key not in self._haystacks:
                self._haystacks[key] = self._haystack(row)

    def set_filter(self, text: str) -> None:
        self._filter = text.strip().lower()
        self._refilter()

    def show_backend(self, backend: str | None) -> None:
        """Only this backend's runs, or (None) every backend's."""
        self._backend_shown = backend
        self._refilter()

    def set_view(self, view: RunsView) -> None:
        """Another order or grouping: the selected run stays selected, and in view."""
        if view == self.view:
            return
        self.view = view
        for key, row in self._rows.items():
            self._lines.set_key(key, self._sort_key(row))
        self._order_changed = True
        self._lay_out(force=True)
        if self.selected is not None:
            self._scroll_to_row(self.selected, centre=True)

    def _refilter(self) -> None:
        self._lay_out(force=True)
        if self.selected is not None and self._lines.index(self.selected) is None:
            shown = self._lines.shown
            self._select(shown[0] if shown else None)

    # --- the cursor ----------------------------------------------------------------------------

    def move(self, delta: int) -> None:
        """The cursor `delta` rows down (up when negative), stopping at the ends."""
        self._lay_out()
        shown = self._lines.shown
        if not shown:
            return
        index = None if self.selected is None else self._lines.index(self.selected)
        index = -delta if index is None else index
        self._settled = True
        self._select(shown[max(0, min(len(shown) - 1, index + delta))])

    def action_move_page(self, pages: int) -> None:
        self.move(pages * max(1, self._rows_in_view_count() - 1))

    def action_move_to_end(self, last: bool) -> None:
        self.move(len(self._rows) if last else -len(self._rows))

    def select(self, train_id: str | None, backend: str | None = None) -> None:
        """The user's choice (or their action's): from now on the list does not choose for them.
        Without a backend, the first row of that run id on any backend."""
        self._lay_out()
        self._settled = True
        self._select(None if train_id is None else self._key_of(train_id, backend))

    def _key_of(self, train_id: str, backend: str | None) -> RowKey:
        """The row of that run on that backend; without one, the first row of that run id on any backend."""
        key: RowKey = (backend, train_id)
        if backend is None and key not in self._rows:
            key = next((row for row in self._rows if row[1] == train_id), key)
        return key

    def _select(self, key: RowKey | None) -> None:
        previous = self.selected
        self.selected = key if key in self._rows else None
        for each in (previous, self.selected):
            if each is not None:
                self._repaint_row(each)
        if self.selected is not None:
            self._scroll_to_row(self.selected)
        backend, train_id = self.selected or (None, None)
        self.post_message(self.Selected(train_id, backend))

    def on_click(self, event: events.Click) -> None:
        """A click on a run's row selects it."""
        line = self._line_at(event.get_content_offset(self))
        if line is not None and not isinstance(line, Heading):
            self._settled = True
            self._select(line)

    # --- where the rows are --------------------------------------------------------------------

    def key_at(self, y: int) -> RowKey | None:
        """The run whose row is on line `y` of the list's viewport (0 is the column names), if any."""
        line = self._line_at_viewport(y)
        return None if line is None or isinstance(line, Heading) else line

    def row_region(self, train_id: str, backend: str | None = None) -> Region | None:
        """Where on the screen the run's row is; None while it is not in view. Without a backend, the run's
        row on any backend."""
        line = self._lines.line_of(self._key_of(train_id, backend))
        top = int(self.scroll_y)
        if line is None or not top <= line < top + self._rows_in_view_count():
            return None
        content = self.scrollable_content_region
        return Region(content.x, content.y + HEADER_LINES + line - top, content.width, 1)

    def _line_at(self, offset: Offset | None) -> Line | None:
        return None if offset is None else self._line_at_viewport(offset.y)

    def _line_at_viewport(self, y: int) -> Line | None:
        return self._lines.line(int(self.scroll_y) + y - HEADER_LINES) if y >= HEADER_LINES else None

    def _rows_in_view_count(self) -> int:
        return max(0, self.scrollable_content_region.height - HEADER_LINES)

    def _scroll_to_row(self, key: RowKey, *, centre: bool = False) -> None:
        line = self._lines.line_of(key)
        if line is None:
            return
        height, top = self._rows_in_view_count(), int(self.scroll_y)
        if centre and not top <= line < top + height:
            self.scroll_to(y=max(0, line - height // 2), animate=False, immediate=True)
        elif line < top:  # with its group's heading, when it is the group's first row
            heading = isinstance(self._lines.line(line - 1), Heading)
            self.scroll_to(y=line - heading, animate=False, immediate=True)
        elif line >= top + height:
            self.scroll_to(y=line - height + 1, animate=False, immediate=True)

    # --- the order and the lines ---------------------------------------------------------------

    def _sort_key(self, row: RunRow) -> tuple[Any, ...]:
        run, view = row.run, self.view
        rank = self._backend_rank.get(row.backend or "", 0)
        return (*group_of(view.grouping, run), *order_key(view.order, run, rank), *age_key(run, row.known_order))

    def _lay_out_later(self) -> None:
        """After this batch of changes (the app shows every changed run, then asks for the first selection),
        or at the next paint, whichever comes first: once for the batch."""
        if not self._lay_out_due:
            self._lay_out_due = True
            self.call_later(self._lay_out)

    def _lay_out(self, *, force: bool = False) -> None:
        """The lines brought up to date, then the lines in view repainted where they changed. When no row
        moved and the columns kept their widths, the lines in view are not looked at: each run that changed
        repainted its own line as it was shown (`show`), and walking every line in view at each paint was
        half the cost of a paint at 100 runs."""
        due, self._lay_out_due = self._lay_out_due, False
        if self._arrange(force=force) or due:
            self._check_view()

    def _arrange(self, *, force: bool = False) -> bool:
        """The lines, from the rows in their order: the rows whose place may have changed moved, every row
        filtered again only when `force`d (the filter, the backend shown, the order changed). A row the
        user sees stays where it is on the screen as the rows above it come and go (`_anchor`). Whether
        the lines were arranged again."""
        if not (force or self._order_changed):
            return False
        anchor = self._anchor() if self._order_changed else None
        self._order_changed = False
        grouped = self.view.grouping is not Grouping.NONE
        self._lines.arrange(self._matches, everything=force, grouped=grouped)
        self._default_known = False
        self._set_virtual_size(Size(0, len(self._lines) + HEADER_LINES))
        if anchor is not None:
            self._keep_in_place(anchor)
        return True

    def _set_virtual_size(self, size: Size) -> None:
        """The lines' count, said to the scrollbar; the screen laid out again only when the list's height
        follows from it. A list longer than its room both before and after (a filter character over
        thousands of runs) keeps its height: a layout of the whole screen at each character would change
        nothing on it but cost a frame."""
        if self.virtual_size == size:
            return
        room = self.scrollable_content_region.height
        app = self.app
        quiet = isinstance(app, PaintedApp) and Feature.QUIET_SCROLL_LENGTH in app.paint_features
        if quiet and room and self.virtual_size.height > room and size.height > room:
            tell_scrollbar_only(self, size)
        else:
            self.virtual_size = size

    def _anchor(self) -> Anchor | None:
        """The row to keep on its line of the screen: the selected one when in view, else the top row. At
        the top of the list, none but the selected row: the list stays at the top, where new runs come in."""
        top, height = int(self.scroll_y), self._rows_in_view_count()
        line = None if self.selected is None else self._lines.line_of(self.selected)
        if self.selected is not None and line is not None and top <= line < top + height:
            return self.selected, line - top
        first = next((key for key in self._lines.lines(top, top + height) if not isinstance(key, Heading)), None)
        line = None if first is None else self._lines.line_of(first)
        return None if top == 0 or first is None or line is None else (first, line - top)

    def _keep_in_place(self, anchor: Anchor) -> None:
        key, offset = anchor
        line = self._lines.line_of(key)
        if line is None:
            return
        top = int(self.scroll_y)
        if top == 0 and key == self.selected:  # the list stays at the top while the selected row is in view
            self._scroll_to_row(key)
        elif line - offset != top:
            self.scroll_to(y=max(0, line - offset), animate=False, immediate=True)

    def _matches(self, key: RowKey) -> bool:
        """Whether the row passes the filter and the backend shown: a filter character asks it of every row,
        so a row's text to look in is kept from one character to the next."""
        if self._backend_shown is not None and key[0] != self._backend_shown:
            return False
        if not self._filter:
            return True
        haystack = self._haystacks.get(key)
        if haystack is None:
            haystack = self._haystacks[key] = self._haystack(self._rows[key])
        return self._filter in haystack

    @staticmethod
    def _haystack(row: RunRow) -> str:
        """What the filter looks in: the row's backend, run id, model and status, in lower case."""
        run = row.run
        return " ".join(filter(None, (row.backend, run.train_id, run.base_model, run.status))).lower()

    # --- painting ------------------------------------------------------------------------------

    def _signature(self, y: int, now: float) -> Hashable:
        """What line `y` of the viewport shows, in values cheaper to make and compare than its text."""
        width = self.scrollable_content_region.width
        if y < HEADER_LINES:
            return "header", width, self.columns, self.view.order
        line = self._line_at_viewport(y)
        if line is None or isinstance(line, Heading):
            return line, width
        row = self._rows[line]
        return line, width, self.columns, row.marked, line == self.selected, shown_values(row.run, now)

    def _repaint_row(self, key: RowKey) -> None:
        """Repaint a row's line if it is shown, in view, and shows something else than it last painted."""
        line = self._lines.line_of(key)
        if line is None:
            return
        y = line - int(self.scroll_y) + HEADER_LINES
        if HEADER_LINES <= y < self.scrollable_content_region.height:
            self._repaint_if_changed(y, self._clock())

    def _repaint_if_changed(self, y: int, now: float) -> None:
        if y in self._asked or self._painted.get(y) == self._signature(y, now):
            return
        self._asked.add(y)  # not asked again before it is painted: the paint shows the latest anyway
        self.refresh(Region(0, y, self.size.width, 1))

    def _check_view(self) -> None:
        """Repaint the lines in view that show something else than they last painted (rows moved, runs
        changed), and say which runs are in view when that changed."""
        now = self._clock()
        for y in range(self.scrollable_content_region.height):
            self._repaint_if_changed(y, now)
        self._say_in_view()

    def _time_turned(self) -> None:
        """An age or a stale mark in view is due to change: the lines that changed repainted, and a wake-up
        set for the next such moment of the lines in view."""
        self._check_view()
        now = self._clock()
        for y in range(HEADER_LINES, self.scrollable_content_region.height):
            line = self._line_at_viewport(y)
            if line is not None and not isinstance(line, Heading):
                self._wake_up.by(shown_values_change_at(self._rows[line].run, now))

    def _say_in_view(self) -> None:
        """Tell `on_view` the runs in view, top to bottom, when they changed (a scroll, a resize, the filter,
        the order, runs that came or went)."""
        top = int(self.scroll_y)
        lines = self._lines.lines(top, top + self._rows_in_view_count())
        in_view = [line for line in lines if not isinstance(line, Heading)]
        if in_view != self._told_in_view:
            self._told_in_view = in_view
            self.on_view(in_view)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)  # repaints every line
        if int(old_value) != int(new_value):
            self._asked.clear()  # every line is painted again: none is left waiting
            self._say_in_view()

    def on_resize(self, event: events.Resize) -> None:
        # Textual repaints every line at a new size, and may have done so before this event comes: a line
        # asked for before may no longer be there to be painted.
        self._asked.clear()
        self._say_in_view()

    def render_line(self, y: int) -> Strip:
        self._arrange()
        now = self._clock()
        signature = self._signature(y, now)
        self._painted[y] = signature
        self._asked.discard(y)
        # A line is drawn again from its text only when it shows something not drawn lately: a scroll by a
        # line (the list keeping the selected row in place as rows above it move) draws one new line.
        look = (self.rich_style, self.get_component_rich_style("runs-list--selected"), self.app.no_color)
        if look != self._strips_look or len(self._strips) > STRIPS_KEPT:
            self._strips_look, self._strips = look, {}
        strip = self._strips.get(signature)
        if strip is None:
            strip = self._strips[signature] = self._draw_line(y, now)
        return strip

    def _draw_line(self, y: int, now: float) -> Strip:
        width = self.scrollable_content_region.width
        style = self.rich_style
        if y < HEADER_LINES:
            text = header_text(width - 1, self.columns, backend=len(self._backend_rank) > 1, order=self.view.order)
        else:
            line = self._line_at_viewport(y)
            if line is None:
                return Strip.blank(width, style)
            if isinstance(line, Heading):
                text = line.text(width - 1)
            else:
                if line == self.selected:
                    style = self.get_component_rich_style("runs-list--selected")
                run_row = self._rows[line]
                text = run_row.text(width - 1, now, self.columns, no_color=self.app.no_color)
                self._wake_up.by(shown_values_change_at(run_row.run, now))
        # Up to the last cell, the row's margin on the right: the rest in the row's background, as Textual pads.
        text.truncate(width - 1, overflow="ellipsis")
        strip = Strip(list(Segment.apply_style(text.render(self.app.console), style)))
        return strip.extend_cell_length(width, Style(bgcolor=style.bgcolor))
