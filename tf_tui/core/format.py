"""How runs read as text: short ids, durations, and the one-line summary. Pure; server text is cleaned."""

from __future__ import annotations

from datetime import UTC, datetime

from tf_tui.base.protocol import finite_number, parse_server_time
from tf_tui.base.text import printable
from tf_tui.core.history import plottable
from tf_tui.core.losses import final_loss, held_out_loss
from tf_tui.core.store import RunState

SHORT_ID_LENGTH = 8  # as git and docker shorten theirs
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def short_id(train_id: str) -> str:
    return printable(train_id[:SHORT_ID_LENGTH])


def duration(seconds: float | None) -> str:
    """`42s`, `3m05s`, `2h10m`; empty when not known."""
    if seconds is None or not 0 <= seconds < 1e9:  # also NaN: a duration shown must be a real one
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def local_time(when: float | str | None) -> str:
    """A moment as every view shows it, local time to the second: `2026-12-07 18:20:05`. A server's date is
    read from its text first (a naive one is the server's local time); one that cannot be read is shown as
    it came. Empty when not known."""
    if when is None or when == "":
        return ""
    at = parse_server_time(when) if isinstance(when, str) else when
    if at is None:
        return printable(when)
    try:
        return datetime.fromtimestamp(at).strftime(TIME_FORMAT)
    except (ValueError, OverflowError, OSError):  # a date the platform cannot show in local time
        return printable(when)


def status_label(run: RunState) -> str:
    """The run's status as shown: the server's text, else what tf-tui knows of it."""
    if run.missing:
        return "not found"
    if run.status:
        return run.status
    if run.unread:  # listed, its status not read yet (the rows in view are read first)
        return "not read yet"
    return "waiting" if run.confirmed else "unconfirmed"


def progress_text(run: RunState) -> str:
    return "?%" if run.progress is None else f"{run.progress}%"


# The values alone (`370/1000`, `1.2345`, `12s`): the dashboard row's columns; empty when not known.


def step_value(run: RunState) -> str:
    step, total = run.details.get("step"), run.details.get("total_steps")
    return f"{step}/{total}" if isinstance(step, int) and isinstance(total, int) else ""


def loss_value(run: RunState) -> str:
    loss = finite_number(run.details.get("loss"))
    return "" if loss is None else f"{loss:.4f}"


def eta_value(run: RunState) -> str:
    eta = finite_number(run.details.get("eta_s"))
    return "" if run.ended or eta is None else duration(eta)


def age_value(run: RunState, now: float) -> str:
    """How long ago the run last changed (`ago`); `—` when nothing says when."""
    changed = last_change_at(run)
    return "—" if changed is None else ago(now - changed)


def age_changes_at(run: RunState, now: float) -> float | None:
    """When `age_value` next reads otherwise, the run unchanged; None when it never will (`—`)."""
    changed = last_change_at(run)
    return None if changed is None else ago_changes_at(changed, now)


def ago(seconds: float) -> str:
    """`<1m ago`, `12m ago`, `2h10m ago`: to the minute, so that a text left alone is repainted once a minute,
    not every second."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "<1m ago"
    return f"{int(seconds // 60)}m ago" if seconds < 3600 else f"{duration(seconds)} ago"


def ago_changes_at(since: float, now: float) -> float:
    """The first moment after `now` at which `ago(moment - since)` reads otherwise than `ago(now - since)`:
    the next whole minute; from an hour on, half a second before it (`duration` rounds to the second)."""
    seconds = max(0.0, now - since)
    if seconds < 3600:
        return since + 60 * (seconds // 60 + 1)
    return since + 60 * ((seconds + 0.5) // 60 + 1) - 0.5


def last_change_at(run: RunState) -> float | None:
    """When the run last changed: as tf-tui saw it happen, else by the server's latest date for it."""
    if run.seen_change_at is not None:
        return run.seen_change_at
    for date in (run.ended_at, run.started_at, run.created_at):
        parsed = parse_server_time(date)
        if parsed is not None:
            return parsed
    return None


# The same values labelled (`step 370/1000`, `loss 1.2345`, `eta 12s`): summaries and progress bars.


def step_text(run: RunState) -> str:
    return _labelled("step", step_value(run))


def loss_text(run: RunState) -> str:
    return _labelled("loss", loss_value(run))


def eta_text(run: RunState) -> str:
    return _labelled("eta", eta_value(run))


def _labelled(label: str, value: str) -> str:
    return f"{label} {value}" if value else ""


def message_text(run: RunState, limit: int = 120) -> str:
    """The error of a failed run, the result of a completed one, else the latest details message."""
    if run.error:
        return printable(run.error, limit)
    if run.ended:
        return result_text(run)
    message = run.details.get("message")
    return printable(message, limit) if message else ""


def result_text(run: RunState) -> str:
    """`final loss 0.2412, held-out loss 0.3205 in 58s`: what the result of an ended run adds; empty without one."""
    if run.result is None:
        return ""
    losses = (("final loss", final_loss(run)), ("held-out loss", held_out_loss(run)))
    said = ", ".join(f"{name} {loss:.4f}" for name, loss in losses if loss is not None)
    seconds = finite_number(run.result.get("duration_s"))
    return " ".join(part for part in (said, f"in {duration(seconds)}" if seconds else "") if part)


def summary(run: RunState) -> str:
    """`training 37% step 370/1000 loss 1.2345 eta 12s - Training step 370/1000`."""
    status = printable(run.status or "unknown", 60)
    parts = [status, progress_text(run), step_text(run), loss_text(run), eta_text(run)]
    text = " ".join(part for part in parts if part)
    message = message_text(run)
    return f"{text} - {message}" if message and message != status else text


def run_record(run: RunState, backend: str | None = None) -> dict[str, object]:
    """A run as JSON: `watch --json` writes one per change, `status --json` one per run (with `remembered`).

    Server text goes in as it came: `json.dumps` escapes every control character. `backend` names the
    run's backend when the caller says it."""
    record: dict[str, object] = {} if backend is None else {"backend": backend}
    record |= {
        "train_id": run.train_id,
        "base_model": run.base_model,
        "status": run.status,
        "kind": run.kind.value,
        "outcome": run.outcome.value,
        "progress": run.progress,
        "loss": plottable(run.details.get("loss")),
        # The held-out loss of the run's last evaluation: details keep what later reports do not mention.
        "eval_loss": plottable(run.details.get("eval_loss")),
        "details": run.details,
        "created_at": run.created_at,
        "source": run.last_source.value if run.last_source else None,
        "received_at": None if run.updated_at is None else _iso_utc(run.updated_at),
        "missing": run.missing,
    }
    if run.result is not None:
        record["result"] = run.result
    if run.error is not None:
        record["error"] = run.error
    return record


def _iso_utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
