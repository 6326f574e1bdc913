"""`tf-tui models`: each backend's models with their size and whether they fit its machine.

The same facts as the start dialog's model list, from the same rule (`model_fit`): a model too big for
the machine is listed and marked, never left out.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tf_tui.base.exit_codes import ExitCode
from tf_tui.base.text import printable
from tf_tui.client.api import ApiError
from tf_tui.core.environment import BoxEnvironment, describe_box, parse_environment
from tf_tui.core.fleet import Fleet, as_fleet
from tf_tui.core.model_fit import model_fit, size_text
from tf_tui.core.session import Session

FITS_WORDS = {True: "yes", False: "NO", None: "?"}
PIPED_WIDTH = 500


@dataclass(frozen=True)
class BackendModels:
    models: list[dict[str, Any]]
    box: BoxEnvironment | None
    box_problem: str  # why the machine could not be read; empty when it was


async def _read(session: Session) -> BackendModels:
    """The models and the machine; a machine that cannot be read leaves each model's fit unknown."""
    models = await session.api.models()
    try:
        return BackendModels(models, parse_environment(await session.api.environment()), "")
    except ApiError as error:
        return BackendModels(models, None, str(error))


async def list_models(source: Session | Fleet, as_json: bool, out: TextIO = sys.stdout) -> int:
    """A backend that cannot list its models is said on stderr, the others' are still shown, exit 1 then."""
    fleet = as_fleet(source)
    read = await asyncio.gather(*(_read(fleet.session(name)) for name in fleet.names), return_exceptions=True)
    code = ExitCode.OK
    records: list[dict[str, object]] = []
    boxes: list[tuple[str, BoxEnvironment | None]] = []
    for name, answer in zip(fleet.names, read, strict=True):
        if isinstance(answer, ApiError):
            if fleet.single:
                raise answer
            print(f"tf-tui models: {name}: {answer}", file=sys.stderr)
            code = ExitCode.FAILED
            continue
        if isinstance(answer, BaseException):
            raise answer
        if answer.box_problem:
            print(
                f"tf-tui models: {'' if fleet.single else f'{name}: '}fit unknown: {answer.box_problem}",
                file=sys.stderr,
            )
        boxes.append((name, answer.box))
        records.extend(_record(name, model, answer.box) for model in answer.models)
    if as_json:
        print(json.dumps(records, indent=2), file=out)
        return code
    _print_table(fleet, records, boxes, out)
    return code


def _record(backend: str, model: dict[str, Any], box: BoxEnvironment | None) -> dict[str, object]:
    fit = model_fit(model, box)
    return {
        "backend": backend,
        "id": printable(model.get("id", "")),
        "name": printable(model.get("name", "")),
        "size_gb": model.get("size_gb"),
        "size": size_text(model),
        "min_vram_gb": model.get("min_vram_gb"),
        "fits": fit.fits,
        "fit": fit.reason,
    }


def _print_table(
    fleet: Fleet, records: list[dict[str, object]], boxes: list[tuple[str, BoxEnvironment | None]], out: TextIO
) -> None:
    # Into a pipe or a file, a row is one line whatever its length: a script reads it with grep.
    console = Console(file=out, highlight=False, width=None if out.isatty() else PIPED_WIDTH)
    for name, box in boxes:
        if box is not None:
            where = "Machine" if fleet.single else f"{printable(name, 20)} machine"
            console.print(Text(f"{where}: {describe_box(box, live=False)}"))
    if not records:
        console.print("No models.")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in (() if fleet.single else ("BACKEND",)) + ("ID", "NAME", "SIZE", "FITS", "WHY"):
        table.add_column(column)
    for record in records:
        cells = (
            *(() if fleet.single else (printable(record["backend"], 20),)),
            str(record["id"]),
            str(record["name"]),
            str(record["size"]),
            FITS_WORDS[record["fits"]],  # type: ignore[index]
            str(record["fit"]),
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: server text is never read as markup
    console.print(table)
