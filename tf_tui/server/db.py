"""The reference server's state in SQLite (WAL): training runs, their metrics, datasets, evaluations and
published talents.

Every change is committed at once, so a restart loses nothing that a client was told about.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    base_model TEXT NOT NULL,
    dataset_ids TEXT NOT NULL,
    params TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    details TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    completed_at TEXT,
    stopped_at TEXT
);
CREATE TABLE IF NOT EXISTS datasets (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    filename TEXT,
    rows INTEGER NOT NULL,
    has_pii INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    elapsed_s REAL,
    loss REAL,
    eval_loss REAL,
    samples_per_s REAL,
    learning_rate REAL,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS thinned_metrics (
    run_id TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS evaluations (
    id TEXT PRIMARY KEY,
    talent_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    test_dataset_id TEXT,
    metrics TEXT NOT NULL,
    methods TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS talents (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    version TEXT NOT NULL,
    metrics TEXT NOT NULL,
    methods TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# A metrics row's values besides its run and step, as the trainer names them in its progress lines.
METRIC_VALUES = ("elapsed_s", "loss", "eval_loss", "samples_per_s", "learning_rate")

_JSON_COLUMNS = ("dataset_ids", "params", "details", "result")
_MEASURED_COLUMNS = ("metrics", "methods")  # evaluations' and talents'


@dataclass
class Run:
    id: str
    base_model: str
    dataset_ids: list[str]
    params: dict[str, Any]
    outcome: str
    status: str
    created_at: str
    progress: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    stopped_at: str | None = None


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    source: str
    rows: int
    has_pii: bool
    path: str
    created_at: str
    filename: str | None = None

    def describe(self) -> dict[str, Any]:
        """The `/datasets/available` entry, with the deployed backend's field names."""
        return {
            "id": self.id,
            "name": self.name,
            "source": self.source,
            "rows": self.rows,
            "pii_masked": self.has_pii,  # what was found was masked on ingest
            "has_pii": self.has_pii,
            "created_at": self.created_at,
        }


@dataclass
class EvaluationRecord:
    id: str
    talent_id: str  # as asked: a run's id or a published talent's
    run_id: str
    test_dataset_id: str | None
    metrics: dict[str, float]
    methods: dict[str, str]  # how each metric was computed, in words
    status: str
    created_at: str


@dataclass
class Talent:
    id: str
    run_id: str
    name: str
    category: str
    version: str
    metrics: dict[str, float]
    methods: dict[str, str]
    status: str
    created_at: str
    updated_at: str


