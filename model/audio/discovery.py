"""Finding recordings among what the user dropped or picked: files and folders, mixed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from model.audio.info import AUDIO_EXTENSIONS


def _is_audio_name(name: str) -> bool:
    # "._x.WAV" are macOS resource forks that land on SD cards; they are not audio.
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def find_audio_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files given explicitly (kept whatever their extension: the user chose them) plus every
    audio file below given folders (by extension, any case, hidden files and folders skipped);
    de-duplicated and sorted. Missing paths are kept so that opening them names the problem."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            found.add(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            found.update(Path(root, name) for name in files if _is_audio_name(name))
    return sorted(found, key=lambda p: (str(p).lower(), str(p)))
