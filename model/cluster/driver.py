"""The driver of a cluster run: hands chunks of files to Ray actors and writes what comes back.

It runs inside ``model.batch``'s job, in place of the local engine, so everything around the
scoring is the local run's own code: which files are done (the resume log), where each table
goes, the table writer, ``errors.csv``, the summary. Only this process writes to the output
folder, one finished file at a time, so a run killed at any moment has every table it logged
and nothing half-written; running it again (on the cluster or not) goes on from there.

Each worker has at most ``IN_FLIGHT`` chunks queued, so it starts the next the moment one is
done. A worker that stops (its process killed, its node lost) is restarted by Ray; its chunks
go back to the queue (``model.cluster.work`` decides which files are marked), and a worker
that cannot come back is dropped. Cancel (the GUI's button, Ctrl+C) ends every worker at once:
finished files are on disk already.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model.cluster.connect import Session, connect
from model.cluster.work import MAX_STOPS, WorkerSpec, WorkQueue, chunk_target, plan_workers
from model.errors import SonotagError

if TYPE_CHECKING:
    from model.batch import BatchFile

IN_FLIGHT = 2
WAIT_S = 0.25
STATUS_EVERY_S = 0.5
#: A worker that stopped this many times in a row, with no chunk done in between, is dropped
#: (Ray restarts a stopped worker, on another node when its own is gone).
DROP_AFTER = 6


@dataclass
class _Worker:
    number: int
    spec: WorkerSpec
    handle: Any
    chunks: list[Any] = field(default_factory=list)  # refs in flight, oldest first
    status: dict[str, Any] = field(default_factory=dict)
    status_ref: Any = None
    asked: float = 0.0
    restarting: bool = False
    gone: bool = False
    stops: int = 0

    @property
    def name(self) -> str:
        return f"worker {self.number}"

    def summary(self) -> dict[str, Any]:
        state = "stopped" if self.gone else "restarting" if self.restarting else None
        return {
            "name": self.name,
            "host": self.status.get("host", ""),
            "pid": self.status.get("pid"),
            "stage": state or self.status.get("stage", "starting"),
            "file": "" if state else self.status.get("file", ""),
            "fraction": float(self.status.get("fraction", 0.0)),
            "files_done": int(self.status.get("files_done", 0)),
            "device": self.status.get("device", self.spec.label),
        }


class ClusterScoring:
    """Scores ``todo`` of a ``model.batch._Run`` on a Ray cluster."""

    def __init__(self, run: Any, address: str, workers: int | None = None) -> None:
        self.run = run
        self.address = address
        self.wanted = workers
        self.items: list[BatchFile] = []
        self.workers: list[_Worker] = []
        self.flight: dict[Any, tuple[_Worker, list[int]]] = {}
        self.queue: WorkQueue | None = None
        self.session: Session | None = None
        self.last_report = 0.0

    def score(self, todo: list[BatchFile]) -> None:
        self.items = todo
        reporter = self.run.reporter
        reporter.update(
            self.run.processed, self.run.total, "connecting to the Ray cluster", stage="loading"
        )
        self.session = connect(self.address)
        try:
            self._start()
            self._loop()
        finally:
            self._stop()

    # -- starting ------------------------------------------------------------------------------
    def _start(self) -> None:
        import ray

        from model.cluster.worker import remote_class

        assert self.session is not None
        specs = plan_workers(self.session.nodes, self.wanted)
        if not specs:
            raise SonotagError(None, f"the {self.session.where} offers no CPU or GPU to work on")
        actor = remote_class(-1)
        run = self.run
        for number, spec in enumerate(specs, 1):
            options: dict[str, Any] = {"num_cpus": spec.cpus, "num_gpus": spec.gpus}
            if spec.node_id:
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
                    spec.node_id, soft=True
                )
            handle = actor.options(**options).remote(
                run.model_path, run.hop, run.allow_download, spec.threads, bool(spec.gpus)
            )
            self.workers.append(_Worker(number, spec, handle))
        windows = [max(1, int(item.duration / run.hop)) for item in self.items]
        self.queue = WorkQueue(windows, chunk_target(sum(windows), len(specs)))
        loads = {w.handle.load.remote(): w for w in self.workers}
        causes: list[str] = []
        while loads:
            run.reporter.update(
                run.processed,
                run.total,
                f"loading the model on {len(self.workers)} worker(s), {self.session.where}",
                stage="loading",
                workers=[w.summary() for w in self.workers],
            )
            ready, _ = ray.wait(list(loads), num_returns=1, timeout=WAIT_S)
            for ref in ready:
                worker = loads.pop(ref)
                try:
                    worker.status = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    causes.append(_cause(exc))
                    worker.gone = True
                    ray.kill(worker.handle, no_restart=True)
        if all(w.gone for w in self.workers):
            raise SonotagError(None, f"no cluster worker could load the model: {causes[0]}")
        devices = sorted({str(w.status.get("device")) for w in self.workers if not w.gone})
        run.engine_text = f"{self.session.where}, {self._alive()} worker(s): " + "; ".join(devices)
        run.meter.start()
        self._report()  # scoring starts now (the first chunks go out next)

    def _alive(self) -> int:
        return sum(not w.gone for w in self.workers)

    # -- the loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        import ray

        assert self.queue is not None
        while self.queue or self.flight:
            self.run.reporter.check()
            self._hand_out()
            if not self._alive():
                left = sum(len(c) for c in self.queue.chunks) + sum(
                    len(c) for _, c in self.flight.values()
                )
                raise SonotagError(
                    None,
                    f"every cluster worker stopped; {left} file(s) not scored "
                    "(run the same command again to go on)",
                )
            waiting = list(self.flight) + [w.status_ref for w in self.workers if w.status_ref]
            if waiting:
                ready, _ = ray.wait(waiting, num_returns=1, timeout=WAIT_S)
                for ref in ready:
                    self._settle(ref)
            self._ask_status()
            self._report()

    def _hand_out(self) -> None:
        assert self.queue is not None
        for worker in self.workers:
            while (
                self.queue
                and not worker.gone
                and not worker.restarting
                and len(worker.chunks) < IN_FLIGHT
            ):
                chunk = self.queue.take()
                items = [(i, str(self.items[i].path), self.items[i].duration) for i in chunk]
                ref = worker.handle.score.remote(items)
                worker.chunks.append(ref)
                self.flight[ref] = (worker, chunk)

    def _settle(self, ref: Any) -> None:
        import ray

        worker = next((w for w in self.workers if w.status_ref == ref), None)
        if worker is not None:
            worker.status_ref = None
            try:
                worker.status = ray.get(ref)
                worker.restarting = False
            except ray.exceptions.RayError:  # stopped: Ray restarts it, or it is gone
                self._count_stop(worker)
            return
        if ref not in self.flight:
            return
        worker, chunk = self.flight.pop(ref)
        oldest = worker.chunks and worker.chunks[0] == ref
        worker.chunks.remove(ref)
        try:
            results = ray.get(ref)
        except ray.exceptions.RayTaskError as exc:  # the code failed; the worker lives on
            self._stopped(chunk, _cause(exc))
            return
        except ray.exceptions.RayError as exc:  # the worker's process or node is gone
            self._worker_stopped(worker, chunk if oldest else None, chunk, _cause(exc))
            return
        worker.stops = 0
        for index, starts, scores, error in results:
            self._write(self.items[index], starts, scores, error)

    def _worker_stopped(
        self, worker: _Worker, scoring: list[int] | None, chunk: list[int], cause: str
    ) -> None:
        """``chunk`` came back lost; the worker's other chunks are lost with it."""
        assert self.queue is not None
        lost = [chunk] + [self.flight.pop(ref)[1] for ref in worker.chunks]
        worker.chunks.clear()
        for other in reversed(lost):
            if other is scoring:
                self._stopped(other, cause)
            else:
                self.queue.put_back(other)
        self._count_stop(worker)

    def _count_stop(self, worker: _Worker) -> None:
        worker.stops += 1
        if worker.stops >= DROP_AFTER:
            self._drop(worker)
        else:
            worker.restarting = True  # no chunk until it answers again

    def _stopped(self, chunk: list[int], cause: str) -> None:
        assert self.queue is not None
        for index in self.queue.stopped(chunk):
            self.run.fail(
                self.items[index],
                f"a cluster worker stopped {MAX_STOPS} times while scoring it ({cause}); "
                "not tried again",
            )

    def _drop(self, worker: _Worker) -> None:
        import ray

        worker.gone = True
        for ref in list(worker.chunks):
            assert self.queue is not None
            self.queue.put_back(self.flight.pop(ref)[1])
        worker.chunks.clear()
        ray.kill(worker.handle, no_restart=True)

    def _write(self, item: BatchFile, starts: Any, scores: Any, error: str | None) -> None:
        from model.ml.scoring import FileJob, FileResult

        self.run._write(FileResult(FileJob(item.path, key=item), starts, scores, error=error))
        self.run.meter.audio_done_s += item.duration

    # -- progress ------------------------------------------------------------------------------
    def _ask_status(self) -> None:
        now = time.monotonic()
        for worker in self.workers:
            if worker.gone or worker.status_ref is not None:
                continue
            if worker.restarting or now - worker.asked >= STATUS_EVERY_S:
                worker.asked = now
                worker.status_ref = worker.handle.status.remote()

    def _report(self) -> None:
        now = time.monotonic()
        if now - self.last_report < WAIT_S:
            return
        self.last_report = now
        run = self.run
        partial = sum(float(w.status.get("partial_s", 0.0)) for w in self.workers if w.chunks)
        figures = run.meter.figures(partial)
        elapsed = now - (run.meter.started or now)
        rate = figures["audio_done_s"] / elapsed * 60 / 3600 if elapsed > 0 else None
        busy = sum(1 for w in self.workers if w.chunks)
        run.reporter.update(
            run.processed,
            run.total,
            f"{run.processed} of {run.total} files; {busy} of {self._alive()} worker(s) busy",
            stage="scoring",
            failed=len(run.failed),
            engine=run.engine_text,
            workers=[w.summary() for w in self.workers],
            audio_hours_per_min=rate,
            **figures,
        )

    def _stop(self) -> None:
        """Every actor ended (also on cancel and errors), then the cluster left or stopped."""
        try:
            import ray

            for worker in self.workers:
                try:
                    ray.kill(worker.handle, no_restart=True)
                except (ray.exceptions.RayError, ValueError):
                    pass
        finally:
            if self.session is not None:
                self.session.close()


def _cause(exc: BaseException) -> str:
    inner = getattr(exc, "cause", None)
    if isinstance(inner, SonotagError):
        return inner.cause
    text = str(inner if inner is not None else exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