class Database:
    def __init__(self, path: Path) -> None:
        # The server uses it from its event loop thread only; the flag lets tests open it from theirs.
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=NORMAL")
        self._connection.executescript(SCHEMA)

    def close(self) -> None:
        self._connection.close()

    def save_run(self, run: Run) -> None:
        values = dict(vars(run))
        for column in _JSON_COLUMNS:
            values[column] = None if values[column] is None else json.dumps(values[column])
        self._upsert("runs", values)

    def _upsert(self, table: str, values: dict[str, Any]) -> None:
        # Table and column names come from this module's dataclasses, never from a request; values are parameters.
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        updates = ", ".join(f"{name} = excluded.{name}" for name in values if name != "id")
        # An upsert, not INSERT OR REPLACE: a replace deletes the row and gives it a new rowid.
        self._connection.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) ON CONFLICT(id) DO UPDATE SET {updates}", values
        )

    def runs(self, limit: int | None = None) -> list[Run]:
        # rowid is insertion order, which timestamps are not (clock changes, daylight saving).
        # LIMIT -1 is SQLite's "no limit": the one statement takes every value as a parameter.
        rows = self._connection.execute(
            "SELECT * FROM runs ORDER BY rowid DESC LIMIT ?", (-1 if limit is None else limit,)
        )
        return [_run_from(row) for row in rows]

    def run(self, run_id: str) -> Run | None:
        row = self._connection.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _run_from(row)

    def count_runs(self, status: str) -> int:
        count: int = self._connection.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0]
        return count

    def save_metric(self, run_id: str, point: dict[str, Any]) -> None:
        """One step's values (`step` and `METRIC_VALUES`); a step reported again keeps what it said before
        and the new report does not."""
        columns = ", ".join(METRIC_VALUES)
        placeholders = ", ".join(f":{name}" for name in METRIC_VALUES)
        updates = ", ".join(f"{name} = coalesce(excluded.{name}, {name})" for name in METRIC_VALUES)
        self._connection.execute(
            f"INSERT INTO metrics (run_id, step, {columns}) VALUES (:run_id, :step, {placeholders})"
            f" ON CONFLICT(run_id, step) DO UPDATE SET {updates}",
            {"run_id": run_id, **{name: point.get(name) for name in ("step", *METRIC_VALUES)}},
        )

    def metrics(self, run_id: str, after_step: int | None = None) -> list[dict[str, Any]]:
        """A run's stored points in step order, those after `after_step` when given."""
        rows = self._connection.execute(
            f"SELECT step, {', '.join(METRIC_VALUES)} FROM metrics WHERE run_id = ? AND step > ? ORDER BY step",
            (run_id, -1 if after_step is None else after_step),
        )
        return [dict(row) for row in rows]

    def count_metrics(self, run_id: str) -> int:
        count: int = self._connection.execute("SELECT COUNT(*) FROM metrics WHERE run_id = ?", (run_id,)).fetchone()[0]
        return count

    def keep_metrics(self, run_id: str, steps: list[int]) -> None:
        """Drop the run's points at any other step, and remember that it was thinned, in one transaction."""
        with self._connection:  # commits on leaving, or rolls back on an error
            self._connection.execute("BEGIN")
            self._connection.execute(
                "DELETE FROM metrics WHERE run_id = ? AND step NOT IN (SELECT value FROM json_each(?))",
                (run_id, json.dumps(steps)),
            )
            self._connection.execute("INSERT OR IGNORE INTO thinned_metrics (run_id) VALUES (?)", (run_id,))

    def metrics_thinned(self, run_id: str) -> bool:
        row = self._connection.execute("SELECT 1 FROM thinned_metrics WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None

    def save_dataset(self, dataset: Dataset) -> None:
        self._upsert("datasets", {**vars(dataset), "has_pii": int(dataset.has_pii)})

    def datasets(self) -> list[Dataset]:
        rows = self._connection.execute("SELECT * FROM datasets ORDER BY rowid")
        return [Dataset(**{**dict(row), "has_pii": bool(row["has_pii"])}) for row in rows]

    def dataset(self, dataset_id: str) -> Dataset | None:
        row = self._connection.execute("SELECT * FROM datasets WHERE id = ?", (dataset_id,)).fetchone()
        return None if row is None else Dataset(**{**dict(row), "has_pii": bool(row["has_pii"])})

    def save_evaluation(self, evaluation: EvaluationRecord) -> None:
        self._upsert("evaluations", _measured_values(evaluation))

    def latest_evaluation(self, run_id: str) -> EvaluationRecord | None:
        row = self._connection.execute(
            "SELECT * FROM evaluations WHERE run_id = ? ORDER BY rowid DESC LIMIT 1", (run_id,)
        ).fetchone()
        return None if row is None else EvaluationRecord(**_measured_from(row))

    def save_talent(self, talent: Talent) -> None:
        self._upsert("talents", _measured_values(talent))

    def talents(self) -> list[Talent]:
        rows = self._connection.execute("SELECT * FROM talents ORDER BY rowid")
        return [Talent(**_measured_from(row)) for row in rows]

    def talent(self, talent_id: str) -> Talent | None:
        row = self._connection.execute("SELECT * FROM talents WHERE id = ?", (talent_id,)).fetchone()
        return None if row is None else Talent(**_measured_from(row))


def _measured_values(record: EvaluationRecord | Talent) -> dict[str, Any]:
    return {**vars(record), **{column: json.dumps(getattr(record, column)) for column in _MEASURED_COLUMNS}}


def _measured_from(row: sqlite3.Row) -> dict[str, Any]:
    return {**dict(row), **{column: json.loads(row[column]) for column in _MEASURED_COLUMNS}}


def _run_from(row: sqlite3.Row) -> Run:
    values = dict(row)
    for column in _JSON_COLUMNS:
        if values[column] is not None:
            values[column] = json.loads(values[column])
    return Run(**values)
