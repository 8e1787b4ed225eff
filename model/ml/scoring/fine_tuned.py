"""A fine-tuned model as the pipeline's "backbone": clip images in, scores out, through Keras.

Fine-tuning changes the backbone's weights, so neither the frozen-backbone engines nor the
NumPy head apply: the whole Keras network scores the images (TensorFlow is loaded for it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.jobs import Reporter
from model.ml.backbones.base import Runtime


class FineTunedNetwork:
    """Has what ``model.ml.scoring.stages.Backbone`` asks for; its outputs are the scores."""

    engine = "keras"

    def __init__(self, bundle: Any, *, batch_size: int | None = None) -> None:
        self.bundle = bundle
        self.batch_size = batch_size or 32
        self.dim = len(bundle.class_names)
        self._done: list[tuple[Any, np.ndarray]] = []

    @property
    def device(self) -> Runtime:
        from model.ml import device

        return Runtime(f"{device.configure().description}, Keras (fine-tuned network)")

    def inputs(
        self, audio: Any, starts: np.ndarray, settings: Any, reporter: Reporter | None = None
    ) -> np.ndarray:
        from model.clips import clip_images

        return clip_images(audio, starts, settings)

    def load(self, reporter: Reporter | None = None) -> None:
        self.bundle.model  # noqa: B018 - loads Keras and the network now

    def warm_up(self, settings: Any) -> None:
        self.embed(np.zeros((1, *settings.image_shape), np.uint8))

    def embed(self, inputs: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        from model.ml.finetune import predict_images

        return predict_images(self.bundle.model, inputs, self.batch_size, reporter)

    def submit(self, inputs: np.ndarray, tag: Any) -> None:
        self._done.append((tag, self.embed(inputs)))

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        done, self._done = self._done, []
        return done
