"""Audio access without Qt: open WAV/FLAC/OGG/MP3, learn their facts, read any span fast.

Everything that can go wrong with a user's file raises ``model.errors.AudioError`` naming the
file and the cause; nothing here loads a whole recording into memory.
"""

from __future__ import annotations

from model.audio.discovery import find_audio_files
from model.audio.fingerprint import content_fingerprint
from model.audio.info import AUDIO_EXTENSIONS, AudioInfo
from model.audio.reader import AudioFile, probe, read_span

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioFile",
    "AudioInfo",
    "content_fingerprint",
    "find_audio_files",
    "probe",
    "read_span",
]
