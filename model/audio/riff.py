"""A minimal walk over the chunks of a RIFF/WAVE file.

libsndfile silently shortens a WAV whose data chunk is cut off (a recorder whose battery died,
an interrupted copy), so the header's promise has to be read here to tell the user the file is
truncated. The same walk finds the GUANO ``guan`` chunk without a second parser touching the
file (the ``guano`` package's own loader fails on float and extensible WAVs).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

# Recorders that stream write these as "size not known yet"; libsndfile then uses the file size.
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
_MAX_CHUNKS = 4096


@dataclass(frozen=True)
class RiffLayout:
    data_offset: int | None = None
    data_size: int | None = None  # None when absent or a "not known yet" placeholder
    block_align: int | None = None
    guano: bytes | None = None


def read_riff_layout(path: Path) -> RiffLayout | None:
    """Chunk layout of a RIFF/WAVE file, or None when the file is not RIFF/WAVE (RF64, FLAC...)."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        file_size = fh.tell()
        fh.seek(0)
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        data_offset = data_size = block_align = None
        guano: bytes | None = None
        pos = 12
        for _ in range(_MAX_CHUNKS):
            if pos + 8 > file_size:
                break
            fh.seek(pos)
            chunk_id, size = struct.unpack("<4sI", fh.read(8))
            body = pos + 8
            if chunk_id == b"fmt " and size >= 14:
                block_align = struct.unpack("<H", fh.read(14)[12:14])[0] or None
            elif chunk_id == b"guan" and size < 1 << 20:
                guano = fh.read(size)
            elif chunk_id == b"data":
                data_offset = body
                data_size = None if size in _UNKNOWN_SIZES else size
                if data_size is None:
                    break  # streamed file: the data runs to the end
            pos = body + size + (size & 1)
        return RiffLayout(data_offset, data_size, block_align, guano)
