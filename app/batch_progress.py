"""Progress windows for batch runs: files done, clips/s and time left, with Cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from app.dialogs import JobProgressDialog, ProgressDialog
from app.jobs import Job
from app.ml.job_control import cancel_within
from model.batch import Throughput
from model.cluster.progress import worker_lines
from model.jobs import Progress

if TYPE_CHECKING:
    from app.ml.predict_controller import PredictController


def time_left(seconds: float | None) -> str:
    """An ETA in the words a progress line needs, rounded as far as such estimates deserve."""
    if seconds is None:
        return "estimating the time left…"
    if seconds < 60:
        return "less than a minute left"
    minutes = int(round(seconds / 60))
    if minutes < 60:
        return f"about {minutes} min left"
    return f"about {minutes // 60} h {minutes % 60:02d} min left"


def describe_progress(progress: Progress, unit: str = "Files") -> str:
    """Current file, files done (and failed), clips/s and time left, one line each."""
    data = progress.data
    lines = [progress.message] if progress.message else []
    if progress.total and data.get("stage") in ("scoring", "done"):
        done = f"{unit} done: {progress.done:g} of {progress.total:g}"
        if data.get("failed"):
            done += f" ({data['failed']} failed)"
        lines.append(done)
        rate = data.get("clips_per_s")
        speed = f"{rate:.1f} clips/s · " if rate else ""
        hours = data.get("audio_hours_per_min")
        speed += f"{hours:.2f} h of audio/min · " if hours else ""
        if data.get("stage") == "scoring":
            lines.append(speed + time_left(data.get("eta_s")))
    if data.get("engine") and data.get("stage") in ("loading", "scoring", "done"):
        lines.append(f"Engine: {data['engine']}")
    lines += worker_lines(data)  # a cluster run: what each worker is doing
    return "\n".join(lines)


class BatchProgressDialog(JobProgressDialog):
    """Files done, clips/s and an ETA for a batch; the bar follows audio seconds, so it does
    not stall on a 12-hour file nor race through 1-minute ones."""

    def __init__(self, job: Job, parent: QWidget | None = None) -> None:
        super().__init__(job, parent)
        self.setMinimumWidth(420)

    def _cancel(self) -> None:
        self.setLabelText(f"{self.job.title}: cancelling… (finished files are kept)")
        cancel_within(self.job)

    def _on_progress(self, progress: Progress) -> None:
        if self.wasCanceled():
            return
        audio_total = progress.data.get("audio_total_s")
        if audio_total:
            fraction = progress.data.get("audio_done_s", 0.0) / audio_total
        else:
            fraction = progress.fraction
        if fraction is not None:
            self.setMaximum(1000)
            self.setValue(round(1000 * min(1.0, fraction)))
        self.setLabelText(f"{self.job.title}\n{describe_progress(progress)}")


class ProjectScoringProgress(ProgressDialog):
    """Recordings scored of the project, clips/s and time left, for the controller's jobs
    (it may run more than one: the shown recording's, then the queue)."""

    scoring_ended = Signal()

    def __init__(
        self, predictor: PredictController, durations: dict[int, float], parent: QWidget
    ) -> None:
        super().__init__("Scoring the project", "Cancel", 0, 1000, parent)
        self.setWindowTitle("Scoring the project")
        self.setMinimumWidth(420)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.predictor = predictor
        self.durations = durations
        self.scored: set[int] = set()
        self.meter = Throughput(sum(durations.values()))
        self.meter.start()
        self.current: int | None = None
        self.rate: float | None = None
        self.engine = ""
        self._jobs: set[int] = set()
        self._finished = False
        self.canceled.connect(predictor.cancel)
        predictor.recording_scored.connect(self._on_scored)
        predictor.busy_changed.connect(self._on_busy)
        self._on_busy(predictor.busy)

    def _on_busy(self, busy: bool) -> None:
        job = self.predictor.job
        if busy and job is not None and job.job_id not in self._jobs:
            self._jobs.add(job.job_id)
            job.progress.connect(self._on_progress)
        elif not busy and not self.predictor.queued() and self._jobs:
            self.finish()

    def _on_progress(self, progress: Progress) -> None:
        data = progress.data
        if data.get("recording_id") is not None:
            self.current = int(data["recording_id"])
        if data.get("clips_per_s"):
            self.rate = float(data["clips_per_s"])
        if data.get("device"):  # the backbone's engine, e.g. "CPU (OpenVINO, bfloat16, ...)"
            self.engine = str(data["device"])
        partial = 0.0
        if data.get("stage") == "features" and progress.fraction is not None and self.current:
            partial = progress.fraction * self.durations.get(self.current, 0.0)
        self._show(partial)

    def _on_scored(self, recording_id: int) -> None:
        if recording_id in self.durations and recording_id not in self.scored:
            self.scored.add(recording_id)
            self.meter.audio_done_s += self.durations[recording_id]
        self._show(0.0)

    def _show(self, partial: float) -> None:
        figures = self.meter.figures(partial)
        total = self.meter.audio_total_s
        self.setValue(round(1000 * min(1.0, figures["audio_done_s"] / total)) if total else 0)
        progress = Progress(
            len(self.scored),
            len(self.durations),
            "",
            {
                "stage": "scoring",
                "clips_per_s": self.rate,
                "eta_s": figures["eta_s"],
                "engine": self.engine,
            },
        )
        self.setLabelText("Scoring the project\n" + describe_progress(progress, "Recordings"))

    def finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self.predictor.recording_scored.disconnect(self._on_scored)
        self.predictor.busy_changed.disconnect(self._on_busy)
        self.canceled.disconnect(self.predictor.cancel)
        self.finish_quietly()
        self.scoring_ended.emit()
