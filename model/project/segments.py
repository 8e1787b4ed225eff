"""Segment files of the feature cache: immutable ``.npy`` pairs, written so a crash never leaves
vectors that would later be read as valid.

A segment is two files named by one stem: ``<stem>.vectors.npy`` (float16, windows x dim) and
``<stem>.starts.npy`` (int64 window starts in ms, sorted, unique). Both are written under a
temporary name, flushed to disk and only then renamed into place, vectors first: the starts
file is the commit record, so a segment without one is unfinished and ignored, and a reader
never sees a file that is still being written. Plain ``.npy`` keeps every segment readable by
NumPy alone and memory-mappable (``np.load(mmap_mode="r")``).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STARTS = ".starts.npy"
VECTORS = ".vectors.npy"
DTYPE = np.dtype("<f2")
COPY_ROWS = 4096  # rows copied at a time when merging: bounded memory for any recording
STALE_S = 3600.0  # an unfinished file this old belongs to a writer that died


class CorruptSegment(Exception):
    """A segment whose files do not hold what their names promise (truncated, garbled)."""

    def __init__(self, segment: Segment | None, cause: str) -> None:
        super().__init__(cause)
        self.segment = segment


@dataclass(frozen=True)
class Segment:
    folder: Path
    stem: str
    starts: np.ndarray  # int64 ms, sorted, unique

    @property
    def vectors_path(self) -> Path:
        return self.folder / (self.stem + VECTORS)

    @property
    def starts_path(self) -> Path:
        return self.folder / (self.stem + STARTS)

    def __len__(self) -> int:
        return len(self.starts)

    def vectors(self, dim: int) -> np.ndarray:
        """The float16 matrix, memory-mapped (nothing is read until rows are taken)."""
        try:
            array = np.load(self.vectors_path, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise  # merged away by another process: not damage
        except (OSError, ValueError, EOFError) as exc:
            raise CorruptSegment(self, f"{self.vectors_path.name}: {exc}") from exc
        if array.dtype != DTYPE or array.shape != (len(self.starts), dim):
            raise CorruptSegment(
                self,
                f"{self.vectors_path.name}: {array.dtype} {array.shape}, expected "
                f"{DTYPE} {(len(self.starts), dim)}",
            )
        return array

    def rows(self, rows: np.ndarray, dim: int, dtype: type = np.float32) -> np.ndarray:
        """Copies of some rows (float32, or the stored float16 as it is); non-finite values
        mean the file was damaged."""
        array = self.vectors(dim)
        order = np.argsort(rows, kind="stable")  # in file order: sequential reads
        taken = np.empty((len(rows), dim), dtype)
        try:
            taken[order] = array[np.asarray(rows)[order]]
        except (OSError, ValueError) as exc:
            raise CorruptSegment(self, f"{self.vectors_path.name}: {exc}") from exc
        finally:
            del array  # unmaps: the pages read leave this process's memory
        if not np.isfinite(taken).all():
            raise CorruptSegment(self, f"{self.vectors_path.name}: values that are not numbers")
        return taken

    def remove(self) -> None:
        """Starts first: without its commit record the segment no longer exists for anyone."""
        for path in (self.starts_path, self.vectors_path):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # mapped by another reader on Windows; ignored until then


def new_stem() -> str:
    """Sorts by creation time; pid and random part keep concurrent writers apart."""
    return f"s{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(3)}"


def _read_starts(path: Path) -> np.ndarray:
    try:
        starts = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError) as exc:
        raise CorruptSegment(None, f"{path.name}: {exc}") from exc
    if starts.dtype != np.int64 or starts.ndim != 1 or (np.diff(starts) <= 0).any():
        raise CorruptSegment(None, f"{path.name}: not sorted window starts")
    return starts


def list_segments(folder: Path, remove_damaged: bool = True) -> list[Segment]:
    """The finished segments of one recording, oldest first; damaged ones are left out (and
    removed, unless the cache is read-only)."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found: list[Segment] = []
    present = set(names)
    for name in names:
        if name.endswith(VECTORS) and name.removesuffix(VECTORS) + STARTS not in present:
            if remove_damaged:
                _remove_if_stale(folder / name)
        if not name.endswith(STARTS):
            continue
        stem = name.removesuffix(STARTS)
        try:
            found.append(Segment(folder, stem, _read_starts(folder / name)))
        except FileNotFoundError:
            continue  # merged away by another process a moment ago
        except CorruptSegment:
            if remove_damaged:
                Segment(folder, stem, np.zeros(0, np.int64)).remove()
    return found


