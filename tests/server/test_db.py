"""Every SQL statement takes what it is given as a parameter, never as SQL."""

from __future__ import annotations

from tf_tui.server.db import Database, Dataset, Run


def test_hostile_ids_and_names_are_only_ever_values(tmp_path):
    database = Database(tmp_path / "db.sqlite")
    database.save_run(
        Run(
            id="real",
            base_model="tiny",
            dataset_ids=["d"],
            params={},
            outcome="speed",
            status="pending",
            created_at="t",
        )
    )
    hostile_name = "x'); DROP TABLE runs; --"
    database.save_dataset(
        Dataset(id="d", name=hostile_name, source="upload", rows=1, has_pii=False, path="p", created_at="t")
    )
    for hostile in ("' OR '1'='1", "real' --", 'x"; DROP TABLE runs; --', "real\x00", "d' OR 1=1 --"):
        assert database.run(hostile) is None
        assert database.dataset(hostile) is None
        assert database.count_runs(hostile) == 0
    assert [run.id for run in database.runs(limit=5)] == ["real"]
    assert [run.id for run in database.runs()] == ["real"]
    assert database.dataset("d").name == hostile_name
    database.close()
