"""The labelled windows' features of one training run, on disk, read back a piece at a time.

300,000 labelled clips are 2.4 GB of float32 features: more than a field laptop should give a
background job. ``FeatureTable`` holds them as float16 rows in one temporary ``.npy`` file
(beside the feature cache), in a random order fixed when it is written, so reading a contiguous
run of rows already gives a random sample of windows. ``FeatureRows`` is a selection of those
rows (a fold's training part, its test part) that training and scoring read in bounded pieces:

- ``chunks`` in file order (statistics, scores), at most ``CHUNK_ROWS`` rows in memory;
- ``shuffled`` for training: runs of ``RUN_ROWS`` rows in a new random order each pass fill a
  buffer of ``BUFFER_ROWS`` rows (the bounded shuffle buffer) whose rows are dealt into batches
  in a random order, so no pass sees the same batches and memory stays the buffer's size
  whatever the number of windows.

Rows are read with plain file reads, not a long-lived memory map, so pages read for one piece
are not charged to the process for the rest of the run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

DTYPE = np.dtype("<f2")
CHUNK_ROWS = 8192
RUN_ROWS = 128  # a run read at once: 512 KB of 2048-d rows
BUFFER_ROWS = 16384  # the shuffle buffer: 64 MB of 2048-d float16 rows
MOMENT_ROWS = 32768  # rows that estimate a selection's mean and variance
STALE_S = 24 * 3600.0  # tables left by a worker that died are removed after a day


class FeatureTable:
    """float16 rows, one per example, at positions shuffled once; deleted by ``close``."""

    def __init__(self, path: Path, rows: int, dim: int, seed: int) -> None:
        self.path = path
        self.rows = rows
        self.dim = dim
        # position[i]: the row of the file holding example i
        self.position = np.random.default_rng(seed).permutation(rows).astype(np.int64)
        self._offset = 0
        # The file goes when the table does, even if the job ends by an exception.
        self._finalizer = weakref.finalize(self, _unlink, path)

    @classmethod
    def create(cls, folder: Path | None, rows: int, dim: int, seed: int = 0) -> FeatureTable:
        """A zero-filled table in ``folder`` (the system's temporary folder when None or not
        writable)."""
        for place in ([folder] if folder is not None else []) + [Path(tempfile.gettempdir())]:
            try:
                place.mkdir(parents=True, exist_ok=True)
                _remove_stale(place)
                handle, name = tempfile.mkstemp(prefix="table-", suffix=".npy", dir=place)
            except OSError:
                continue
            table = cls(Path(name), rows, dim, seed)
            with os.fdopen(handle, "wb") as out:
                header = {"descr": DTYPE.str, "fortran_order": False, "shape": (rows, dim)}
                np.lib.format.write_array_header_1_0(out, header)
                table._offset = out.tell()
                out.truncate(table._offset + rows * dim * DTYPE.itemsize)
            return table
        raise OSError(f"no folder to write a {rows} x {dim} feature table in")

    def write(self, examples: np.ndarray, vectors: np.ndarray) -> None:
        """Stores the vectors of these examples (in any order), through a map of the file
        that lasts this call only: one seek and write per row had taken 19 s of a 300,000-
        clip retrain (the rows land at shuffled positions, so hardly any are neighbours)."""
        positions = self.position[np.asarray(examples, np.int64)]
        if len(positions) == 0:
            return
        table = np.memmap(self.path, DTYPE, "r+", offset=self._offset, shape=(self.rows, self.dim))
        try:
            table[positions] = np.asarray(vectors)
        finally:
            del table  # unmapped: the pages written leave this process's memory

    def select(self, examples: np.ndarray | None = None) -> FeatureRows:
        index = np.arange(self.rows) if examples is None else np.asarray(examples, np.int64)
        return FeatureRows(self, self.position[index])

    @contextlib.contextmanager
    def reader(self) -> Iterator[Callable[[int, int], np.ndarray]]:
        """``read(first, count)``: file rows ``first`` .. ``first + count`` as float16, from one
        open file for as long as the context lasts."""
        row_bytes = self.dim * DTYPE.itemsize
        with open(self.path, "rb", buffering=0) as source:

            def read(first: int, count: int) -> np.ndarray:
                data = bytearray(count * row_bytes)
                source.seek(self._offset + first * row_bytes)
                view = memoryview(data)
                got = 0
                while got < len(data):
                    n = source.readinto(view[got:])
                    if not n:
                        raise OSError(f"{self.path} ended early")
                    got += n
                return np.frombuffer(data, DTYPE).reshape(count, self.dim)

            yield read

    def close(self) -> None:
        self._finalizer()

    def __enter__(self) -> FeatureTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # open elsewhere on Windows; removed as stale later


def _remove_stale(folder: Path) -> None:
    for path in folder.glob("table-*.npy"):
        try:
            if time.time() - path.stat().st_mtime > STALE_S:
                path.unlink()
        except OSError:
            pass


class FeatureRows:
    """A selection of a table's rows, indexed like an array of examples (``rows[index]`` is
    another selection); nothing is read until it is iterated or loaded."""

    def __init__(self, table: FeatureTable, positions: np.ndarray) -> None:
        self.table = table
        self.positions = positions  # file row of each selected example, in selection order

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def dim(self) -> int:
        return self.table.dim

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.dim

    @property
    def nbytes(self) -> int:
        """As float32 in memory (what loading it would cost)."""
        return len(self) * self.dim * 4

    def __getitem__(self, index: np.ndarray) -> FeatureRows:
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return FeatureRows(self.table, self.positions[index.astype(np.int64)])

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(selection indices, float16 rows) in file order, ``size`` file rows at a time."""
        order = np.argsort(self.positions, kind="stable")
        sorted_positions = self.positions[order]
        bounds = np.searchsorted(sorted_positions, np.arange(0, self.table.rows + size, size))
        with self.table.reader() as read:
            for number in range(len(bounds) - 1):
                lo, hi = bounds[number], bounds[number + 1]
                if lo == hi:
                    continue
                first = int(sorted_positions[lo])
                block = read(first, int(sorted_positions[hi - 1]) - first + 1)
                yield order[lo:hi], block[sorted_positions[lo:hi] - first]

    def load(self) -> np.ndarray:
        """Every selected row as float32, in selection order (for sizes that fit in memory)."""
        out = np.empty((len(self), self.dim), np.float32)
        for index, rows in self.chunks():
            out[index] = rows
        return out

    def moments(self, most: int = MOMENT_ROWS) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of each feature over the selection, or over a random ``most`` of
        its rows (the table's order is random, so the first rows in file order are a random
        sample): standardising needs each feature's scale, not its fourth digit, and this
        spares a pass over 100,000s of rows for every head trained."""
        total = np.zeros(self.dim, np.float64)
        squares = np.zeros(self.dim, np.float64)
        n = 0
        for _, rows in self.chunks():
            block = rows.astype(np.float32)
            total += block.sum(axis=0, dtype=np.float64)
            squares += np.square(block).sum(axis=0, dtype=np.float64)
            n += len(block)
            if n >= most:
                break
        n = max(n, 1)
        mean = total / n
        return mean, np.maximum(squares / n - mean**2, 0.0)

    def moments_by(
        self, members: np.ndarray, most: int = MOMENT_ROWS
    ) -> tuple[np.ndarray, np.ndarray]:
        """``moments`` of several subsets at once (``members``: selection x subsets, bool),
        from one pass that stops once every subset has ``most`` rows: the evaluation's five
        folds had read and converted their samples five times. Float64 sums over slices of a
        chunk, so memory stays a slice's size."""
        subsets = members.shape[1]
        total = np.zeros((subsets, self.dim), np.float64)
        squares = np.zeros((subsets, self.dim), np.float64)
        counts = np.zeros(subsets, np.int64)
        for index, rows in self.chunks():
            for begin in range(0, len(index), 2048):
                block = rows[begin : begin + 2048].astype(np.float64)
                weights = members[index[begin : begin + 2048]].astype(np.float64)
                total += weights.T @ block
                squares += weights.T @ np.square(block)
                counts += weights.sum(axis=0).astype(np.int64)
            if counts.min() >= most:  # subsets > 0: members has a column each
                break
        n = np.maximum(counts, 1)[:, None]
        mean = total / n
        return mean, np.maximum(squares / n - mean**2, 0.0)

    def shuffled(
        self, rng: np.random.Generator, batch_size: int, buffer: int = BUFFER_ROWS
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass in a fresh random order, as batches of (selection indices, float16 rows):
        runs of the table in a random order fill a buffer of about ``buffer`` rows, whose rows
        are dealt out in a random order."""
        order = np.argsort(self.positions, kind="stable")
        sorted_positions = self.positions[order]
        runs = np.searchsorted(sorted_positions, np.arange(0, self.table.rows + RUN_ROWS, RUN_ROWS))
        index = np.empty(buffer + RUN_ROWS, np.int64)
        rows = np.empty((buffer + RUN_ROWS, self.dim), DTYPE)  # the shuffle buffer
        held = 0
        with self.table.reader() as read:
            for number in rng.permutation(len(runs) - 1):
                lo, hi = runs[number], runs[number + 1]
                if lo == hi:
                    continue
                first = int(sorted_positions[lo])
                block = read(first, int(sorted_positions[hi - 1]) - first + 1)
                index[held : held + hi - lo] = order[lo:hi]
                np.take(
                    block, sorted_positions[lo:hi] - first, axis=0, out=rows[held : held + hi - lo]
                )
                held += hi - lo
                if held >= buffer:
                    yield from _dealt(index[:held], rows[:held], rng, batch_size)
                    held = 0
        if held:
            yield from _dealt(index[:held], rows[:held], rng, batch_size)


def _dealt(
    index: np.ndarray, rows: np.ndarray, rng: np.random.Generator, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The buffer's rows in a random order, as batches (copies: the buffer is reused)."""
    mix = rng.permutation(len(index))
    for begin in range(0, len(mix), batch_size):
        part = mix[begin : begin + batch_size]
        yield index[part], rows[part]
