"""The cluster run's bookkeeping without a cluster: chunks, workers, files whose worker stops."""

from __future__ import annotations

from model.cluster.work import (
    MAX_CHUNK_WINDOWS,
    MAX_STOPS,
    MIN_CHUNK_WINDOWS,
    WorkQueue,
    chunk_target,
    plan_workers,
)


def node(cpus: int, gpus: int = 0, name: str = "n") -> dict:
    resources = {"CPU": float(cpus), **({"GPU": float(gpus)} if gpus else {})}
    return {"NodeID": name, "Alive": True, "Resources": resources}


def test_one_cpu_worker_per_node_with_its_cores_and_one_per_gpu():
    specs = plan_workers([node(16, name="a"), node(8, gpus=2, name="b")])
    cpu = [s for s in specs if not s.gpus]
    gpu = [s for s in specs if s.gpus]
    assert [(s.node_id, s.cpus, s.threads) for s in cpu] == [("a", 16.0, 16), ("b", 6.0, 6)]
    assert [(s.node_id, s.gpus, s.cpus) for s in gpu] == [("b", 1, 1.0), ("b", 1, 1.0)]


def test_asked_number_of_workers_share_the_cores():
    specs = plan_workers([node(2)], workers=4)
    assert len(specs) == 4 and all(s.cpus == 0.5 and s.threads == 1 for s in specs)
    specs = plan_workers([node(8), node(8, gpus=1)], workers=2)
    assert [s.gpus for s in specs] == [1, 0] and specs[1].threads == 8


def test_chunks_fill_batches_and_leave_every_worker_several():
    assert chunk_target(100, 4) == MIN_CHUNK_WINDOWS
    assert chunk_target(10**7, 2) == MAX_CHUNK_WINDOWS
    queue = WorkQueue([30, 30, 30, 3000, 10], target=64)
    assert list(queue.chunks) == [[0, 1, 2], [3], [4]]


def test_file_that_stops_its_worker_is_found_out_and_given_up():
    """The chunk being scored is marked and its files sent alone; the file that keeps
    stopping workers is given up after MAX_STOPS, its neighbours are not."""
    queue = WorkQueue([10, 10, 10], target=1000)
    chunk = queue.take()
    assert queue.stopped(chunk) == []
    assert list(queue.chunks) == [[0], [1], [2]]
    alone = [queue.take() for _ in range(3)]
    assert alone == [[0], [1], [2]]  # 0 and 2 are scored; 1 stops its worker again
    given_up: list[int] = []
    for _ in range(MAX_STOPS - 1):
        given_up += queue.stopped([1])
        if queue:
            assert queue.take() == [1]
    assert given_up == [1] and not queue


def test_chunk_that_only_waited_goes_back_unmarked():
    queue = WorkQueue([100, 100], target=64)
    first = queue.take()
    queue.put_back(first)
    assert queue.take() == [0] and queue.stops[0] == 0
