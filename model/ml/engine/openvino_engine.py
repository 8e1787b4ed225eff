"""The frozen ResNet50 through OpenVINO: batches in, features out, several batches in flight.

``embed`` is the plain call (a batch, its features); ``submit``/``collect`` keep every
inference request of the compiled network busy while the caller draws the next clip images,
which is what the scoring pipeline (``model.ml.scoring``) uses. Neither imports TensorFlow.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import numpy as np

from model.errors import ModelBundleError
from model.jobs import Reporter
from model.ml.backbone import FEATURES, BackboneSpec
from model.ml.device import BFLOAT16, FLOAT32
from model.ml.engine import OPENVINO
from model.ml.engine import openvino_runtime as runtime

#: The version of the graph ``openvino_resnet.build_model`` draws; part of the disk cache's
#: name, so a change of the graph never meets an old compiled copy.
GRAPH_VERSION = 1


def load_weights(spec: BackboneSpec, reporter: Reporter | None, allow_download: bool) -> Any:
    """ResNet50's weights as NumPy arrays (seeded, or the checked ImageNet file)."""
    from model.ml import weights
    from model.ml.engine import resnet50_layers

    if spec.is_untrained:
        return resnet50_layers.seeded_weights(spec.seed)
    if spec.weights_hash and spec.weights_hash != weights.expected_md5():
        raise ModelBundleError(
            None,
            f"this model was trained on backbone weights with checksum {spec.weights_hash}, "
            f"but Sonotag uses {weights.expected_md5()}; retrain the model.",
        )
    return resnet50_layers.read_keras_h5(weights.ensure_weights(reporter, download=allow_download))


class OpenVinoResNet50:
    """Same duties as ``model.ml.backbone.FeatureExtractor`` (the Keras engine)."""

    engine = OPENVINO

    def __init__(
        self,
        spec: BackboneSpec,
        *,
        precision: str | None = None,
        batch_size: int = 32,
        allow_download: bool = True,
    ) -> None:
        self.spec = spec
        self.ov_precision = (
            runtime.cpu_precision()
            if precision is None
            else (runtime.BF16 if precision == BFLOAT16 else runtime.F32)
        )
        self.precision = BFLOAT16 if self.ov_precision == runtime.BF16 else FLOAT32
        self.batch_size = batch_size
        self.allow_download = allow_download
        self.images_embedded = 0
        self._compiled: Any = None
        self._queue: Any = None
        self._done: collections.deque[tuple[Any, np.ndarray]] = collections.deque()
        self._error: list[BaseException] = []
        self._lock = threading.Lock()

    @property
    def cache_key(self) -> str:
        """float32 features equal Keras' to 1e-6 (below the cache's float16), so they share
        Keras' key; bfloat16 ones round differently from Keras' and are kept apart."""
        return self.spec.key + ("-bf16-openvino" if self.precision == BFLOAT16 else "")

    @property
    def description(self) -> str:
        text = "bfloat16" if self.precision == BFLOAT16 else "float32"
        cores = runtime.threads()
        return f"CPU (OpenVINO, {text}, {cores} core{'s' if cores > 1 else ''})"

    @property
    def requests(self) -> int:
        self.load()
        return len(self._queue)

    def load(self, reporter: Reporter | None = None) -> None:
        if self._compiled is not None:
            return
        import openvino as ov

        from model.ml.engine.openvino_resnet import build_model

        key = f"{self.spec.key}-g{GRAPH_VERSION}"

        def build() -> Any:
            return build_model(load_weights(self.spec, reporter, self.allow_download))

        if not self.spec.is_untrained:  # weights must be present (or come) before any cache
            load_weights_check(self.spec, reporter, self.allow_download)
        self._compiled = runtime.compile_network(key, build, self.ov_precision)
        requests = int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self._queue = ov.AsyncInferQueue(self._compiled, max(1, requests))
        self._queue.set_callback(self._finished)

    def _finished(self, request: Any, tag: Any) -> None:
        try:
            self._done.append((tag, np.array(request.get_output_tensor(0).data, np.float32)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self._error.append(exc)

    def submit(self, images: np.ndarray, tag: Any) -> None:
        """Starts ``images`` (uint8 (n, 224, 224, 3)); waits only while every request is busy."""
        self.load()
        self._queue.start_async({0: np.ascontiguousarray(images, np.uint8)}, tag)
        self.images_embedded += len(images)

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        """Finished batches (tag, features) so far; ``wait`` first waits for all in flight."""
        if wait and self._queue is not None:
            self._queue.wait_all()
        if self._error:
            raise self._error.pop()
        out = []
        while self._done:
            out.append(self._done.popleft())
        return out

    def embed(self, images: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        """(N, 224, 224, 3) uint8 -> (N, 2048) float32, every request busy; ``reporter`` is
        checked between batches, so cancel lands within a batch."""
        count = len(images)
        out = np.empty((count, FEATURES), np.float32)
        if count == 0:
            return out
        with self._lock:  # one caller at a time owns the requests
            self.load()
            self.collect(wait=True)  # nothing of an earlier caller is left over
            for begin in range(0, count, self.batch_size):
                if reporter is not None:
                    reporter.check()
                self.submit(images[begin : begin + self.batch_size], begin)
            for begin, features in self.collect(wait=True):
                out[begin : begin + len(features)] = features
        return out


def load_weights_check(spec: BackboneSpec, reporter: Reporter | None, allow_download: bool) -> None:
    """Refuses other ImageNet weights and fetches missing ones before the disk cache is used:
    a cached compiled network must never stand in for weights that are not here."""
    from model.ml import weights

    if spec.weights_hash and spec.weights_hash != weights.expected_md5():
        raise ModelBundleError(
            None,
            f"this model was trained on backbone weights with checksum {spec.weights_hash}, "
            f"but Sonotag uses {weights.expected_md5()}; retrain the model.",
        )
    weights.ensure_weights(reporter, download=allow_download)
