"""The frozen feature extractor: ResNet50 without its top, global average pooling, 2048 values.

``BackboneSpec`` says *which* network (ImageNet or the untrained test network) and is stored in
every model bundle; its ``key`` names the feature cache, so features of different backbones
never mix. The untrained network gets its weights from a seeded NumPy generator rather than
Keras' initialisers: the same seed gives the same features in any process and Keras version,
which tests and users without the ImageNet weights rely on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from model.errors import ModelBundleError
from model.jobs import Reporter

IMAGENET = "imagenet"
UNTRAINED = "untrained"
INPUT_SHAPE = (224, 224, 3)
FEATURES = 2048
FINE_TUNE_PREFIX = "conv5_"  # the last ResNet stage, unfrozen when fine-tuning


@dataclass(frozen=True)
class BackboneSpec:
    weights: str = IMAGENET  # IMAGENET or UNTRAINED
    seed: int = 0  # only for UNTRAINED
    weights_hash: str = ""  # MD5 of the ImageNet file, filled in by ``imagenet()``
    architecture: str = "resnet50"

    @classmethod
    def imagenet(cls) -> BackboneSpec:
        from model.ml import weights

        return cls(IMAGENET, 0, weights.expected_md5())

    @classmethod
    def untrained(cls, seed: int = 0) -> BackboneSpec:
        return cls(UNTRAINED, seed, "")

    @property
    def is_untrained(self) -> bool:
        return self.weights == UNTRAINED

    @property
    def key(self) -> str:
        """Identifies backbone and weights, e.g. ``resnet50-imagenet-4d473c1d``."""
        if self.is_untrained:
            return f"{self.architecture}-untrained-seed{self.seed}"
        return f"{self.architecture}-imagenet-{self.weights_hash[:8]}"

    @property
    def description(self) -> str:
        if self.is_untrained:
            return f"ResNet50, UNTRAINED (random weights, seed {self.seed}) - for testing only"
        return "ResNet50, ImageNet weights"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "key": self.key}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackboneSpec:
        return cls(
            weights=str(data.get("weights", IMAGENET)),
            seed=int(data.get("seed", 0)),
            weights_hash=str(data.get("weights_hash", "")),
            architecture=str(data.get("architecture", "resnet50")),
        )


def cache_key(spec: BackboneSpec, precision: str) -> str:
    """Feature-cache name: bfloat16 features differ from float32 ones in the third digit, so
    they are kept apart rather than mixed in one training set."""
    from model.ml.device import BFLOAT16

    return spec.key + ("-bf16" if precision == BFLOAT16 else "")


def _seeded_weights(model: Any, seed: int) -> None:
    """Glorot-uniform kernels, zero biases, identity batch norm, all from one NumPy generator."""
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        shape = tuple(variable.shape)
        name = variable.path if hasattr(variable, "path") else variable.name
        leaf = name.rsplit("/", 1)[-1]
        if leaf in ("gamma", "moving_variance"):
            values.append(np.ones(shape, np.float32))
        elif leaf == "kernel":
            receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
            fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            values.append(rng.uniform(-limit, limit, size=shape).astype(np.float32))
        else:  # bias, beta, moving_mean
            values.append(np.zeros(shape, np.float32))
    model.set_weights(values)


def build_network(
    spec: BackboneSpec,
    *,
    precision: str = "float32",
    reporter: Reporter | None = None,
    allow_download: bool = True,
) -> Any:
    """The Keras model: uint8-range float images (after ``preprocess``) -> (N, 2048) features."""
    import keras

    from model.ml import weights

    weights_path = None
    if not spec.is_untrained:
        if spec.weights_hash and spec.weights_hash != weights.expected_md5():
            raise ModelBundleError(
                None,
                f"this model was trained on backbone weights with checksum {spec.weights_hash}, "
                f"but Sonotag uses {weights.expected_md5()}; retrain the model.",
            )
        weights_path = weights.ensure_weights(reporter, download=allow_download)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        network = keras.applications.ResNet50(
            include_top=False, weights=None, input_shape=INPUT_SHAPE, pooling="avg"
        )
    finally:
        keras.config.set_dtype_policy(previous)
    if spec.is_untrained:
        _seeded_weights(network, spec.seed)
    else:
        try:
            network.load_weights(str(weights_path))
        except Exception as exc:  # noqa: BLE001 - h5py/Keras raise many kinds for a bad file
            raise ModelBundleError(
                weights_path,
                f"the file passed the checksum but does not hold ResNet50 weights ({exc})",
            ) from exc
    network.trainable = False
    return network


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 RGB clip images -> what ResNet50 expects (Keras' caffe-style preprocessing)."""
    from keras.applications.resnet50 import preprocess_input

    return preprocess_input(np.asarray(images, dtype=np.float32))


