"""Builds the ML panels around one ``AppContext`` and connects them to each other.

The main window calls ``build_ml_ui`` once and docks what it returns; tests call it too, so
the connections under test are the ones the app uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.context import AppContext
from app.ml.models_panel import ModelsPanel
from app.ml.predict_controller import PredictController
from app.ml.score_tracks import ScoreTracks
from app.ml.training_panel import TrainingPanel

if TYPE_CHECKING:
    from app.spectrogram import SpectrogramView


@dataclass
class MlUi:
    training: TrainingPanel
    models: ModelsPanel
    tracks: ScoreTracks
    predictor: PredictController


def build_ml_ui(context: AppContext, view: SpectrogramView | None = None) -> MlUi:
    """Training panel, models panel, score tracks (attached to ``view`` when given) and the
    prediction controller, wired: a finished training re-scores the shown recording (and the
    rest, if the panel says so); picking a model in the list shows its figures."""
    predictor = PredictController(context)
    training = TrainingPanel(context)
    models = ModelsPanel(context, predictor)
    tracks = ScoreTracks(context)
    predictor.setParent(training)
    tracks.setParent(training)
    if view is not None:
        tracks.attach(view)
    tracks.set_predictor(predictor)
    training.trained.connect(
        lambda result: predictor.after_training(result, training.score_all.isChecked())
    )
    models.model_selected.connect(lambda record: record and training.show_model(record))
    return MlUi(training, models, tracks, predictor)
