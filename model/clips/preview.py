"""A user's own recording as the model would hear it: the loudest clip of its first minute.

File ▸ New project previews each preset on a demo call; a biologist also wants to see their own
calls before labelling a season with the wrong band. The clip shown is the one, among the first
minute's windows (1 s apart), whose image is brightest, which is where a call usually is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model.clips.batch import clip_images
from model.clips.settings import ClipSettings

if TYPE_CHECKING:
    from model.jobs import Reporter

SEARCH_SECONDS = 60.0


def loudest_clip(path: str | Path, settings: ClipSettings) -> tuple[np.ndarray, float, float]:
    """(image, start s, recording length s) of the brightest window in the first minute."""
    from model.audio import AudioFile

    with AudioFile(path) as audio:
        duration = float(audio.info.duration)
        last = max(0.0, min(duration, SEARCH_SECONDS) - settings.clip_seconds)
        starts = np.arange(0.0, last + 1e-9, 1.0) if last > 0 else np.zeros(1)
        images = clip_images(audio, starts, settings)
    best = int(np.argmax(images.reshape(len(starts), -1).mean(axis=1)))
    return images[best], float(starts[best]), duration


def recording_preview_job(
    reporter: Reporter, path: str, settings: dict[str, Any]
) -> tuple[np.ndarray, str]:
    """Job form for the dialog: the image and a caption naming the file and the clip."""
    reporter.check()
    chosen = ClipSettings.from_dict(settings)
    image, start, duration = loudest_clip(path, chosen)
    name = Path(path).name
    where = f"{start:g}–{start + chosen.clip_seconds:g} s"
    return image, f"{name}, {where} (the brightest clip of its first minute; {duration:.0f} s long)"
