"""What every backbone is: a frozen network that turns the windows of a recording into vectors.

Training, scoring, the feature cache, model bundles and the command line only talk to this
interface, so a backbone is a choice rather than a code path. A backbone decides what it
reads from a recording around each clip (``inputs``: ResNet50 draws the clip image, BirdNET
reads 3 s of 48 kHz audio), turns a batch of those inputs into vectors (``embed``), and names
its features for the cache (``cache_key``), so vectors of two backbones never mix.

Listing backbones (``status``) must stay cheap and import no TensorFlow: the GUI shows the list
when the Training panel opens.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model.jobs import Reporter

if TYPE_CHECKING:
    from model.audio import AudioFile
    from model.clips import ClipSettings

AVAILABLE = "available"
WEIGHTS_MISSING = "weights missing"
EXTRA_MISSING = "extra not installed"


@dataclass(frozen=True)
class BackboneStatus:
    state: str  # AVAILABLE, WEIGHTS_MISSING or EXTRA_MISSING
    detail: str  # one line for people: where the weights are, or how to get what is missing

    @property
    def available(self) -> bool:
        return self.state == AVAILABLE


@dataclass(frozen=True)
class Runtime:
    """Where a backbone computes, for progress lines ("CPU (2 cores, bfloat16)")."""

    description: str


class Backbone(ABC):
    """One backbone, configured for one job (precision, batch size, whether it may download)."""

    name: str = ""  # registry name, e.g. "birdnet-v2.4"; what --backbone takes
    title: str = ""  # for people
    dim: int = 0  # length of one feature vector
    version: str = ""
    licence: str = ""
    licence_url: str = ""
    # Shown where the backbone is chosen and written into every bundle made with it; empty for
    # backbones whose use carries no condition.
    licence_notice: str = ""
    flagged: bool = False  # "for testing only": flagged in the panel, model list and bundles
    fine_tunable: bool = False
    # The input: a sample rate of None means the project's clip settings' rate, a window of None
    # the labelling clip itself.
    sample_rate: int | None = None
    window_seconds: float | None = None
    window_placement: str = "the 2-s clip itself"

    #: What runs the network ("openvino", "keras", "litert"), shown with every figure.
    engine: str = ""

    def __init__(self, *, batch_size: int | None = None, allow_download: bool = True) -> None:
        self.batch_size = batch_size or self.default_batch_size
        self.allow_download = allow_download
        self.images_embedded = 0  # counts backbone work; tests assert the cache avoids it
        self._done: list[tuple[Any, np.ndarray]] = []

    default_batch_size = 32

    @classmethod
    @abstractmethod
    def status(cls) -> BackboneStatus:
        """Can it run here? Cheap: file checks only, no TensorFlow."""

    @property
    @abstractmethod
    def cache_key(self) -> str:
        """Names this backbone's features in the cache (network, weights, precision)."""

    @property
    @abstractmethod
    def device(self) -> Runtime:
        """Where it computes; may load the runtime (TensorFlow) to find out."""

    @abstractmethod
    def inputs(
        self,
        audio: AudioFile,
        starts: np.ndarray,
        settings: ClipSettings,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """The network's inputs for the clips starting at ``starts`` (s), in that order."""

    @abstractmethod
    def load(self, reporter: Reporter | None = None) -> None:
        """Builds the network now (weights checked or downloaded with progress)."""

    @abstractmethod
    def embed(self, inputs: np.ndarray, reporter: Reporter | None = None) -> np.ndarray:
        """(N, ...) inputs -> (N, dim) float32; ``reporter`` is checked every batch."""

    @abstractmethod
    def input_shape(self, settings: ClipSettings) -> tuple[int, ...]:
        """The shape of one input (``inputs`` returns (N, *this))."""

    def warm_up(self, settings: ClipSettings) -> None:
        """One dummy input through the network: the first call plans or traces the graph
        (seconds), which would otherwise make the first file's clips/s and ETA far too slow."""
        self.embed(np.zeros((1, *self.input_shape(settings)), self.input_dtype))
        self.images_embedded -= 1

    input_dtype = "float32"

    def submit(self, inputs: np.ndarray, tag: Any) -> None:
        """Starts embedding a batch; ``collect`` hands back (tag, features) once done. Engines
        that can run batches in flight (OpenVINO) return at once while their requests are free,
        so the caller draws the next inputs meanwhile; this default simply runs it now."""
        self._done.append((tag, self.embed(inputs)))

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        """The batches finished so far, in any order; ``wait``: all submitted ones."""
        done, self._done = self._done, []
        return done

    def describe(self, settings: ClipSettings | None = None) -> dict[str, Any]:
        """The manifest entry: enough to rebuild this backbone and to tell users what it is."""
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "dim": self.dim,
            "licence": self.licence,
            "licence_url": self.licence_url,
            "licence_notice": self.licence_notice,
            "flagged": self.flagged,
            "sample_rate": self.sample_rate or (settings.sample_rate if settings else None),
            "window_seconds": self.window_seconds or (settings.clip_seconds if settings else None),
            "window_placement": self.window_placement,
            "cache_key": self.cache_key,
        }

    def embed_clips(
        self,
        audio: AudioFile,
        starts: np.ndarray,
        settings: ClipSettings,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """Clip -> embedding in one call (the feature cache batches the two steps itself)."""
        return self.embed(self.inputs(audio, np.asarray(starts, np.float64), settings), reporter)
