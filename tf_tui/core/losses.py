"""The numbers a run's loss is told by, each with one definition wherever it is shown (the detail pane, the
comparison, the summaries). Pure.

- the final loss: the training loss at the run's last step;
- the best loss: the lowest training loss of that same series, so never above the final loss;
- the held-out loss: the loss on text the run never trained on, always named as such.

A stopped run and a completed one are told by the same numbers: the final loss was once the held-out loss
for a completed run and the training loss for a stopped one, and a comparison read "final loss 1.692,
best loss 3.05".
"""

from __future__ import annotations

from tf_tui.core.history import plottable
from tf_tui.core.store import RunState


def training_losses(run: RunState) -> list[float]:
    """The run's training loss at each step it kept, in step order."""
    return [point.loss for point in run.history.points if point.loss is not None]


def final_loss(run: RunState) -> float | None:
    """The training loss at the last step: the series' last value; without a series (a store that keeps none)
    the latest loss reported, else what the run's result says of it."""
    losses = training_losses(run)
    if losses:
        return losses[-1]
    reported = plottable(run.details.get("loss"))
    return reported if reported is not None else plottable((run.result or {}).get("final_loss"))


def best_loss(run: RunState) -> float | None:
    """The lowest training loss of the series the final loss ends."""
    final = final_loss(run)
    candidates = [*training_losses(run), *([] if final is None else [final])]
    return min(candidates) if candidates else None


def held_out_loss(run: RunState) -> float | None:
    """The loss on held-out text: the result's, measured on all of it at the end, else the run's latest evaluation."""
    measured = plottable((run.result or {}).get("held_out_loss"))
    if measured is not None:
        return measured
    evaluated = [point.eval_loss for point in run.history.points if point.eval_loss is not None]
    return evaluated[-1] if evaluated else plottable(run.details.get("eval_loss"))
