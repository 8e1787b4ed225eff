"""A cheap identity for a recording's content, to find it again after it was moved or renamed.

Hashing whole recordings (often GBs on an SD card) would take minutes; size plus three 1 MiB
samples (start, middle, end) tells different recordings apart in practice, because the start
holds the header with its timestamps and the rest is noisy field audio.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from model.audio.opening import check_readable
from model.errors import AudioError

_PIECE = 1 << 20


def content_fingerprint(path: str | Path) -> str:
    """Hex sha256 over the file size and its first, middle and last MiB."""
    path = Path(path)
    size = check_readable(path)
    digest = hashlib.sha256(b"sonotag-fp-1:" + str(size).encode() + b":")
    try:
        with open(path, "rb") as fh:
            offsets = [0]
            if size > 2 * _PIECE:
                offsets.append(size // 2 - _PIECE // 2)
            if size > _PIECE:
                offsets.append(size - _PIECE)
            for offset in offsets:
                fh.seek(offset)
                digest.update(fh.read(_PIECE))
    except PermissionError:
        raise AudioError(path, "permission denied: cannot read the file") from None
    except OSError as exc:
        raise AudioError(path, f"cannot read the file ({exc.strerror or exc})") from None
    return digest.hexdigest()
