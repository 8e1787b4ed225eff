"""Clip thumbnails for the explorer's hover preview and gallery, made in a thread job.

The picture is the clip image the backbone sees (``model.clips.clip_images``: the colour
mel-spectrogram of the project's clip settings), halved: what put the clip where it is on the
map. Each finished image is handed out at once, so a gallery fills cell by cell; the GUI
cancels a job whose clips are no longer wanted, so a hover never waits behind a full gallery.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from model.errors import AudioError
from model.jobs import Reporter

STEP = 2  # 224 px images shown at 112 px


def thumbnail(path: str | Path, start: float, settings: Any) -> np.ndarray:
    """(h, w, 3) uint8 picture of one clip."""
    from model.clips import clip_images

    image = clip_images(Path(path), [start], settings)[0]
    return np.ascontiguousarray(image[::STEP, ::STEP])


def thumbnails_job(
    reporter: Reporter, clips: Sequence[tuple[Any, str, float]], settings: dict[str, Any]
) -> int:
    """Thread job: emits (key, image or the reason it could not be read) per clip, in order;
    clips are (key, audio path, start s), ``settings`` ``ClipSettings.to_dict()``. Cancelled
    between clips when the GUI wants others (the mouse moved on)."""
    from model.clips import ClipSettings

    clip_settings = ClipSettings.from_dict(settings)
    for done, (key, path, start) in enumerate(clips):
        reporter.update(done, len(clips))
        try:
            image: Any = thumbnail(path, start, clip_settings)
        except (AudioError, OSError, ValueError) as exc:  # one bad file: say so in its cell
            image = f"{Path(path).name}: {getattr(exc, 'cause', None) or exc}"
        reporter.emit((key, image))
    return len(clips)
