"""What libmpg123 prints while libsndfile decodes an MP3, caught instead of leaking.

libmpg123 (inside libsndfile) writes "Note: Illegal Audio-MPEG-Header ..." and similar lines
straight to the process's standard error, where they clutter a batch run's terminal and can't
be turned off through libsndfile. Those lines are also the only place the real cause of a bad
MP3 is stated (libsndfile itself says "not a regular file (possibly a pipe?)"). So while an
MPEG stream is opened or decoded, file descriptor 2 points at a temporary file; afterwards the
decoder's lines are kept as notes for the error or warning, and anything else written there in
the meantime (another thread's output) is passed on unchanged.

Only MPEG files are watched (by name or by their first bytes), one at a time (a lock: the file
descriptor is shared by the whole process).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_MPEG_SUFFIXES = frozenset({".mp3", ".mp2", ".mpga", ".mpeg"})
_DECODER_LINE = re.compile(
    r"^(Note:|Warning:|Error:|\[src/libmpg123|\[.*mpg123.*\]|.*libmpg123)", re.IGNORECASE
)
_lock = threading.RLock()
_depth = 0


def looks_like_mpeg(path: Path) -> bool:
    """MP3 by name, or by an ID3 tag / MPEG frame sync at the start."""
    if path.suffix.lower() in _MPEG_SUFFIXES:
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(3)
    except OSError:
        return False
    return head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


@contextmanager
def caught_decoder_notes(active: bool = True) -> Iterator[list[str]]:
    """Yields a list that holds the decoder's lines once the block is left."""
    global _depth
    notes: list[str] = []
    if not active:
        yield notes
        return
    with _lock:
        if _depth:  # already caught further out
            yield notes
            return
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError, AttributeError):  # no usable fd 2: nothing can leak either
            yield notes
            return
        _depth += 1
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield notes
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                _depth -= 1
                sink.seek(0)
                _sort(sink.read().decode("utf-8", "replace"), notes)


def _sort(text: str, notes: list[str]) -> None:
    others = []
    for line in text.splitlines():
        if _DECODER_LINE.match(line.strip()):
            notes.append(line.strip())
        elif line.strip():
            others.append(line)
    if others:
        try:
            sys.stderr.write("\n".join(others) + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def summary(notes: list[str], limit: int = 2) -> str:
    """The decoder's distinct complaints, shortest form first, for an error message."""
    seen: list[str] = []
    for note in notes:
        text = re.sub(r"^\[[^\]]*\]\s*", "", note)  # "[src/libmpg123/id3.c:...()] error: ..."
        text = re.sub(r"^(Note|Warning|Error|error|warning):\s*", "", text).strip()
        if text and not text.startswith(("Trying to resync", "Skipped", "Hit end")):
            if text not in seen:
                seen.append(text)
    return "; ".join(seen[:limit])
