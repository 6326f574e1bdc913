"""The results as one markdown table (figure | tf-tui | minimal | naive | tf-tui ÷ minimal | target | met?),
each value the median over repeats with the min and max, and the marked section of docs/PERFORMANCE.md
it is written into."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
CLIENT_NAMES = ("tf-tui", "minimal", "naive")


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Part:
    """One number of a figure, per client, over the repeats (an empty list: not measured for that client)."""

    values: dict[str, list[float]]
    unit: str = ""
    digits: int = 0

    def median(self, client: str) -> float:
        values = self.values.get(client) or []
        return statistics.median(values) if values else math.nan

    def cell(self, client: str) -> str:
        values = [value for value in self.values.get(client) or [] if not math.isnan(value)]
        if not values:
            return "—"
        middle = _number(statistics.median(values), self.digits)
        spread = (
            f" ({_number(min(values), self.digits)}-{_number(max(values), self.digits)})" if len(values) > 1 else ""
        )
        return f"{middle}{spread}{self.unit}"


@dataclass(frozen=True)
class Figure:
    name: str
    parts: Sequence[Part]
    target: str
    met: Callable[[list[float]], bool | None]  # on tf-tui's medians, one per part; None: nothing to judge
    joiner: str = " / "

    def row(self) -> list[str]:
        cells = [self.joiner.join(part.cell(client) for part in self.parts) for client in CLIENT_NAMES]
        ratio = " / ".join(_ratio(part.median("tf-tui"), part.median("minimal")) for part in self.parts)
        verdict = self.met([part.median("tf-tui") for part in self.parts])
        met = "—" if verdict is None else ("met" if verdict else "**missed**")
        return [self.name, *cells, ratio, self.target, met]


def _ratio(ours: float, theirs: float) -> str:
    if not (math.isfinite(ours) and math.isfinite(theirs)) or theirs == 0:
        return "—"
    return f"{ours / theirs:.2f}x"


def _number(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def table(figures: Sequence[Figure]) -> str:
    header = ["figure", *CLIENT_NAMES, "tf-tui ÷ minimal", "target", "met?"]
    lines = [_markdown_row(header), _markdown_row(["---"] * len(header))]
    lines += [_markdown_row(figure.row()) for figure in figures]
    return "\n".join(lines)


def _markdown_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def write_section(path: Path, section: str) -> None:
    """Replace what stands between the markers in `path` (appended, with the markers, when they are missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = f"{before}{block}{after}"
    else:
        text = f"{text.rstrip()}\n\n{block}\n" if text else f"{block}\n"
    path.write_text(text, encoding="utf-8")