_NETWORKS: dict[tuple[str, str], tuple[Any, Any]] = {}


class FeatureExtractor:
    """The Keras engine: runs the backbone batch by batch; built lazily so cached projects
    never load it. ``model.ml.engine.openvino_engine.OpenVinoResNet50`` is its OpenVINO twin
    (same methods); ``model.ml.engine.choose`` says which one runs."""

    engine = "keras"

    def __init__(
        self,
        spec: BackboneSpec,
        *,
        precision: str | None = None,
        batch_size: int = 32,
        allow_download: bool = True,
    ) -> None:
        from model.ml import device

        self.spec = spec
        self.device = device.configure()
        self.precision = precision or self.device.precision
        self.batch_size = batch_size
        self.allow_download = allow_download
        self._network: Any = None
        self._step: Any = None
        self.images_embedded = 0  # counts backbone work; tests assert the cache avoids it
        self._done: list[tuple[Any, np.ndarray]] = []

    @property
    def cache_key(self) -> str:
        """Like OpenVINO's engine, PyTorch and JAX round bfloat16 differently from TensorFlow:
        their bfloat16 features are cached apart (float32 ones agree and are shared)."""
        from model.ml import backends
        from model.ml.device import BFLOAT16

        key = cache_key(self.spec, self.precision)
        backend = self.device.backend
        if self.precision == BFLOAT16 and backend != backends.TENSORFLOW:
            key += f"-{backend}"
        return key

    @property
    def description(self) -> str:
        """The device, backend and engine, e.g. "GPU (NVIDIA H100, PyTorch; Keras)"."""
        text = self.device.description
        return f"{text[:-1]}; Keras)" if text.endswith(")") else f"{text} (Keras)"

    @property
    def network(self) -> Any:
        self.load()
        return self._network

    def load(self, reporter: Reporter | None = None) -> None:
        """Builds the network now (downloading weights with progress if needed), or takes it
        from this process's cache: a worker scoring many files builds ResNet50 once."""
        if self._network is not None:
            return
        key = (self.spec.key, self.precision)
        if key not in _NETWORKS:
            from model.ml import backends

            network = build_network(
                self.spec,
                precision=self.precision,
                reporter=reporter,
                allow_download=self.allow_download,
            )
            step = backends.current().inference_step(network)

            _NETWORKS.clear()  # one backbone in memory at a time (about 100 MB each)
            _NETWORKS[key] = (network, step)
        self._network, self._step = _NETWORKS[key]

    def embed(self, images: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        """(N, 224, 224, 3) uint8 -> (N, 2048) float32; ``reporter`` is checked every batch
        (about a second on a laptop CPU), so cancel lands quickly."""
        count = len(images)
        out = np.empty((count, FEATURES), np.float32)
        if count == 0:
            return out
        self.load()
        step = self._step
        raw = getattr(step, "takes_uint8", False)  # preprocesses on its device (PyTorch)
        size = self.batch_size
        for begin in range(0, count, size):
            if reporter is not None:
                reporter.check()
            batch = images[begin : begin + size]
            out[begin : begin + len(batch)] = step(batch if raw else preprocess(batch))
        self.images_embedded += count
        return out

    def submit(self, images: np.ndarray, tag: Any) -> None:
        """The pipeline's interface (``OpenVinoResNet50.submit``): Keras simply runs it now."""
        self._done.append((tag, self.embed(images)))

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        done, self._done = self._done, []
        return done
