"""ResNet50 on colour mel-spectrogram images: the study's method (ImageNet) and its flagged twin.

Both wrap ``model.ml.backbone`` (the network, its seeded untrained weights and the ImageNet
file checks), which fine-tuning also uses; cache keys are unchanged from before backbones
became a choice, so features already cached in a project stay valid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from model.jobs import Reporter
from model.ml.backbones.base import (
    AVAILABLE,
    WEIGHTS_MISSING,
    Backbone,
    BackboneStatus,
    Runtime,
)

if TYPE_CHECKING:
    from model.audio import AudioFile
    from model.clips import ClipSettings
    from model.ml.backbone import BackboneSpec, FeatureExtractor
    from model.ml.engine.openvino_engine import OpenVinoResNet50


class _CancelOnly:
    """Hands cancel checks to ``clip_images`` without its per-image counts replacing the
    caller's overall progress figures."""

    def __init__(self, reporter: Reporter | None) -> None:
        self._reporter = reporter

    def check(self) -> None:
        if self._reporter is not None:
            self._reporter.check()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.check()


class ResNet50Backbone(Backbone):
    """Shared by both variants; ``spec`` says which weights."""

    dim = 2048
    version = "keras.applications.ResNet50, no top, average pooling"
    fine_tunable = True
    window_placement = "the 2-s clip itself, as a 224x224 colour mel-spectrogram image"

    def __init__(
        self,
        spec: BackboneSpec,
        *,
        precision: str | None = None,
        batch_size: int | None = None,
        allow_download: bool = True,
        engine: str | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, allow_download=allow_download)
        self.spec = spec
        self._precision = precision
        self._engine = engine
        self._extractor: FeatureExtractor | OpenVinoResNet50 | None = None

    @property
    def extractor(self) -> FeatureExtractor | OpenVinoResNet50:
        """The engine, chosen on first use (``model.ml.engine.choose``): OpenVINO on a CPU,
        Keras on a GPU or where OpenVINO is missing. Keras asks TensorFlow for the device."""
        if self._extractor is None:
            from model.ml.engine import OPENVINO, choose

            if choose(self._engine) == OPENVINO:
                from model.ml.engine.openvino_engine import OpenVinoResNet50 as engine_class
            else:
                from model.ml.backbone import FeatureExtractor as engine_class  # type: ignore

            self._extractor = engine_class(
                self.spec,
                precision=self._precision,
                batch_size=self.batch_size,
                allow_download=self.allow_download,
            )
        return self._extractor

    @property
    def engine(self) -> str:
        return self.extractor.engine

    @property
    def precision(self) -> str:
        return self.extractor.precision

    @property
    def cache_key(self) -> str:
        return self.extractor.cache_key

    @property
    def device(self) -> Runtime:
        return Runtime(self.extractor.description)

    def inputs(
        self,
        audio: AudioFile,
        starts: np.ndarray,
        settings: ClipSettings,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        from model.clips import clip_images

        cancel_only: Any = _CancelOnly(reporter)
        return clip_images(audio, starts, settings, reporter=cancel_only)

    input_dtype = "uint8"

    def input_shape(self, settings: ClipSettings) -> tuple[int, ...]:
        return tuple(settings.image_shape)

    def load(self, reporter: Reporter | None = None) -> None:
        self.extractor.load(reporter)

    def embed(self, inputs: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        out = self.extractor.embed(inputs, reporter)
        self.images_embedded = self.extractor.images_embedded
        return out

    def submit(self, inputs: np.ndarray, tag: Any) -> None:
        self.extractor.submit(inputs, tag)
        self.images_embedded = self.extractor.images_embedded

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        return self.extractor.collect(wait)

    def describe(self, settings: ClipSettings | None = None) -> dict[str, Any]:
        # The older manifest keys (weights, seed, weights_hash, architecture, key) stay, so a
        # bundle still opens in a Sonotag from before backbones became a choice.
        return {
            **self.spec.to_dict(),
            **super().describe(settings),
            "precision": self.precision,
            "engine": self.engine,
        }


class ResNet50ImageNet(ResNet50Backbone):
    name = "resnet50-imagenet"
    title = "ResNet50, ImageNet weights (the study's method)"
    licence = "Keras Applications weights (Apache 2.0 code; ImageNet-trained weights)"
    licence_url = "https://keras.io/api/applications/"

    def __init__(
        self,
        *,
        precision: str | None = None,
        batch_size: int | None = None,
        allow_download: bool = True,
        weights_hash: str | None = None,
        engine: str | None = None,
    ) -> None:
        from model.ml.backbone import BackboneSpec

        spec = BackboneSpec.imagenet()
        if weights_hash:  # from a bundle: build_network refuses it if it is not ours
            spec = BackboneSpec(spec.weights, 0, weights_hash)
        super().__init__(
            spec,
            precision=precision,
            batch_size=batch_size,
            allow_download=allow_download,
            engine=engine,
        )

    @classmethod
    def status(cls) -> BackboneStatus:
        from model.ml import weights

        found = weights.find_weights()
        if found is not None:
            return BackboneStatus(AVAILABLE, f"weights installed ({found})")
        return BackboneStatus(
            WEIGHTS_MISSING,
            f"'{weights.FILE_NAME}' ({weights.SIZE_TEXT}) is not in {weights.keras_cache_dir()}: "
            "it downloads when training starts, or import it with 'sonotag weights import FILE'",
        )


class ResNet50Untrained(ResNet50Backbone):
    name = "resnet50-untrained"
    title = "ResNet50, UNTRAINED (random weights): for testing only"
    licence = "no weights (seeded random numbers)"
    flagged = True

    def __init__(
        self,
        *,
        precision: str | None = None,
        batch_size: int | None = None,
        allow_download: bool = True,
        seed: int = 0,
        engine: str | None = None,
    ) -> None:
        from model.ml.backbone import BackboneSpec

        super().__init__(
            BackboneSpec.untrained(seed),
            precision=precision,
            batch_size=batch_size,
            allow_download=allow_download,
            engine=engine,
        )

    @classmethod
    def status(cls) -> BackboneStatus:
        return BackboneStatus(AVAILABLE, "always available; its scores are for testing only")
