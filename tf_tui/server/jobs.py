"""Training runs as child processes: queueing, progress, stop, and what subscribers are told.

Each run is one `tf_tui.server.trainer` process. Its JSON lines become the run's state, which is
saved at once and sent to the run's subscribers as `training_update` frames. At most
`max_concurrent` processes run; the rest wait, `queued`, in start order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tf_tui.server.catalog import DIAGNOSTIC_PARAMS, TRAINING_PARAMS
from tf_tui.server.clock import now_iso
from tf_tui.server.db import Database, Run
from tf_tui.server.hub import Hub
from tf_tui.server.metrics import RunMetrics
from tf_tui.server.paths import file_in, inside
from tf_tui.server.wire import TERMINAL_STATUSES, TRAINING_ENDED, TRAINING_STARTED

STOP_GRACE_S = 5.0  # how long a trainer may take to exit after SIGTERM before it is killed
KILL_GRACE_S = 2.0  # and how long its job may take to end once it is killed: past it, the wait gives up
LAST_LINE_CHARS = 300
# One BLAS thread per run: a run uses one core, and its numbers do not depend on the thread count.
TRAINER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


logger = logging.getLogger(__name__)


class RunNotFound(LookupError):
    pass


class RunNotStarted(RuntimeError):
    """A run that could not even be recorded: nothing of it is kept. The message says why."""


class RunNotEnded(RuntimeError):
    """A run that was stopped, and killed, but whose job did not end in time."""


class RunAlreadyEnded(RuntimeError):
    def __init__(self, run: Run, status: str | None = None) -> None:
        self.status = status or run.status
        super().__init__(f"Training run already ended: {self.status}")
        self.run = run


@dataclass
class Job:
    run: Run
    process: asyncio.subprocess.Process | None = None
    # Why the process is being ended early: "stopped" by a user, or "failed" because the server stops.
    ending_as: str | None = None
    ending_reason: str = ""
    final: dict[str, Any] | None = None  # the trainer's last line: completed or failed
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class JobManager:
    def __init__(self, database: Database, hub: Hub, data_dir: Path, max_concurrent: int, metrics: RunMetrics) -> None:
        self._database = database
        self._hub = hub
        self._metrics = metrics
        self._data_dir = data_dir
        self._max_concurrent = max_concurrent
        self._jobs: dict[str, Job] = {}  # queued and running, in start order
        self._tasks: set[asyncio.Task[None]] = set()
        # Ended runs whose end the database refused (a full disk): served from here, and saved again at
        # the next occasion, so that a run never reads as still going once its trainer is gone.
        self._unsaved: dict[str, Run] = {}

    def fail_interrupted_runs(self) -> int:
        """Runs that were in flight when an earlier server process died can never finish."""
        interrupted = [run for run in self._database.runs() if run.status not in TERMINAL_STATUSES]
        for run in interrupted:
            run.error = f"The server stopped while this run was {run.status}; it did not finish"
            run.status = "failed"
            run.details = {**run.details, "message": run.error}
            run.completed_at = now_iso()
            self._database.save_run(run)
        return len(interrupted)

    def active_ids(self) -> list[str]:
        return list(self._jobs)

    def run(self, run_id: str) -> Run | None:
        job = self._jobs.get(run_id)
        if job is not None:
            return job.run
        return self._unsaved.get(run_id) or self._database.run(run_id)

    def submit(self, run: Run) -> None:
        """Record the run and start it, or queue it behind `max_concurrent` others. RunNotStarted when it
        cannot be recorded; then nothing of it is kept: no job, no slot, no row."""
        self._save_unsaved()
        starts = self._running_count() < self._max_concurrent
        if starts:
            _mark_starting(run)
        else:
            run.status = "queued"
            run.details = self._queue_details(1 + sum(job.run.status == "queued" for job in self._jobs.values()))
        try:
            self._database.save_run(run)
        except sqlite3.Error as error:
            raise RunNotStarted(f"The server could not record the run: {error}") from None
        job = self._jobs[run.id] = Job(run)
        self._publish(run)
        if starts:
            self._spawn(job)
        self._announce_run(run, TRAINING_STARTED)
        self._announce_queue()

    async def stop(self, run_id: str) -> Run:
        job = self._jobs.get(run_id)
        if job is None:
            run = self.run(run_id)
            if run is None:
                raise RunNotFound(run_id)
            raise RunAlreadyEnded(run)
        if job.final is not None:
            raise RunAlreadyEnded(job.run, str(job.final.get("status")))
        await self._end_early(job, "stopped", "Stopped by request")
        if not job.finished.is_set():
            raise RunNotEnded(
                f"Training run {run_id} was killed but has not ended after {STOP_GRACE_S + KILL_GRACE_S:g} s"
            )
        if job.run.status != "stopped":  # it reached its end while being stopped
            raise RunAlreadyEnded(job.run, job.run.status)
        return job.run

    async def shutdown(self) -> None:
        """End every run: the trainers must not outlive the server that reports on them. Bounded: each
        run's end is awaited for at most STOP_GRACE_S + KILL_GRACE_S, all at once."""
        await asyncio.gather(
            *(
                self._end_early(job, "failed", "The server shut down while this run was in flight")
                for job in list(self._jobs.values())
            )
        )
        self._save_unsaved()

    def _running_count(self) -> int:
        return sum(1 for job in self._jobs.values() if job.run.status != "queued")

    def _launch(self, job: Job) -> None:
        """Start a queued run; one whose start cannot be recorded ends failed, saying so."""
        _mark_starting(job.run)
        try:
            self._save_and_publish(job.run)
        except sqlite3.Error as error:
            self._jobs.pop(job.run.id, None)
            self._finish(job, "failed", error=f"The server could not record the run's start: {error}")
            job.finished.set()
            return
        self._spawn(job)

    def _spawn(self, job: Job) -> None:
        task = asyncio.create_task(self._execute(job), name=f"training {job.run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _end_early(self, job: Job, status: str, reason: str) -> None:
        """Terminate the run's trainer, then kill it, and wait for its job to end, within deadlines:
        `job.finished` is still unset after them only if the job's own bookkeeping hangs."""
        job.ending_as, job.ending_reason = status, reason
        if job.run.status == "queued":
            self._jobs.pop(job.run.id, None)
            self._finish(job, status, error=reason if status == "failed" else None)
            job.finished.set()
            self._announce_queue()
            return
        if job.process is not None and job.process.returncode is None:
            job.process.terminate()
        if await _ended_within(job, STOP_GRACE_S):
            return
        if job.process is not None and job.process.returncode is None:
            job.process.kill()
        await _ended_within(job, KILL_GRACE_S)

    async def _execute(self, job: Job) -> None:
        run = job.run
        log_path = file_in(self._data_dir / "logs", run.id, ".log")
        returncode: int | None = None
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with log_path.open("wb") as stderr_log:
                job.process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tf_tui.server.trainer",
                    "--run-id",
                    run.id,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=stderr_log,
                    env={**os.environ, **TRAINER_ENVIRONMENT},
                )
            if job.ending_as is not None:
                job.process.terminate()
            assert job.process.stdin is not None and job.process.stdout is not None
            # stdin stays open: the trainer exits when it closes, so it cannot outlive this server.
            job.process.stdin.write(json.dumps(self._trainer_spec(run)).encode() + b"\n")
            async for line in job.process.stdout:
                message = json.loads(line)
                if message.get("status") in ("completed", "failed"):
                    job.final = message  # even after a stop: a run that got to its end did end
                elif job.ending_as is None:  # nothing the trainer says after a stop may reach subscribers
                    run.status, run.progress = message["status"], message["progress"]
                    reported = message.get("details", {})
                    # Merged, so that the evaluating phase still shows the last step, loss and held-out loss;
                    # but a held-out loss belongs to its step only, and a later step must not seem to repeat it.
                    earlier = run.details
                    if reported.get("step", earlier.get("step")) != earlier.get("step"):
                        earlier = {name: value for name, value in earlier.items() if name != "eval_loss"}
                    run.details = {**earlier, **reported}
                    self._metrics.record(run.id, reported)
                    self._save_and_publish(run)
            returncode = await job.process.wait()
        except sqlite3.Error as error:  # a full disk, most likely: the trainer is ended below
            job.final = {"status": "failed", "error": f"The server could not record the run's progress: {error}"}
        except Exception as error:  # whatever breaks, the run must end and say why
            job.final = {"status": "failed", "error": f"The training process could not be run: {error}"}
        finally:
            self._metrics.finish(run.id)
            await _reap(job.process)
        try:
            self._conclude(job, returncode, log_path)
        finally:
            # Only now: until its end is known, the run is active (its process, too, holds its slot until
            # reaped), never neither active nor ended.
            self._jobs.pop(run.id, None)
            job.finished.set()
            self._launch_queued()
            self._announce_queue()

    def _conclude(self, job: Job, returncode: int | None, log_path: Path) -> None:
        final = job.final or {}
        if final.get("status") == "completed":
            self._finish(job, "completed", result=final.get("result") or {})
        elif job.ending_as is not None:
            self._finish(job, job.ending_as, error=job.ending_reason if job.ending_as == "failed" else None)
        elif final.get("status") == "failed":
            self._finish(job, "failed", error=str(final.get("error") or "the trainer failed without saying why"))
        else:
            self._finish(job, "failed", error=_exit_error(returncode, log_path, self._data_dir))

    def _trainer_spec(self, run: Run) -> dict[str, Any]:
        paths = []
        for dataset_id in run.dataset_ids:
            dataset = self._database.dataset(dataset_id)
            if dataset is None:
                raise ValueError(f"dataset {dataset_id} no longer exists")
            # A dataset file swapped for a symlink to elsewhere is refused, not read.
            paths.append(str(inside(Path(dataset.path), self._data_dir / "datasets")))
        return {
            "run_id": run.id,
            "model": run.base_model,
            "dataset_paths": paths,
            "output_path": str(file_in(self._data_dir / "models", run.id, ".npz")),
            **{name: run.params[name] for name in TRAINING_PARAMS},
            **{name: run.params[name] for name in DIAGNOSTIC_PARAMS if name in run.params},
        }

    def _launch_queued(self) -> None:
        for job in list(self._jobs.values()):
            if self._running_count() >= self._max_concurrent:
                return
            if job.run.status == "queued":
                self._launch(job)

    def _finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        """End the run as `status` and tell everyone; never raises. An end the database refuses makes
        the run `failed`, saying so, kept in memory and saved again later (`_save_unsaved`)."""
        run = job.run
        _mark_ended(run, status, result=result, error=error, stop_reason=job.ending_reason)
        try:
            self._database.save_run(run)
        except sqlite3.Error as refused:
            if run.status != "failed":
                _mark_ended(run, "failed", error=f"The run {run.status} but the server could not record it: {refused}")
            self._unsaved[run.id] = run
            logger.warning("Run %s ended %s but could not be saved (%s); kept in memory", run.id, run.status, refused)
        self._hub.send_to_subscribers(run.id, _update_frame(run.id, _end_data(run)))
        # A completed run is announced as ended, like any other: it becomes a talent only when it is
        # published (`POST /talents/publish` says so then).
        self._announce_run(run, TRAINING_ENDED)

    def _save_unsaved(self) -> None:
        """Save the ended runs that the database refused before, while it takes them."""
        for run_id, run in list(self._unsaved.items()):
            try:
                self._database.save_run(run)
            except sqlite3.Error:
                return
            del self._unsaved[run_id]

    def _save_and_publish(self, run: Run) -> None:
        self._database.save_run(run)
        self._publish(run)

    def _publish(self, run: Run) -> None:
        data = {"progress": run.progress, "status": run.status, "details": run.details}
        self._hub.send_to_subscribers(run.id, _update_frame(run.id, data))

    def _announce_run(self, run: Run, event: str) -> None:
        """Tell every socket, subscribed or not, that a run began or ended: a dashboard follows runs
        started by any client at once instead of at its next listing (an extension of the contract)."""
        self._hub.broadcast(
            {
                "type": "system_update",
                "data": {"event": event, "train_id": run.id, "base_model": run.base_model, "status": run.status},
                "timestamp": now_iso(),
            }
        )

    def _announce_queue(self) -> None:
        running = [run_id for run_id, job in self._jobs.items() if job.run.status != "queued"]
        queued = [job.run for job in self._jobs.values() if job.run.status == "queued"]
        for position, run in enumerate(queued, start=1):
            if run.details.get("queue_position") != position:
                run.details = self._queue_details(position)
                self._publish(run)
                try:
                    self._database.save_run(run)
                except sqlite3.Error as error:  # only its place in the queue is not saved; it starts in order
                    logger.warning("The queue position of run %s could not be saved: %s", run.id, error)
        self._hub.broadcast(
            {
                "type": "system_update",
                "data": {"event": "training_queue", "running": running, "queued": [run.id for run in queued]},
                "timestamp": now_iso(),
            }
        )

    def _queue_details(self, position: int) -> dict[str, Any]:
        return {
            "message": f"Queued behind {position - 1} other run(s); {self._max_concurrent} may train at once",
            "queue_position": position,
        }


