"""Rows written as they come, in CSV, JSON or JSON Lines: what `export` streams, in bounded memory.

JSON is one array, written an element at a time, so that a thousand runs' histories are never held to
make it. In CSV an absent value is an empty cell, and a value of a `nested` column (a run's datasets, its
params: a list or a mapping) is a cell of JSON.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple, TextIO


class RowFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    JSONL = "jsonl"


class EncodedRows(NamedTuple):
    """Rows already encoded in a writer's format, each between what `row_bounds` says goes before and after
    a row: what a history's thousands of rows are written as (see `history_rows`)."""

    text: str
    row_count: int  # how many rows the text holds


def row_bounds(form: RowFormat) -> tuple[str, str]:
    """What goes before and after each encoded row: in JSON the comma and the new line before it (the
    writer leaves out the document's first comma), in CSV and JSON Lines the new line after it."""
    return (",\n", "") if form is RowFormat.JSON else ("", "\n")


class RowWriter:
    """Writes rows of the given columns to `out` in one format; `close` ends the document."""

    def __init__(self, out: TextIO, form: RowFormat, columns: Sequence[str], nested: Sequence[str] = ()) -> None:
        self._out = out
        self._form = form
        self._columns = tuple(columns)
        self._nested = [index for index, column in enumerate(columns) if column in nested]
        self._rows = 0
        self._csv = csv.writer(out, lineterminator="\n") if form is RowFormat.CSV else None
        if self._csv is not None:
            self._csv.writerow(self._columns)
        elif form is RowFormat.JSON:
            out.write("[")

    def write(self, values: Sequence[Any]) -> None:
        """One row: a value for each column, in the columns' order."""
        if self._csv is not None:
            if self._nested:
                values = list(values)
                for index in self._nested:
                    values[index] = None if values[index] is None else json.dumps(values[index])
            self._csv.writerow(values)  # the csv module writes None as an empty cell
        elif self._form is RowFormat.JSON:
            self._out.write(
                ("," if self._rows else "") + "\n" + json.dumps(dict(zip(self._columns, values, strict=True)))
            )
        else:
            self._out.write(json.dumps(dict(zip(self._columns, values, strict=True))) + "\n")
        self._rows += 1

    @property
    def form(self) -> RowFormat:
        return self._form

    def write_encoded(self, rows: EncodedRows) -> None:
        """Rows already encoded in this writer's format (see `EncodedRows`)."""
        if not rows.row_count:
            return
        first_in_json = self._form is RowFormat.JSON and not self._rows
        self._out.write(rows.text[1:] if first_in_json else rows.text)  # the first row has no comma before it
        self._rows += rows.row_count

    def close(self) -> None:
        if self._form is RowFormat.JSON:
            self._out.write("\n]\n" if self._rows else "]\n")
        self._out.flush()
