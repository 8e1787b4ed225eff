"""A model's figures in the Training panel: its training curve, then its held-out figures,
which for a model trained here arrive after the model is already scoring.

The training job saves the model with its figures "pending"; ``EvaluationRunner`` measures
them on folds by recording in a worker process, and this shows its progress in place of the
table (with a Stop button), then the table and PR curves once they are stored. A model whose
measurement was stopped says so instead of showing nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from app.context import AppContext
from app.ml.evaluation_runner import EvaluationRunner
from app.ml.training_results import LossPlot, ResultsView
from model.errors import SonotagError
from model.jobs import Progress
from model.ml.evaluation import is_pending
from model.project.records import ModelRecord


class ModelFigures(QObject):
    """Owns the loss plot, the results view and the evaluation of new models."""

    evaluated = Signal(object)  # the evaluation job's result dict

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.loss_plot = LossPlot()
        self.results = ResultsView()
        self.evaluation = EvaluationRunner(context, self)
        self.shown_model: int | None = None  # whose figures the results view shows
        # Classes each model trained in this session left out (the manifest keeps only the
        # classes a model knows), so showing that model again still says so.
        self._left_out: dict[str, list[str]] = {}
        self._left_out_reasons: dict[str, str] = {}
        self._min_present = 2
        self.results.stop_requested.connect(lambda: self.evaluation.stop())
        self.evaluation.progress.connect(self._on_progress)
        self.evaluation.finished.connect(self._on_evaluated)
        self.evaluation.failed.connect(self._on_failed)
        self.evaluation.stopped.connect(self._on_stopped)

    # -- showing -----------------------------------------------------------------------------
    def _project_path(self) -> str | None:
        project = self.context.project
        return str(project.path) if project is not None else None

    def _colours(self) -> dict[str, str]:
        project = self.context.project
        return {c.name: c.colour for c in project.classes()} if project is not None else {}

    def show_active(self) -> None:
        project = self.context.project
        active = project.active_model() if project is not None else None
        if active is not None:
            self.show_model(active)
        else:
            self.shown_model = None
            self.loss_plot.clear_rows()
            self.loss_plot.hide()  # empty axes would read as a training that went nowhere
            self.results.show_nothing("No model trained yet." if project is not None else "")

    def _show_figures(
        self,
        model_id: int,
        name: str,
        metrics: dict[str, Any],
        untrained: bool,
        measuring: bool | None = None,
    ) -> None:
        self.shown_model = model_id
        title = f"Model “{name}”, held-out figures:"
        if is_pending(metrics):
            if measuring is None:
                measuring = self.evaluation.running_for(model_id)
            self.results.show_pending(title, untrained, measuring=measuring)
        else:
            self.results.show_metrics(title, metrics, self._colours(), untrained)

    def show_model(self, record: ModelRecord) -> None:
        """A stored model's training curve and held-out figures."""
        manifest = record.manifest or {}
        history = (manifest.get("training") or {}).get("history") or {}
        self.loss_plot.set_history(history.get("history") or [], history.get("fine_tune") or [])
        metrics = record.metrics or manifest.get("metrics") or {}
        untrained = bool(manifest.get("untrained_backbone"))
        self._show_figures(record.id, record.name, metrics, untrained)
        stored = (manifest.get("training") or {}).get("left_out") or {}
        reasons = {**{str(k): str(v) for k, v in stored.items()}, **self._left_out_reasons}
        left_out = self._left_out.get(record.name) or [str(name) for name in stored]
        self.results.show_left_out(left_out, self._min_present, reasons)
        self.loss_plot.setVisible(bool(history.get("history")))

    def show_trained(self, result: dict[str, Any]) -> list[str]:
        """A training job's result (its figures pending while ``evaluation`` measures them);
        returns the classes it left out."""
        from model.ml.train import MIN_POSITIVES  # light: TensorFlow stays in the worker

        history = result.get("history") or {}
        self.loss_plot.set_history(history.get("history") or [], history.get("fine_tune") or [])
        self.loss_plot.setVisible(bool(history.get("history")))
        if "model_id" in result:
            self._show_figures(
                int(result["model_id"]), str(result.get("name")), result.get("metrics") or {},
                bool(result.get("untrained_backbone")),
                measuring=result.get("evaluation") is not None,
            )  # fmt: skip
        self._min_present = int(result.get("min_positives", MIN_POSITIVES))
        left_out = [str(n) for n in result.get("classes_left_out") or []]
        reasons = {str(k): str(v) for k, v in (result.get("left_out_reasons") or {}).items()}
        self._left_out[str(result.get("name"))] = left_out
        self._left_out_reasons.update(reasons)
        self.results.show_left_out(left_out, self._min_present, reasons)
        return left_out

    # -- the figures, measured after training ------------------------------------------------
    def _shows(self, model_id: int) -> bool:
        return self.shown_model == model_id and self.evaluation.project_path == (
            self._project_path()
        )

    def _on_progress(self, model_id: int, progress: Progress) -> None:
        if self._shows(model_id) and progress.message:
            text = progress.message[:1].upper() + progress.message[1:]
            self.results.show_measuring_progress(f"{text}…", progress.fraction)

    def _record(self, model_id: int) -> ModelRecord | None:
        """The model, if the project it was measured in is still open and still has it: a
        measurement can end after its project was closed or its model deleted."""
        project = self.context.project
        if project is None or self.evaluation.project_path != str(project.path):
            return None
        try:
            return project.model(model_id)
        except SonotagError:
            return None

    def _on_evaluated(self, result: dict[str, Any]) -> None:
        model_id = int(result["model_id"])
        mean = (result.get("metrics") or {}).get("map")
        text = f"Held-out figures of “{result.get('name')}” measured: mAP "
        text += "–" if mean is None else f"{mean:.2f}"
        if result.get("bundle_error"):
            text += f" (kept in the project only: {result['bundle_error']})"
        self.context.status.emit(text)
        record = self._record(model_id)
        if record is not None:
            if self._shows(model_id):
                self.show_model(record)
            self.context.models_changed.emit()  # the models list shows the new mAP
        self.evaluated.emit(result)

    def _on_failed(self, model_id: int, message: str) -> None:
        if self._shows(model_id):
            self.results.pending_box.hide()
            self.results.pending_label.setText(f"Held-out figures could not be measured: {message}")
        self.context.status.emit(f"Measuring the model failed: {message}")

    def _on_stopped(self, model_id: int) -> None:
        record = self._record(model_id)
        if record is not None and self._shows(model_id):
            self.show_model(record)