def _mark_starting(run: Run) -> None:
    run.status = "starting"
    run.started_at = now_iso()
    run.details = {"message": "Starting the training process"}


def _mark_ended(
    run: Run, status: str, *, result: dict[str, Any] | None = None, error: str | None = None, stop_reason: str = ""
) -> None:
    run.status = status
    ended_at = now_iso()
    if status == "completed":
        run.progress, run.result, run.completed_at = 100, result or {}, ended_at
        run.details = {**run.details, "message": "Training completed", "eta_s": 0}
    elif status == "failed":
        run.result, run.error, run.completed_at = None, error, ended_at
        run.details = {**run.details, "message": error}
    else:
        run.stopped_at = ended_at
        run.details = {**run.details, "message": stop_reason, "eta_s": None}


def _end_data(run: Run) -> dict[str, Any]:
    """The `data` of the run's last `training_update` frame."""
    if run.status == "completed":
        return {"status": run.status, "progress": 100, "success": True, "result": run.result}
    if run.status == "failed":
        return {"status": run.status, "progress": run.progress, "success": False, "result": {"error": run.error}}
    return {"status": run.status, "progress": run.progress, "success": False, "details": run.details}


async def _ended_within(job: Job, seconds: float) -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(job.finished.wait()), seconds)
    except TimeoutError:
        return False
    return True


def _exit_error(returncode: int | None, log_path: Path, data_dir: Path) -> str:
    """What ended a trainer that did not say, in words. The traceback stays whole in the run's log:
    cut to fit a status line it only confused ("exited with code -2: er.py", line 271 ...")."""
    kept = f"its output is in {log_path.relative_to(data_dir)} on the server"
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"The training process was killed by {name}; {kept}"
    try:
        lines = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:  # never written (its folder could not be made), or unreadable
        lines = []
    last = f" ({lines[-1].strip()[:LAST_LINE_CHARS]})" if lines else ""  # a traceback's last line names the error
    return f"The training process exited with code {returncode}{last}; {kept}"


def _update_frame(train_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "training_update", "train_id": train_id, "timestamp": now_iso(), "data": data}


async def _reap(process: asyncio.subprocess.Process | None) -> None:
    """No trainer outlives its job, whatever ended the job."""
    if process is None:
        return
    if process.returncode is None:
        process.kill()
    if process.stdin is not None:
        process.stdin.close()
    await process.wait()
