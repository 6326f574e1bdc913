"""The server's state behind its routes: the database, the socket hub, the run metrics and the jobs."""

from __future__ import annotations

import json

from tf_tui.server.clock import now_iso
from tf_tui.server.datasets import BUILTIN_DATASETS, Example, contains_pii
from tf_tui.server.db import Database, Dataset
from tf_tui.server.hub import Hub
from tf_tui.server.jobs import JobManager
from tf_tui.server.metrics import RunMetrics
from tf_tui.server.paths import file_in
from tf_tui.server.settings import ServerSettings


class Services:
    """What the routes use; made when the server starts and closed when it stops."""

    def __init__(self, settings: ServerSettings) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = settings.data_dir
        self.database = Database(settings.data_dir / "talent-factory.db")
        self.hub = Hub()
        self.metrics = RunMetrics(self.database)
        self.jobs = JobManager(self.database, self.hub, settings.data_dir, settings.max_concurrent, self.metrics)
        self.jobs.fail_interrupted_runs()
        for builtin in BUILTIN_DATASETS:
            if self.database.dataset(builtin.id) is None:
                self.store_dataset(
                    builtin.id, builtin.name, "builtin", None, builtin.examples, contains_pii(builtin.examples)
                )

    def store_dataset(
        self,
        dataset_id: str,
        name: str,
        source: str,
        filename: str | None,
        examples: list[Example],
        has_pii: bool,
    ) -> Dataset:
        folder = self.data_dir / "datasets"
        folder.mkdir(parents=True, exist_ok=True)
        path = file_in(folder, dataset_id, ".jsonl")
        dataset = Dataset(
            id=dataset_id,
            name=name,
            source=source,
            filename=filename,
            rows=len(examples),
            has_pii=has_pii,
            path=str(path),
            created_at=now_iso(),
        )
        try:
            path.write_text("".join(json.dumps(example) + "\n" for example in examples), encoding="utf-8")
            self.database.save_dataset(dataset)
        except BaseException:
            # A full disk cut the file short, or the database refused its row: no part of it is kept.
            path.unlink(missing_ok=True)
            raise
        return dataset

    def busy(self) -> bool:
        return bool(self.jobs.active_ids() or self.hub.connections)
