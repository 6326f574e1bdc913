"""Training runs as child processes: queueing, progress, stop, and what subscribers are told.

Each run is one `tf_tui.server.trainer` process. Its JSON lines become the run's state, which is
saved at once and sent to the run's subscribers as `training_update` frames. At most
`max_concurrent` processes run; the rest wait, `queued`, in start order.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tf_tui.server.catalog import TRAINING_PARAMS
from tf_tui.server.clock import now_iso
from tf_tui.server.db import Database, Run
from tf_tui.server.hub import Hub
from tf_tui.server.metrics import RunMetrics
from tf_tui.server.paths import file_in, inside
from tf_tui.server.wire import TERMINAL_STATUSES, TRAINING_ENDED, TRAINING_STARTED

STOP_GRACE_S = 5.0  # how long a trainer may take to exit after SIGTERM before it is killed
LAST_LINE_CHARS = 300
# One BLAS thread per run: a run uses one core, and its numbers do not depend on the thread count.
TRAINER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class RunNotFound(LookupError):
    pass


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
        return job.run if job else self._database.run(run_id)

    def submit(self, run: Run) -> None:
        job = Job(run)
        self._jobs[run.id] = job
        if self._running_count() - 1 < self._max_concurrent:  # the new run is not queued yet
            self._launch(job)
        else:
            run.status = "queued"
        self._announce_run(run, TRAINING_STARTED)
        self._announce_queue()

    async def stop(self, run_id: str) -> Run:
        job = self._jobs.get(run_id)
        if job is None:
            run = self._database.run(run_id)
            if run is None:
                raise RunNotFound(run_id)
            raise RunAlreadyEnded(run)
        if job.final is not None:
            raise RunAlreadyEnded(job.run, str(job.final.get("status")))
        await self._end_early(job, "stopped", "Stopped by request")
        if job.run.status != "stopped":  # it reached its end while being stopped
            raise RunAlreadyEnded(job.run, job.run.status)
        return job.run

    async def shutdown(self) -> None:
        """End every run: the trainers must not outlive the server that reports on them."""
        await asyncio.gather(
            *(
                self._end_early(job, "failed", "The server shut down while this run was in flight")
                for job in list(self._jobs.values())
            )
        )

    def _running_count(self) -> int:
        return sum(1 for job in self._jobs.values() if job.run.status != "queued")

    def _launch(self, job: Job) -> None:
        job.run.status = "starting"
        job.run.started_at = now_iso()
        job.run.details = {"message": "Starting the training process"}
        self._save_and_publish(job.run)
        task = asyncio.create_task(self._execute(job), name=f"training {job.run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _end_early(self, job: Job, status: str, reason: str) -> None:
        job.ending_as, job.ending_reason = status, reason
        if job.run.status == "queued":
            self._jobs.pop(job.run.id, None)
            self._finish(job, status, error=reason if status == "failed" else None)
            job.finished.set()
            self._announce_queue()
            return
        if job.process is not None and job.process.returncode is None:
            job.process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(job.finished.wait()), STOP_GRACE_S)
        except TimeoutError:
            if job.process is not None and job.process.returncode is None:
                job.process.kill()
            await job.finished.wait()

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
        except Exception as error:  # whatever breaks, the run must end and say why
            job.final = {"status": "failed", "error": f"The training process could not be run: {error}"}
        finally:
            self._jobs.pop(run.id, None)
            self._metrics.finish(run.id)
            await _reap(job.process)
        try:
            self._conclude(job, returncode, log_path)
        finally:
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
        }

    def _launch_queued(self) -> None:
        for job in list(self._jobs.values()):
            if self._running_count() >= self._max_concurrent:
                return
            if job.run.status == "queued":
                self._launch(job)

    def _finish(self, job: Job, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        run = job.run
        run.status = status
        ended_at = now_iso()
        data: dict[str, Any] = {"status": status}
        if status == "completed":
            run.progress, run.result, run.completed_at = 100, result, ended_at
            run.details = {**run.details, "message": "Training completed", "eta_s": 0}
            data.update(progress=100, success=True, result=result)
        elif status == "failed":
            run.error, run.completed_at = error, ended_at
            run.details = {**run.details, "message": error}
            data.update(progress=run.progress, success=False, result={"error": error})
        else:
            run.stopped_at = ended_at
            run.details = {**run.details, "message": job.ending_reason, "eta_s": None}
            data.update(progress=run.progress, success=False, details=run.details)
        self._database.save_run(run)
        self._hub.send_to_subscribers(run.id, _update_frame(run.id, data))
        # A completed run is announced as ended, like any other: it becomes a talent only when it is
        # published (`POST /talents/publish` says so then).
        self._announce_run(run, TRAINING_ENDED)

    def _save_and_publish(self, run: Run) -> None:
        self._database.save_run(run)
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
                run.details = {
                    "message": f"Queued behind {position - 1} other run(s); {self._max_concurrent} may train at once",
                    "queue_position": position,
                }
                self._save_and_publish(run)
        self._hub.broadcast(
            {
                "type": "system_update",
                "data": {"event": "training_queue", "running": running, "queued": [run.id for run in queued]},
                "timestamp": now_iso(),
            }
        )


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
    lines = log_path.read_text(errors="replace").strip().splitlines() if log_path.exists() else []
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