def _remove_if_stale(path: Path) -> None:
    """A vectors file with no starts file: a writer between its two renames, or one that died."""
    try:
        if time.time() - path.stat().st_mtime > STALE_S:
            path.unlink()
    except OSError:
        pass


def _write_npy(path: Path, shape: tuple[int, ...], dtype: np.dtype, parts: Iterable[bytes]) -> None:
    """Header, then the data piece by piece, then fsync: bounded memory, durable bytes."""
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    expected = int(np.prod(shape)) * dtype.itemsize
    written = 0
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        for part in parts:
            written += handle.write(part)
        if written != expected:
            raise ValueError(f"{written} bytes of data for an array of {expected}")
        handle.flush()
        os.fsync(handle.fileno())


def _half(vectors: np.ndarray) -> np.ndarray:
    """float16 as stored; values beyond its range are clipped rather than turned into inf."""
    limit = float(np.finfo(DTYPE).max)
    return np.ascontiguousarray(np.clip(vectors, -limit, limit), dtype=DTYPE)


def as_stored(vectors: np.ndarray) -> np.ndarray:
    """float32 vectors rounded exactly as the cache keeps them, so a score never depends on
    whether its features came from the cache or straight from the backbone."""
    return _half(np.asarray(vectors, np.float32)).astype(np.float32)


def write_segment(
    folder: Path,
    tmp: Path,
    starts_ms: np.ndarray,
    dim: int,
    pieces: Iterable[np.ndarray],
) -> Segment:
    """Writes a new segment from sorted unique starts and their vectors (given in pieces of
    rows, in order), committing it with two renames; returns it."""
    starts_ms = np.ascontiguousarray(starts_ms, dtype=np.int64)
    stem = new_stem()
    tmp.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    tmp_vectors, tmp_starts = tmp / (stem + VECTORS), tmp / (stem + STARTS)
    try:
        _write_npy(
            tmp_vectors,
            (len(starts_ms), dim),
            DTYPE,
            (_half(piece).tobytes() for piece in pieces),
        )
        _write_npy(tmp_starts, (len(starts_ms),), np.dtype(np.int64), [starts_ms.tobytes()])
        os.replace(tmp_vectors, folder / (stem + VECTORS))
        os.replace(tmp_starts, folder / (stem + STARTS))
    finally:
        tmp_vectors.unlink(missing_ok=True)
        tmp_starts.unlink(missing_ok=True)
    return Segment(folder, stem, starts_ms)


@dataclass(frozen=True)
class Index:
    """Where each cached window of one recording lives; a newer segment wins a duplicate."""

    segments: list[Segment]
    starts: np.ndarray  # int64 ms, sorted, unique
    segment: np.ndarray  # index into ``segments`` per start
    row: np.ndarray  # row in that segment

    @classmethod
    def build(cls, segments: Sequence[Segment]) -> Index:
        if not segments:
            empty = np.zeros(0, np.int64)
            return cls([], empty, empty, empty)
        starts = np.concatenate([s.starts for s in reversed(segments)])  # newest first
        which = np.concatenate(
            [np.full(len(s), i, np.int64) for i, s in reversed(list(enumerate(segments)))]
        )
        rows = np.concatenate([np.arange(len(s), dtype=np.int64) for s in reversed(segments)])
        unique, first = np.unique(starts, return_index=True)  # first hit = newest segment
        return cls(list(segments), unique, which[first], rows[first])

    def find(self, starts_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, position in ``starts``) for requested window starts."""
        if len(self.starts) == 0:
            return np.zeros(len(starts_ms), bool), np.zeros(len(starts_ms), np.int64)
        position = np.minimum(np.searchsorted(self.starts, starts_ms), len(self.starts) - 1)
        return self.starts[position] == starts_ms, position

    def pieces(self, dim: int, chunk: int = COPY_ROWS) -> Iterable[np.ndarray]:
        """All vectors in start order, a chunk at a time (for merging segments)."""
        for begin in range(0, len(self.starts), chunk):
            which = self.segment[begin : begin + chunk]
            rows = self.row[begin : begin + chunk]
            out = np.empty((len(rows), dim), np.float32)
            for number in np.unique(which):
                mask = which == number
                out[mask] = self.segments[int(number)].rows(rows[mask], dim)
            yield out
