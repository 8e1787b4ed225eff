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


class _Runner:
    """A compiled network and its inference requests, shared by every engine object of the
    process that runs the same network (as Keras' networks are in ``model.ml.backbone``):
    each compiled copy holds the weights and its requests' buffers, a few hundred MB."""

    def __init__(self, compiled: Any) -> None:
        import openvino as ov

        self.compiled = compiled
        requests = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        self.queue = ov.AsyncInferQueue(compiled, max(1, requests))
        self.queue.set_callback(self._finished)
        self.done: collections.deque[tuple[Any, np.ndarray]] = collections.deque()
        self.errors: list[BaseException] = []
        self.lock = threading.RLock()

    def _finished(self, request: Any, tag: Any) -> None:
        try:
            self.done.append((tag, np.array(request.get_output_tensor(0).data, np.float32)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            self.errors.append(exc)


_RUNNERS: dict[tuple[str, str], _Runner] = {}
_RUNNERS_LOCK = threading.Lock()


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
        self._runner: _Runner | None = None
        self._mine: collections.deque[tuple[Any, np.ndarray]] = collections.deque()

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
        return len(self._load().queue)

    def load(self, reporter: Reporter | None = None) -> None:
        self._load(reporter)

    def _load(self, reporter: Reporter | None = None) -> _Runner:
        if self._runner is not None:
            return self._runner
        key = (f"{self.spec.key}-g{GRAPH_VERSION}", self.ov_precision)
        with _RUNNERS_LOCK:
            if key not in _RUNNERS:
                if not self.spec.is_untrained:  # weights present (or fetched) before any cache
                    load_weights_check(self.spec, reporter, self.allow_download)
                from model.ml.engine.openvino_resnet import build_model

                def build() -> Any:
                    return build_model(load_weights(self.spec, reporter, self.allow_download))

                compiled = runtime.compile_network(key[0], build, self.ov_precision)
                _RUNNERS.clear()  # one backbone in memory at a time, as with Keras
                _RUNNERS[key] = _Runner(compiled)
            self._runner = _RUNNERS[key]
        return self._runner

    def submit(self, images: np.ndarray, tag: Any) -> None:
        """Starts ``images`` (uint8 (n, 224, 224, 3)); waits only while every request is busy."""
        runner = self._load()
        runner.queue.start_async({0: np.ascontiguousarray(images, np.uint8)}, (id(self), tag))
        self.images_embedded += len(images)

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        """This object's finished batches (tag, features) so far; ``wait`` first waits for
        every batch in flight."""
        runner = self._runner
        if runner is None:
            return []
        if wait:
            runner.queue.wait_all()
        if runner.errors:
            raise runner.errors.pop()
        others = []
        while runner.done:
            (owner, tag), features = runner.done.popleft()
            if owner == id(self):
                self._mine.append((tag, features))
            else:
                others.append(((owner, tag), features))
        runner.done.extend(others)  # another engine object's batches stay for it
        out = list(self._mine)
        self._mine.clear()
        return out

    def embed(self, images: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        """(N, 224, 224, 3) uint8 -> (N, 2048) float32, every request busy; ``reporter`` is
        checked between batches, so cancel lands within a batch."""
        count = len(images)
        out = np.empty((count, FEATURES), np.float32)
        if count == 0:
            return out
        runner = self._load()
        with runner.lock:  # one caller at a time owns the requests
            self.collect(wait=True)  # nothing of an earlier call is left over
            for begin in range(0, count, self.batch_size):
                if reporter is not None:
                    reporter.check()
                self.submit(images[begin : begin + self.batch_size], ("embed", begin))
            for (_, begin), features in self.collect(wait=True):
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
