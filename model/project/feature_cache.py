"""Backbone features outside the project file, in a cache folder beside it.

    P.sonotag                labels, classes, models, scores: the work that cannot be redone
    P.sonotag-cache/         derived data only; delete it and it is rebuilt on demand
        features/<store>/    one store per backbone cache key and clip-settings fingerprint
            store.json       what the store holds: backbone key, settings fingerprint, vector size
            <rid>-<hash>/    one folder per recording: its id and a hash of its content fingerprint
                <segment>.vectors.npy + <segment>.starts.npy   (see ``segments``)
        tmp/                 files being written

The cache describes itself, so the project file keeps nothing about it and the two can never
disagree: a copied project without its cache, a cache left over from another project, or a
recording replaced by different audio under the same id all simply find nothing and recompute.
One ``.npy`` pair per write (merged as they accumulate) rather than Zarr: a feature vector is
written once and read whole, NumPy alone reads and memory-maps the files, and no dependency is
needed for what is a handful of arrays per recording.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from model.errors import ProjectError
from model.project.segments import (
    CorruptSegment,
    Index,
    Segment,
    list_segments,
    write_segment,
)

CACHE_SUFFIX = "-cache"
FORMAT = 1
MAX_SEGMENTS = 12  # beyond this many files per recording, merge them all
_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is Sonotag's feature cache; it is rebuilt on demand and need not be backed up.\n"
)


class RecordingKey(Protocol):
    """What identifies a recording's features: its id and its audio content."""

    @property
    def id(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...


@dataclass(frozen=True)
class CacheKey:
    """A ``RecordingKey`` without the rest of a ``Recording`` (migration, benchmarks)."""

    id: int
    fingerprint: str


def cache_folder(project_path: str | Path) -> Path:
    """``<project file name>-cache`` beside the project, e.g. ``P.sonotag-cache``."""
    path = Path(project_path)
    return path.with_name(path.name + CACHE_SUFFIX)


def to_ms(starts: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(starts, np.float64).reshape(-1) * 1000).astype(np.int64)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def store_name(backbone: str, settings: str) -> str:
    """Readable backbone key plus a hash of both keys (``store.json`` holds them in full)."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", backbone)[:60].strip("._") or "backbone"
    return f"{readable}-{_digest(backbone, settings)[:12]}"


def recording_folder_name(recording: RecordingKey) -> str:
    return f"{int(recording.id)}-{_digest(str(recording.fingerprint))[:16]}"


class FeatureStore:
    """The cached vectors of one backbone and one set of clip settings, per recording.

    ``get`` and ``put`` work on window starts in seconds (kept to the millisecond); a vector
    read back is exactly what was put, rounded to float16. Files found damaged are deleted and
    reported as not cached, so their windows are computed again.
    """

    def __init__(self, root: str | Path, backbone: str, settings: str, *, writable: bool = True):
        self.root = Path(root)
        self.backbone = backbone
        self.settings = settings
        self.writable = writable
        self.folder = self.root / "features" / store_name(backbone, settings)
        self.tmp = self.root / "tmp"
        self._dim: int | None = None

    @classmethod
    def for_project(cls, project: Any, backbone: str, settings: str) -> FeatureStore:
        """The store beside an open project; read-only projects get a store that never writes."""
        return cls(cache_folder(project.path), backbone, settings, writable=not project.read_only)

    def __repr__(self) -> str:
        return f"FeatureStore({str(self.folder)!r})"

    # ----------------------------------------------------------------- description
    @property
    def dim(self) -> int | None:
        """Vector size, or None while nothing is stored."""
        if self._dim is None:
            meta = self._read_meta()
            self._dim = None if meta is None else int(meta["dim"])
        return self._dim

    def _read_meta(self) -> dict[str, Any] | None:
        path = self.folder / "store.json"
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None  # nothing stored yet (segments written meanwhile are still checked)
        except (OSError, ValueError):
            meta = None
        ok = (
            isinstance(meta, dict)
            and meta.get("format") == FORMAT
            and meta.get("backbone") == self.backbone
            and meta.get("settings") == self.settings
            and isinstance(meta.get("dim"), int)
            and meta["dim"] > 0
        )
        if not ok and self.writable:
            # Whatever is here cannot be vouched for: a cache is cheaper to rebuild than to trust.
            shutil.rmtree(self.folder, ignore_errors=True)
        return meta if ok else None

    def _write_meta(self, dim: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(_TAG, encoding="utf-8")
        meta = {"format": FORMAT, "backbone": self.backbone, "settings": self.settings, "dim": dim}
        scratch = self.tmp / f"store-{os.getpid()}.json"
        scratch.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(scratch, self.folder / "store.json")
        self._dim = dim

    def recordings(self) -> list[int]:
        """Ids of the recordings with anything cached in this store."""
        try:
            names = [e.name for e in os.scandir(self.folder) if e.is_dir()]
        except FileNotFoundError:
            return []
        return sorted({int(n.split("-", 1)[0]) for n in names if n.split("-", 1)[0].isdigit()})

    # ----------------------------------------------------------------- reading
    def _index(self, recording: RecordingKey) -> Index:
        folder = self.folder / recording_folder_name(recording)
        return Index.build(list_segments(folder, remove_damaged=self.writable))

    def lookup(self, recording: RecordingKey, starts: np.ndarray) -> np.ndarray:
        """Which of these windows are cached (nothing is read but the window lists)."""
        if self.dim is None:
            return np.zeros(len(to_ms(starts)), bool)
        return self._index(recording).find(to_ms(starts))[0]

    def get(
        self, recording: RecordingKey, starts: np.ndarray, dtype: type = np.float32
    ) -> tuple[np.ndarray, np.ndarray]:
        """(found mask[n], vectors[n, dim] with zero rows where not found): float32, or
        float16 as stored (no conversion, for a caller that stores them as float16 again).

        With nothing stored at all, ``dim`` is 0.
        """
        starts_ms = to_ms(starts)
        dim = self.dim
        if dim is None:
            return np.zeros(len(starts_ms), bool), np.zeros((len(starts_ms), 0), dtype)
        for attempt in range(2):
            try:
                return self._get(recording, starts_ms, dim, dtype)
            except FileNotFoundError:
                if attempt:  # merged away twice under us: let the caller recompute
                    missing = np.zeros((len(starts_ms), dim), dtype)
                    return np.zeros(len(starts_ms), bool), missing
        raise AssertionError("unreachable")

    def _get(
        self, recording: RecordingKey, starts_ms: np.ndarray, dim: int, dtype: type
    ) -> tuple[np.ndarray, np.ndarray]:
        index = self._index(recording)
        found, position = index.find(starts_ms)
        out = np.zeros((len(starts_ms), dim), dtype)
        which = np.where(found, index.segment[position] if len(index.starts) else -1, -1)
        for number in np.unique(which[found]):
            selected = which == number
            segment = index.segments[int(number)]
            try:
                out[selected] = segment.rows(index.row[position[selected]], dim, dtype)
            except FileNotFoundError:
                if not segment.starts_path.exists():
                    raise  # merged away meanwhile: look again
                self._discard(segment)  # committed, yet its vectors are gone
                found &= ~selected
            except CorruptSegment:
                self._discard(segment)
                found &= ~selected
        return found, out

    def _discard(self, segment: Segment) -> None:
        if self.writable:
            segment.remove()

    # ----------------------------------------------------------------- writing
    def put(self, recording: RecordingKey, starts: np.ndarray, vectors: np.ndarray) -> None:
        """Caches one vector per window start (a start given twice keeps its last vector).

        Raises ProjectError naming the cache folder when it cannot be written (read-only
        project, disk full): callers carry on with the vectors they have.
        """
        starts_ms = to_ms(starts)
        vectors = np.asarray(vectors, np.float32)
        if vectors.ndim != 2 or len(vectors) != len(starts_ms) or vectors.shape[1] == 0:
            raise ValueError(
                f"vectors shape {vectors.shape} does not match {len(starts_ms)} starts"
            )
        if len(starts_ms) == 0:
            return
        if not self.writable:
            raise ProjectError(self.root, "the project is open read-only; features not cached")
        dim = self.dim
        if dim is not None and dim != vectors.shape[1]:
            raise ValueError(f"{self.backbone} vectors have {dim} values, not {vectors.shape[1]}")
        # Last occurrence of each start wins, as if written one after another.
        reversed_ms = starts_ms[::-1]
        unique, first = np.unique(reversed_ms, return_index=True)
        rows = len(starts_ms) - 1 - first
        folder = self.folder / recording_folder_name(recording)
        try:
            if dim is None:
                self._write_meta(int(vectors.shape[1]))
            write_segment(folder, self.tmp, unique, vectors.shape[1], [vectors[rows]])
            self._compact(folder, vectors.shape[1])
        except OSError as exc:
            cause = exc.strerror or str(exc)
            raise ProjectError(self.root, f"features could not be cached ({cause})") from exc

    def _compact(self, folder: Path, dim: int) -> None:
        """Merges the newest segments while the older one is no bigger (a binary counter: each
        vector is rewritten about log2(n) times), and all of them past ``MAX_SEGMENTS``."""
        segments = list_segments(folder)
        for _ in range(4 * MAX_SEGMENTS):  # bounded even if another process keeps writing
            if len(segments) > MAX_SEGMENTS:
                merge = segments
            elif len(segments) >= 2 and len(segments[-2]) <= len(segments[-1]):
                merge = segments[-2:]
            else:
                return
            index = Index.build(merge)
            try:
                merged = write_segment(folder, self.tmp, index.starts, dim, index.pieces(dim))
            except CorruptSegment as exc:
                if exc.segment is not None:
                    exc.segment.remove()
                segments = list_segments(folder)
                continue
            except FileNotFoundError:  # another process merged them first
                segments = list_segments(folder)
                continue
            for segment in merge:
                segment.remove()
            segments = [s for s in segments if s not in merge] + [merged]

    def drop(self, recording_id: int) -> None:
        """Forgets everything cached for a recording (it was removed from the project)."""
        if self.writable:
            _drop_recording(self.folder, recording_id)


def _drop_recording(store_folder: Path, recording_id: int) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(store_folder):
            if entry.is_dir() and entry.name.split("-", 1)[0] == str(int(recording_id)):
                shutil.rmtree(entry.path, ignore_errors=True)


def forget_recording(project_path: str | Path, recording_id: int) -> None:
    """Removes a recording's features from every store beside a project (best effort: a cache
    entry left behind is never read, because recording ids are not reused)."""
    features = cache_folder(project_path) / "features"
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(features):
            if entry.is_dir():
                _drop_recording(Path(entry.path), recording_id)


MOVE_ROWS = 8192  # vectors moved per write when a version-2 file is upgraded


def move_out_of_database(conn: sqlite3.Connection, project_file: str | Path) -> int:
    """Copies a version-2 file's ``features`` table into the cache folder beside it, in order
    of store and recording, a bounded number of vectors at a time; returns how many moved.

    Rows whose size disagrees with the rest of their store, or whose bytes are short, are left
    behind: they could not have been used. A cache folder that cannot be written raises
    ProjectError, so the upgrade is rolled back and the file stays as it was.
    """
    cursor = conn.execute(
        "SELECT f.backbone, f.settings_fp, f.recording_id, r.fingerprint, f.dim, f.start_ms, "
        "f.vector FROM features f JOIN recordings r ON r.id = f.recording_id "
        "ORDER BY f.backbone, f.settings_fp, f.recording_id, f.start_ms"
    )
    root = cache_folder(project_file)
    stores: dict[tuple[str, str], FeatureStore] = {}
    pending: list[tuple[Any, ...]] = []
    moved = 0

    def flush() -> None:
        nonlocal moved
        if not pending:
            return
        backbone, settings, rid, fingerprint = pending[0][:4]
        store = stores.setdefault(
            (backbone, settings), FeatureStore(root, backbone, settings, writable=True)
        )
        dim = store.dim or int(pending[0][4])
        rows = [r for r in pending if r[4] == dim and len(r[6]) == 2 * dim]
        pending.clear()
        if rows:
            vectors = np.frombuffer(b"".join(r[6] for r in rows), np.float16).reshape(-1, dim)
            starts = np.asarray([r[5] for r in rows], np.float64) / 1000
            store.put(CacheKey(int(rid), str(fingerprint)), starts, vectors)
            moved += len(rows)

    while batch := cursor.fetchmany(1024):
        for row in batch:
            if pending and (row[:3] != pending[0][:3] or len(pending) >= MOVE_ROWS):
                flush()
            pending.append(row)
    flush()
    return moved
