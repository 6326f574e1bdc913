"""The headless `evaluate`, `publish` and `talents` commands: a finished run measured, published, and the catalogue.

A backend without the routes (the deployed one answers 404/405) is said in words on stderr, with
`ExitCode.UNSUPPORTED`, and nothing else goes wrong.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tf_tui.base.capabilities import Extension
from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError, RouteMissing
from tf_tui.core.evaluation import Metric
from tf_tui.core.fleet import Fleet
from tf_tui.core.format import short_id
from tf_tui.core.session import Session
from tf_tui.core.talents import (
    Refused,
    Talent,
    catalogue,
    completed_refusal,
    evaluate,
    publish,
    publish_advice,
)


async def evaluate_run(fleet: Fleet, typed_id: str, *, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Measure a completed run. It is read first: the deployed backend answers any id, a run that failed or
    one never heard of, with the same numbers."""
    key = await fleet.locate(typed_id)
    session = fleet.session(key.backend)
    refusal = completed_refusal(await session.read(key.train_id), "evaluated")
    if refusal is not None:
        print(f"tf-tui evaluate: {refusal}", file=sys.stderr)
        return ExitCode.FAILED
    try:
        evaluation = await evaluate(session, key.train_id)
    except RouteMissing:
        return _unsupported("evaluate", session, Extension.EVALUATE)
    if as_json:
        record = {
            "eval_id": evaluation.eval_id,
            "talent_id": evaluation.talent_id,
            "metrics": evaluation.numbers(),
            "methods": {metric.name: metric.method for metric in evaluation.metrics if metric.method},
            "safety_score": evaluation.safety_score,
            "rubric_passed": evaluation.rubric_passed,
        }
        print(json.dumps(record, indent=2), file=out)
        return ExitCode.OK
    print(f"Evaluation of {short_id(key.train_id)}:", file=out)
    _print_table(out, ("METRIC", "VALUE", "HOW"), [_metric_cells(metric) for metric in evaluation.metrics])
    for label, value in evaluation.verdicts():
        print(f"{label.capitalize()}: {value}", file=out)
    return ExitCode.OK


async def publish_run(
    fleet: Fleet, typed_id: str, name: str, category: str, version: str, *, as_json: bool, out: TextIO = sys.stdout
) -> int:
    """Publish a completed run as a talent, with the saved model its status names (`core.talents.publish`)."""
    key = await fleet.locate(typed_id)
    session = fleet.session(key.backend)
    try:
        talent_id = await publish(session, key.train_id, name, category, version)
    except RouteMissing:
        return _unsupported("publish", session, Extension.PUBLISH)
    except Refused as refusal:
        print(f"tf-tui publish: {refusal}", file=sys.stderr)
        return ExitCode.FAILED
    except ApiError as error:
        print(f"tf-tui publish: not published: {error}. {publish_advice(error)}", file=sys.stderr)
        return ExitCode.FAILED
    if as_json:
        print(json.dumps({"status": "published", "talent_id": talent_id}), file=out)
    else:
        print(
            f"Published {printable(name)!r} ({category}, version {printable(version)}) as talent "
            f"{printable(talent_id)}",
            file=out,
        )
    return ExitCode.OK


async def list_talents(fleet: Fleet, *, as_json: bool, out: TextIO = sys.stdout) -> int:
    found: list[tuple[str, Talent]] = []
    lacking = 0
    for name, session in fleet.sessions.items():
        try:
            found += [(name, talent) for talent in await catalogue(session)]
        except RouteMissing:
            lacking += 1
            _unsupported("talents", session, Extension.CATALOGUE, name if not fleet.single else None)
    code = ExitCode.UNSUPPORTED if lacking else ExitCode.OK
    if lacking == len(fleet.sessions):
        return code
    if as_json:
        records = [
            {
                **({} if fleet.single else {"backend": backend}),
                "id": talent.id,
                "name": talent.name,
                "category": talent.category,
                "version": talent.version,
                "metrics": {metric.name: metric.value for metric in talent.metrics},
                "created_at": talent.created_at,
            }
            for backend, talent in found
        ]
        print(json.dumps(records, indent=2), file=out)
        return code
    if not found:
        print("No published talents.", file=out)
        return code
    columns = (() if fleet.single else ("BACKEND",)) + ("ID", "NAME", "CATEGORY", "VERSION", "METRICS")
    rows = [
        (
            *(() if fleet.single else (printable(backend, 20),)),
            short_id(talent.id),
            talent.name,
            talent.category,
            talent.version,
            "  ".join(f"{metric.name}={metric.value:.4g}" for metric in talent.metrics),
        )
        for backend, talent in found
    ]
    _print_table(out, columns, rows)
    return code


def _metric_cells(metric: Metric) -> tuple[str, str, str]:
    return (metric.name, f"{metric.value:.4g}", metric.method or "not said by the server")


def _print_table(out: TextIO, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))  # Text: server text is never read as markup
    Console(file=out, highlight=False).print(table)


def _unsupported(command: str, session: Session, extension: Extension, backend: str | None = None) -> int:
    where = f"{printable(backend)}: " if backend else ""
    print(f"tf-tui {command}: {where}{session.capabilities.missing(extension)}", file=sys.stderr)
    return ExitCode.UNSUPPORTED
