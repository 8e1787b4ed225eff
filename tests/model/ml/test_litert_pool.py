"""The pool of single-threaded LiteRT interpreters: its logic with a fake interpreter (runs in
CI, which lacks the BirdNET extra), and BirdNET through it when the extra is installed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model.jobs import Cancelled, Reporter
from model.ml.backbones import birdnet
from model.ml.backbones.litert_pool import InterpreterPool
from tests.model.ml.test_backbones import needs_birdnet


class FakeInterpreter:
    """LiteRT's ``Interpreter`` calls the pool makes; output row i = (sum, max) of input row i.
    Records which threads invoke it and how often it is resized; ``gate`` holds every invoke
    until set; a row whose first value is ``fail`` raises."""

    made: list[FakeInterpreter] = []

    def __init__(self, gate: threading.Event | None = None, delay: float = 0.0) -> None:
        self.gate, self.delay = gate, delay
        self.threads: set[int] = set()
        self.resizes: list[tuple[int, ...]] = []
        self.invokes: list[int] = []
        self.running = 0
        self.shape: tuple[int, ...] = ()
        self.allocated: tuple[int, ...] = ()
        self.x = np.empty(0)
        FakeInterpreter.made.append(self)

    def get_input_details(self) -> list[dict[str, Any]]:
        return [{"index": 3}]

    def get_output_details(self) -> list[dict[str, Any]]:
        return [{"index": 7}]

    def resize_tensor_input(self, index: int, shape: list[int]) -> None:
        assert index == 3
        self.shape = tuple(shape)
        self.resizes.append(self.shape)

    def allocate_tensors(self) -> None:
        self.allocated = self.shape

    def set_tensor(self, index: int, value: np.ndarray) -> None:
        assert index == 3 and value.shape == self.allocated and value.dtype == np.float32
        self.x = value.copy()

    def invoke(self) -> None:
        self.threads.add(threading.get_ident())
        self.running += 1
        try:
            if self.gate is not None:
                assert self.gate.wait(10)
            time.sleep(self.delay)
            if np.any(self.x[:, 0] == -1.0):
                raise ValueError("bad window")
            self.invokes.append(len(self.x))
        finally:
            self.running -= 1

    def get_tensor(self, index: int) -> np.ndarray:
        assert index == 7
        return np.stack([self.x.sum(axis=1), self.x.max(axis=1)], axis=1)


def expected(x: np.ndarray) -> np.ndarray:
    return np.stack([x.sum(axis=1), x.max(axis=1)], axis=1).astype(np.float32)


@pytest.fixture
def fakes() -> list[FakeInterpreter]:
    FakeInterpreter.made = []
    return FakeInterpreter.made


def pool_of(workers: int, **kwargs: Any) -> InterpreterPool:
    fake_kwargs = {k: kwargs.pop(k) for k in ("gate", "delay") if k in kwargs}
    return InterpreterPool(lambda: FakeInterpreter(**fake_kwargs), workers, **kwargs)


def inputs(n: int, width: int = 5, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, width)).astype(np.float32)


def test_every_batch_comes_back_with_its_tag_each_interpreter_in_one_thread(fakes) -> None:
    pool = pool_of(2, delay=0.005)
    client = pool.client()
    x = inputs(50)
    for begin in range(0, 50, 8):  # the last batch is short
        client.submit(x[begin : begin + 8], ("batch", begin))
    got = dict(client.collect(wait=True))
    assert sorted(got) == [("batch", b) for b in range(0, 50, 8)]
    for (_, begin), out in got.items():
        assert np.array_equal(out, expected(x[begin : begin + 8]))
    assert client.collect(wait=True) == []
    assert len(fakes) == 2 and all(len(f.threads) == 1 for f in fakes)
    caller = threading.get_ident()
    owners = set().union(*(f.threads for f in fakes))
    assert caller not in owners and len(owners) == 2  # one thread per interpreter
    pool.close()


def test_resizes_only_when_the_size_changes_and_runs_chunks(fakes) -> None:
    pool = pool_of(1, chunk=4, warm=np.zeros((4, 5), np.float32))
    client = pool.client()
    x = inputs(30)
    for begin in range(0, 30, 10):  # 10 = 4 + 4 + 2
        client.submit(x[begin : begin + 10], begin)
    got = dict(client.collect(wait=True))
    assert np.array_equal(np.concatenate([got[b] for b in (0, 10, 20)]), expected(x))
    (fake,) = fakes
    assert fake.invokes == [4] + [4, 4, 2] * 3  # the warm-up, then the chunks
    assert fake.resizes == [(4, 5)] + [(2, 5), (4, 5)] * 2 + [(2, 5)]
    pool.close()


def test_submit_returns_while_a_worker_is_free_and_blocks_while_all_are_busy(fakes) -> None:
    gate = threading.Event()
    pool = pool_of(2, gate=gate)
    client = pool.client()
    x = inputs(3)
    started = time.monotonic()
    client.submit(x[:1], 0)
    client.submit(x[1:2], 1)  # both workers now hold a batch
    assert time.monotonic() - started < 1.0
    third = threading.Thread(target=client.submit, args=(x[2:], 2))
    third.start()
    third.join(0.3)
    assert third.is_alive()  # every worker is busy: it waits
    assert client.collect() == []
    gate.set()
    third.join(5)
    assert not third.is_alive()
    got = dict(client.collect(wait=True))
    assert sorted(got) == [0, 1, 2]
    pool.close()


def test_a_worker_error_is_raised_on_collect_and_the_pool_goes_on(fakes) -> None:
    pool = pool_of(2, delay=0.01)
    client = pool.client()
    x = inputs(6)
    bad = x.copy()
    bad[2, 0] = -1.0
    client.submit(x[:2], "good")
    client.submit(bad[2:4], "bad")
    client.submit(x[4:], "good too")
    with pytest.raises(ValueError, match="bad window"):
        client.collect(wait=True)
    assert sorted(tag for tag, _ in client.collect(wait=True)) == ["good", "good too"]
    client.submit(x[2:4], "again")  # the worker that failed still serves
    client.submit(x[2:4], "and again")
    assert sorted(tag for tag, _ in client.collect(wait=True)) == ["again", "and again"]
    other = pool.client()  # another caller's error is not this one's
    other.submit(bad[2:4], "theirs")
    client.submit(x[:2], "mine")
    assert [tag for tag, _ in client.collect(wait=True)] == ["mine"]
    with pytest.raises(ValueError):
        other.collect(wait=True)
    pool.close()
    assert not any(t.is_alive() for t in pool.threads)


def test_embed_spreads_batches_and_keeps_their_order(fakes) -> None:
    pool = pool_of(3, delay=0.002)
    x = inputs(37)
    out = np.concatenate(pool.embed(x, 4))
    assert np.array_equal(out, expected(x))
    assert sum(len(f.invokes) for f in fakes) == 10 and all(f.invokes for f in fakes)
    pool.close()


def test_embed_cancelled_midway_leaves_nothing_running(fakes) -> None:
    pool = pool_of(2, delay=0.05)
    checks = []

    class CancelOnThird(Reporter):
        def check(self) -> None:
            checks.append(1)
            if len(checks) == 3:
                self.cancel()
            super().check()

    x = inputs(40)
    with pytest.raises(Cancelled):
        pool.embed(x, 4, CancelOnThird())
    assert all(f.running == 0 for f in fakes)  # nothing of the call is still running
    assert sum(len(f.invokes) for f in fakes) == 2  # the two batches handed over before it
    assert np.array_equal(np.concatenate(pool.embed(x, 4)), expected(x))  # slots all free
    pool.close()


def test_embed_raising_from_a_worker_waits_for_the_rest(fakes) -> None:
    pool = pool_of(2, delay=0.05)
    x = inputs(16)
    x[0, 0] = -1.0
    with pytest.raises(ValueError, match="bad window"):
        pool.embed(x, 4)
    assert all(f.running == 0 for f in fakes)
    pool.close()


def test_close_ends_every_thread_and_refuses_more_work(fakes) -> None:
    before = set(threading.enumerate())
    pool = pool_of(3)
    assert len(set(threading.enumerate()) - before) == 3
    client = pool.client()
    client.submit(inputs(2), "last")
    pool.close()
    assert set(threading.enumerate()) - before == set()
    assert [tag for tag, _ in client.collect()] == ["last"]  # finished before the end
    with pytest.raises(RuntimeError, match="closed"):
        client.submit(inputs(2), "late")


def test_a_failing_factory_or_warm_up_leaves_no_thread(fakes) -> None:
    before = set(threading.enumerate())
    made = []

    def second_fails() -> FakeInterpreter:
        if made:
            raise OSError("cannot load")
        made.append(1)
        return FakeInterpreter()

    with pytest.raises(OSError, match="cannot load"):
        InterpreterPool(second_fails, 2)
    bad = np.full((1, 5), -1.0, np.float32)
    with pytest.raises(ValueError, match="bad window"):
        pool_of(2, warm=bad)
    assert set(threading.enumerate()) - before == set()


# --- BirdNET itself (the extra is not installed in CI) ---


@pytest.fixture(scope="module")
def windows(real_data: Path) -> np.ndarray:
    from model.audio import AudioFile
    from model.clips import ClipSettings

    with AudioFile(real_data / "pykanto-raw/BENGALESE_FINCH/bird_3/348.wav") as audio:
        return birdnet.BirdNetV24().inputs(audio, np.arange(0.0, 9.0, 0.5), ClipSettings())


def one_interpreter(x: np.ndarray, threads: int) -> np.ndarray:
    """What Sonotag ran before the pool: one interpreter, batch 16, ``threads`` threads."""
    it = birdnet.interpreter(str(birdnet.model_path()), threads)
    index_in = it.get_input_details()[0]["index"]
    index_out = it.get_output_details()[0]["index"]
    out = []
    for begin in range(0, len(x), 16):
        part = x[begin : begin + 16]
        it.resize_tensor_input(index_in, list(part.shape))
        it.allocate_tensors()
        it.set_tensor(index_in, part)
        it.invoke()
        out.append(it.get_tensor(index_out))
    return np.concatenate(out)


@needs_birdnet
def test_birdnet_pool_equals_one_interpreter_on_real_audio(windows: np.ndarray) -> None:
    backbone = birdnet.BirdNetV24()
    pooled = backbone.embed(windows)
    reference = one_interpreter(windows, 2)
    scale = float(np.abs(reference).max())
    assert pooled.shape == (len(windows), 1024) and scale > 0.1
    assert float(np.abs(pooled - reference).max()) <= 1e-5 * scale
    for begin in range(0, len(windows), 5):  # the scoring pipeline's way: submit, collect
        backbone.submit(windows[begin : begin + 5], begin)
    got = dict(backbone.collect(wait=True))
    assert np.array_equal(np.concatenate([got[b] for b in sorted(got)]), pooled)
    assert backbone.images_embedded == 2 * len(windows)


@needs_birdnet
def test_birdnet_pool_size_follows_the_cores_it_was_given(monkeypatch) -> None:
    monkeypatch.setenv("SONOTAG_CPU_THREADS", "1")
    assert birdnet.BirdNetV24().device.description == "CPU (LiteRT, 1 interpreter x 1 thread)"
    monkeypatch.setenv("SONOTAG_CPU_THREADS", "3")
    assert birdnet.BirdNetV24().workers == 3
    monkeypatch.setenv("SONOTAG_CPU_THREADS", "64")
    assert "4 interpreters x 1 thread" in birdnet.BirdNetV24().device.description
