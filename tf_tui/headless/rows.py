"""Rows written as they come, in CSV, JSON or JSON Lines: what `export` streams, in bounded memory.

JSON is one array, written an element at a time, so that a thousand runs' histories are never held to
make it. In CSV a list or a mapping (a run's datasets, its params) is one cell of JSON; an absent value is
an empty cell.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, TextIO


class RowFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


class RowWriter:
    """Writes rows of the given columns to `out` in one format; `close` ends the document."""

    def __init__(self, out: TextIO, form: RowFormat, columns: Sequence[str]) -> None:
        self._out = out
        self._form = form
        self._columns = tuple(columns)
        self._rows = 0
        self._csv = csv.writer(out, lineterminator="\n") if form is RowFormat.CSV else None
        if self._csv is not None:
            self._csv.writerow(self._columns)
        elif form is RowFormat.JSON:
            out.write("[")

    def write(self, row: Mapping[str, Any]) -> None:
        """One row: its values for the columns, in their order (a column the row lacks is absent)."""
        values = {column: row.get(column) for column in self._columns}
        if self._csv is not None:
            self._csv.writerow(_cell(value) for value in values.values())
        elif self._form is RowFormat.JSON:
            self._out.write(("," if self._rows else "") + "\n" + json.dumps(values))
        else:
            self._out.write(json.dumps(values) + "\n")
        self._rows += 1

    def close(self) -> None:
        if self._form is RowFormat.JSON:
            self._out.write("\n]\n" if self._rows else "]\n")
        self._out.flush()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value)
    return value
