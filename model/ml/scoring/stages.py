"""The producer stage of the scoring pipeline: files in, the backbone's inputs out, in pieces.

Runs in the prefetch thread (``model.ml.scoring.prefetch``). For each file it opens the audio,
works out the windows to score (the NaN/Inf spans ``model.audio`` finds are left out, as
everywhere in scoring) and draws the inputs a piece at a time, so a 24-hour file never has more
than a piece of images in memory. A file that cannot be read becomes a ``FileFailed`` with the
cause in words and the stream goes on with the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from model.errors import SonotagError
from model.jobs import Cancelled, Reporter

if TYPE_CHECKING:
    from model.ml.scoring.engine import FileJob


class Backbone(Protocol):
    """What the pipeline needs of a backbone (``model.ml.backbones.Backbone`` has it all)."""

    batch_size: int

    @property
    def device(self) -> Any: ...

    def load(self, reporter: Reporter | None = None) -> None: ...

    def warm_up(self, settings: Any) -> None: ...

    def inputs(
        self, audio: Any, starts: np.ndarray, settings: Any, reporter: Reporter | None = None
    ) -> np.ndarray: ...

    def submit(self, inputs: np.ndarray, tag: Any) -> None: ...

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]: ...


@dataclass
class FileStart:
    number: int
    job: FileJob
    starts: np.ndarray


@dataclass
class Piece:
    number: int
    offset: int  # position of the first input among the file's windows
    inputs: np.ndarray
    last: bool


@dataclass
class FileFailed:
    number: int
    job: FileJob
    cause: str


def file_windows(audio: Any, clip_seconds: float, hop: float) -> np.ndarray:
    """Every window start at ``hop`` (the shared clip geometry), less those touching a NaN or
    infinite sample; AudioError when nothing is left."""
    from model.clips import window_starts
    from model.errors import AudioError

    starts = window_starts(audio.info.duration, clip_seconds, hop)
    damage = audio.damage()
    if not damage:
        return starts
    kept = starts[damage.usable(starts, clip_seconds)]
    if len(kept) == 0:
        raise AudioError(audio.path, f"nothing left to score: {damage.describe()}")
    return kept


def produce(
    jobs: Iterable[FileJob],
    backbone: Backbone,
    settings: Any,
    hop: float,
    piece: int,
    reporter: Reporter | None = None,
) -> Iterator[FileStart | Piece | FileFailed]:
    for number, job in enumerate(jobs):
        yield from _one_file(number, job, backbone, settings, hop, piece, reporter)


def _one_file(
    number: int,
    job: FileJob,
    backbone: Backbone,
    settings: Any,
    hop: float,
    piece: int,
    reporter: Reporter | None,
) -> Iterator[FileStart | Piece | FileFailed]:
    from model.audio import AudioFile

    try:
        with AudioFile(job.path) as audio:
            starts = (
                np.asarray(job.starts, np.float64)
                if job.starts is not None
                else file_windows(audio, settings.clip_seconds, hop)
            )
            yield FileStart(number, job, starts)
            for begin in range(0, len(starts), piece):
                if reporter is not None:
                    reporter.check()
                inputs = backbone.inputs(audio, starts[begin : begin + piece], settings)
                yield Piece(number, begin, inputs, begin + piece >= len(starts))
    except Cancelled:
        raise
    except SonotagError as exc:
        yield FileFailed(number, job, exc.cause)
    except OSError as exc:
        yield FileFailed(number, job, f"cannot read the file ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - one odd file must not end a night's batch
        yield FileFailed(number, job, f"unexpected error ({type(exc).__name__}: {exc})")
