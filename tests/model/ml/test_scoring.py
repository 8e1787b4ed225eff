"""The scoring engine's pipeline: results in order, batches filled across files, a bad file
reported and passed over, cancel stops the producer, memory bounded by the queue."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from model.clips import ClipSettings
from model.jobs import Cancelled, Reporter
from model.ml.backbones.base import Runtime
from model.ml.scoring import FileJob, Prefetch, ScoringEngine

RATE = 8000


class Traced:
    """A backbone whose feature for a window is (its start, the file's first sample): every
    score can be traced back to the window it belongs to. Records each batch's size and the
    most inputs drawn but not yet embedded."""

    def __init__(self, batch_size: int = 4, slow: float = 0.0) -> None:
        self.batch_size = batch_size
        self.slow = slow
        self.batches: list[int] = []
        self.drawn = 0
        self.embedded = 0
        self.most_ahead = 0
        self._done: list[tuple[Any, np.ndarray]] = []

    @property
    def device(self) -> Runtime:
        return Runtime("test engine")

    def load(self, reporter: Reporter | None = None) -> None:
        pass

    def warm_up(self, settings: Any) -> None:
        pass

    def inputs(self, audio: Any, starts: np.ndarray, settings: Any, reporter: Any = None) -> Any:
        first = float(audio.read_frames(0, 1)[0])
        self.drawn += len(starts)
        self.most_ahead = max(self.most_ahead, self.drawn - self.embedded)
        return np.column_stack([starts, np.full(len(starts), first)]).astype(np.float32)

    def submit(self, inputs: np.ndarray, tag: Any) -> None:
        time.sleep(self.slow)
        self.batches.append(len(inputs))
        self.embedded += len(inputs)
        self._done.append((tag, inputs))

    def collect(self, wait: bool = False) -> list[tuple[Any, np.ndarray]]:
        done, self._done = self._done, []
        return done


def write(path: Path, seconds: float, marker: float) -> Path:
    samples = np.full(round(seconds * RATE), 0.001, np.float32)
    samples[0] = marker
    sf.write(path, samples, RATE, subtype="FLOAT")
    return path


def engine(backbone: Traced, hop: float = 1.0) -> ScoringEngine:
    return ScoringEngine(backbone, lambda f: f, ClipSettings(), hop=hop, outputs=2)


def test_results_come_in_order_with_batches_filled_across_files(tmp_path: Path) -> None:
    lengths = [3.0, 9.0, 2.0, 14.0, 5.5]
    paths = [write(tmp_path / f"{i}.wav", s, 0.1 * (i + 1)) for i, s in enumerate(lengths)]
    backbone = Traced(batch_size=4)
    results = list(engine(backbone).score(FileJob(p, key=i) for i, p in enumerate(paths)))
    assert [r.job.key for r in results] == list(range(len(paths)))
    for i, (result, seconds) in enumerate(zip(results, lengths, strict=True)):
        assert result.ok
        expected = np.arange(len(result.starts)) * 1.0
        np.testing.assert_array_equal(result.starts, expected)
        assert result.starts[-1] + 2.0 >= seconds
        np.testing.assert_allclose(result.scores[:, 0], expected)  # each score is its window's
        np.testing.assert_allclose(result.scores[:, 1], 0.1 * (i + 1), rtol=1e-6)
    total = sum(len(r.starts) for r in results)
    assert sum(backbone.batches) == total
    assert backbone.batches[:-1] == [4] * (len(backbone.batches) - 1)  # full, across files


def test_a_bad_file_is_reported_in_its_place_and_the_rest_scored(tmp_path: Path) -> None:
    good = write(tmp_path / "good.wav", 4.0, 0.5)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF but not really")
    missing = tmp_path / "gone.wav"
    jobs = [FileJob(good, 0), FileJob(bad, 1), FileJob(missing, 2), FileJob(good, 3)]
    results = list(engine(Traced()).score(jobs))
    assert [r.job.key for r in results] == [0, 1, 2, 3]
    assert results[0].ok and results[3].ok
    assert not results[1].ok and "bad.wav" not in results[1].error  # the cause, not the name
    assert not results[2].ok and results[2].scores is None
    np.testing.assert_array_equal(results[0].scores, results[3].scores)


def test_windows_with_nan_samples_are_left_out(tmp_path: Path) -> None:
    samples = np.full(10 * RATE, 0.001, np.float32)
    samples[round(4.5 * RATE) : round(5.2 * RATE)] = np.nan
    path = tmp_path / "nan.wav"
    sf.write(path, samples, RATE, subtype="FLOAT")
    (result,) = engine(Traced()).score([FileJob(path)])
    assert result.ok
    assert not any(start < 5.2 and 4.5 < start + 2.0 for start in result.starts)
    np.testing.assert_allclose(result.scores[:, 0], result.starts)
    everything_bad = tmp_path / "allnan.wav"
    sf.write(everything_bad, np.full(3 * RATE, np.nan, np.float32), RATE, subtype="FLOAT")
    (failed,) = engine(Traced()).score([FileJob(everything_bad)])
    assert "nothing left to score" in failed.error


def test_explicit_windows_are_scored_as_given(tmp_path: Path) -> None:
    path = write(tmp_path / "a.wav", 20.0, 0.2)
    starts = np.array([7.5, 0.0, 12.25])
    (result,) = engine(Traced()).score([FileJob(path, starts=starts)])
    np.testing.assert_array_equal(result.starts, starts)
    np.testing.assert_allclose(result.scores[:, 0], starts)


def test_memory_is_bounded_by_the_queue_not_by_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "long.wav", 2000.0, 0.3)
    backbone = Traced(batch_size=4, slow=0.002)  # the engine is the slow stage
    (result,) = engine(backbone).score([FileJob(path)])
    assert len(result.starts) == 1999
    from model.ml.scoring.engine import QUEUE_PIECES

    # pieces waiting in the queue, one being drawn, one being cut into batches
    assert backbone.most_ahead <= (QUEUE_PIECES + 3) * backbone.batch_size


def test_cancel_stops_the_producer_thread(tmp_path: Path) -> None:
    paths = [write(tmp_path / f"{i}.wav", 30.0, 0.1) for i in range(6)]
    reporter = Reporter()
    scored = []
    before = threading.active_count()
    with pytest.raises(Cancelled):
        for result in engine(Traced(slow=0.001)).score((FileJob(p) for p in paths), reporter):
            scored.append(result)
            reporter.cancel()
    assert len(scored) == 1
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before


def test_prefetch_hands_over_errors_and_closes_the_generator() -> None:
    closed = []

    def numbers() -> Any:
        try:
            yield 1
            yield 2
            raise ValueError("broken at 3")
        finally:
            closed.append(True)

    with pytest.raises(ValueError, match="broken at 3"):
        list(Prefetch(numbers()))
    assert closed == [True]

    def endless() -> Any:
        try:
            n = 0
            while True:
                n += 1
                yield n
        finally:
            closed.append("endless")

    with Prefetch(endless(), depth=2) as items:
        assert next(items) == 1
    assert closed[-1] == "endless"


def blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_clip_images_are_drawn_with_one_blas_thread_beside_the_engine(tmp_path: Path) -> None:
    """NumPy's BLAS threads fought the engine's for the cores (the producer ran at a tenth
    of its rate): while scoring, BLAS has one thread; afterwards its own count again."""
    from threadpoolctl import threadpool_limits

    seen: list[set[int]] = []

    class Watching(Traced):
        def inputs(self, audio: Any, starts: np.ndarray, settings: Any, reporter: Any = None):
            seen.append(blas_threads())
            return super().inputs(audio, starts, settings, reporter)

    path = write(tmp_path / "a.wav", 12.0, 0.5)
    with threadpool_limits(limits=2, user_api="blas"):  # as on a 2-core machine
        before = blas_threads()
        list(engine(Watching()).score([FileJob(path)]))
        assert seen and all(threads == {1} for threads in seen)
        assert blas_threads() == before == {2}


def test_files_are_read_and_drawn_while_the_backbone_loads(tmp_path: Path) -> None:
    """Start-up: the producer starts before ``load``, so a short job's reading and drawing
    overlap the backbone's compile; ``on_loaded`` comes once, before the first result."""
    drawn_before_loaded = threading.Event()
    events: list[str] = []

    class Loading(Traced):
        def load(self, reporter: Reporter | None = None) -> None:
            drawn_before_loaded.wait(10.0)  # the producer's first piece, while "compiling"
            events.append("load")

        def inputs(self, audio: Any, starts: np.ndarray, settings: Any, reporter: Any = None):
            drawn_before_loaded.set()
            return super().inputs(audio, starts, settings, reporter)

    paths = [write(tmp_path / f"{i}.wav", 4.0, 0.5) for i in range(2)]
    scoring = engine(Loading())
    results = scoring.score(
        (FileJob(p, key=p) for p in paths), on_loaded=lambda: events.append("loaded")
    )
    for result in results:
        assert result.ok
        events.append("result")
    assert drawn_before_loaded.is_set()
    assert events == ["load", "loaded", "result", "result"]
    list(scoring.score([FileJob(paths[0])]))  # loaded once: not again
    assert events.count("load") == 1
