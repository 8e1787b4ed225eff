"""Reading one model's scores for a whole season: which recordings can matter, then the scores
themselves in bounded chunks.

Scores stay one float32 matrix per (model, recording) (``results.py``): a row per score would be
72 million rows for 1,000 hours x 20 classes, gigabytes that SQLite sums slowly. What the
aggregations need beside them is small and indexed:

- ``prediction_peaks``: each recording's highest score per class, written with the scores. "Which
  recordings have a window of this class at or above 0.8?" is an index range, so a review queue
  or an activity count at a high threshold reads only those recordings' matrices;
- ``predictions_windows``: (model, recording, windows) as a covering index, so per-recording
  counts and chunk planning never touch the matrices.

The matrices are then read a chunk of recordings at a time (about 260,000 windows, whatever the
project's size), joined into one array per chunk, so the arithmetic is numpy over the chunk, not
Python per recording.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.project.base import StoreBase

CHUNK_WINDOWS = 1 << 18
_CHUNK_ROWS = 4096  # recordings per query at most, however short they are


def column_peaks(scores: np.ndarray) -> np.ndarray:
    """Highest score per column, NaN ignored (NaN where a column has no number at all)."""
    if scores.shape[0] == 0:
        return np.full(scores.shape[1], np.nan)
    peaks = np.where(np.isnan(scores), -np.inf, scores).max(axis=0).astype(np.float64)
    peaks[np.isnan(scores).all(axis=0)] = np.nan
    return peaks


def write_peaks(
    conn: sqlite3.Connection,
    model_id: int,
    recording_id: int,
    class_ids: Sequence[int],
    scores: np.ndarray,
) -> None:
    """Replaces one recording's peaks; the caller holds the transaction that stores the scores."""
    conn.execute(
        "DELETE FROM prediction_peaks WHERE model_id = ? AND recording_id = ?",
        (model_id, recording_id),
    )
    conn.executemany(
        "INSERT INTO prediction_peaks(model_id, recording_id, class_id, peak) VALUES (?, ?, ?, ?)",
        [
            (model_id, recording_id, int(class_id), float(peak))
            for class_id, peak in zip(class_ids, column_peaks(scores), strict=True)
            if not np.isnan(peak)
        ],
    )


@dataclass(frozen=True)
class ScoreChunk:
    """Windows of consecutive recordings (by id), one row per window, columns ``class_ids``."""

    class_ids: list[int]
    recording_ids: np.ndarray  # int64, per window
    starts: np.ndarray  # float64 seconds into the recording, per window
    scores: np.ndarray  # float32, (windows, len(class_ids))

    def __len__(self) -> int:
        return len(self.starts)


class ScoreIndexMixin(StoreBase):
    """Season-wide score reads for ``Project`` (which provides the plumbing)."""

    def recordings_reaching(self, model_id: int, class_id: int, minimum: float) -> list[int]:
        """Recordings (ascending id) with at least one window of ``class_id`` scoring
        ``minimum`` or more: one range of the peaks index."""
        rows = self._rows(
            "SELECT recording_id FROM prediction_peaks WHERE model_id = ? AND class_id = ? "
            "AND peak >= ? ORDER BY recording_id",
            (model_id, class_id, float(minimum)),
        )
        return [r[0] for r in rows]

    def scored_windows(self, model_id: int) -> tuple[np.ndarray, np.ndarray]:
        """(recording ids ascending, windows scored in each), from the covering index."""
        rows = self._rows(
            "SELECT recording_id, n_windows FROM predictions WHERE model_id = ? "
            "ORDER BY recording_id",
            (model_id,),
        )
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        return ids, np.fromiter((r[1] for r in rows), np.int64, len(rows))

    def scored_recording_clocks(self, model_id: int) -> list[tuple[int, str | None, float]]:
        """(id, start time as stored, duration) of every recording the model scored."""
        return self._rows(
            "SELECT r.id, r.start_time, r.duration FROM predictions p "
            "JOIN recordings r ON r.id = p.recording_id WHERE p.model_id = ? ORDER BY r.id",
            (model_id,),
        )

    def iter_scores(
        self,
        model_id: int,
        recording_ids: Iterable[int] | None = None,
        class_ids: Sequence[int] | None = None,
        max_windows: int = CHUNK_WINDOWS,
    ) -> Iterator[ScoreChunk]:
        """The model's scores (of ``recording_ids``, else all) in ascending recording order,
        about ``max_windows`` windows per chunk; ``class_ids`` keeps those columns only, and a
        recording scored without any of them is passed over."""
        ids, counts = self.scored_windows(model_id)
        if recording_ids is not None:
            keep = np.isin(ids, np.fromiter(recording_ids, np.int64))
            ids, counts = ids[keep], counts[keep]
        for batch in _batches(ids, counts, max_windows):
            rows = self._rows(
                "SELECT recording_id, n_windows, class_ids, starts, scores FROM predictions "
                "WHERE model_id = ? AND recording_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY recording_id",
                (model_id, json.dumps(batch)),
            )
            yield from _chunks(rows, class_ids)


def _batches(ids: np.ndarray, counts: np.ndarray, max_windows: int) -> Iterator[list[int]]:
    """Consecutive recordings whose windows add up to about ``max_windows`` (at least one)."""
    start = 0
    while start < len(ids):
        total = np.cumsum(counts[start : start + _CHUNK_ROWS])
        stop = start + max(1, int(np.searchsorted(total, max_windows, side="right")))
        yield ids[start:stop].tolist()
        start = stop


def _chunks(rows: list[tuple[Any, ...]], wanted: Sequence[int] | None) -> Iterator[ScoreChunk]:
    """One chunk per run of rows scored with the same class list (normally all of them)."""
    for text, group in itertools.groupby(rows, key=lambda row: row[2]):
        run = list(group)
        ids = [int(c) for c in json.loads(text)]
        columns = (
            list(range(len(ids))) if wanted is None else [ids.index(c) for c in wanted if c in ids]
        )
        if not columns:
            continue
        counts = np.fromiter((row[1] for row in run), np.int64, len(run))
        starts = np.frombuffer(b"".join(row[3] for row in run), np.float64)
        scores = np.frombuffer(b"".join(row[4] for row in run), np.float32).reshape(-1, len(ids))
        if columns != list(range(len(ids))):
            scores = np.ascontiguousarray(scores[:, columns])
        recordings = np.repeat(np.fromiter((row[0] for row in run), np.int64, len(run)), counts)
        yield ScoreChunk([ids[c] for c in columns], recordings, starts, scores)
