"""What a cluster run hands out, and what it does when a worker stops: pure bookkeeping.

Kept free of Ray so its rules are tested without a cluster:

- **Chunks.** Files go out in chunks of about ``target`` windows: enough for a worker to fill
  its batches across short files, few enough that every worker gets several chunks (the last
  one to finish sets the run's end) and that a stopped worker loses little work.
- **Workers that stop.** The chunk a worker was scoring when it stopped (killed, out of
  memory, a node gone) goes back to the queue with a mark on each of its files; chunks that
  were only waiting for that worker go back unmarked. A marked file is sent alone from then
  on, so a file that takes its worker down is found out, not its neighbours; a file marked
  ``MAX_STOPS`` times is listed as failed and never sent again.
- **Workers.** By default one CPU worker per node with its cores (OpenVINO keeps every core of
  a process busy; a second process per node would only hold a second copy of the network),
  plus one worker per GPU. ``--workers N`` splits the cluster's cores into N workers instead.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_STOPS = 3
MIN_CHUNK_WINDOWS = 64
MAX_CHUNK_WINDOWS = 2048
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True)
class WorkerSpec:
    """One actor to start: its Ray resources, the threads its engine uses, where it goes."""

    cpus: float
    gpus: int
    threads: int
    node_id: str | None = None  # None: wherever Ray finds room

    @property
    def label(self) -> str:
        return "GPU" if self.gpus else f"CPU × {self.threads}"


def plan_workers(nodes: Sequence[dict[str, Any]], workers: int | None = None) -> list[WorkerSpec]:
    """The actors for ``nodes`` (``ray.nodes()`` entries that are alive)."""
    if workers is not None:
        cpus = sum(float(n.get("Resources", {}).get("CPU", 0)) for n in nodes)
        gpus = sum(int(n.get("Resources", {}).get("GPU", 0)) for n in nodes)
        share = max(cpus, 1.0) / workers
        threads = max(1, math.floor(share))
        return [
            WorkerSpec(
                cpus=min(1.0, share) if i < gpus else share, gpus=int(i < gpus), threads=threads
            )
            for i in range(workers)
        ]
    specs: list[WorkerSpec] = []
    for node in nodes:
        resources = node.get("Resources", {})
        cpus = int(resources.get("CPU", 0))
        gpus = int(resources.get("GPU", 0))
        node_id = str(node.get("NodeID") or "") or None
        for _ in range(min(gpus, cpus)):
            specs.append(WorkerSpec(cpus=1.0, gpus=1, threads=1, node_id=node_id))
        left = cpus - min(gpus, cpus)
        if left > 0:
            specs.append(WorkerSpec(cpus=float(left), gpus=0, threads=left, node_id=node_id))
    return specs


def chunk_target(total_windows: int, workers: int) -> int:
    share = total_windows // max(1, workers * CHUNKS_PER_WORKER)
    return max(MIN_CHUNK_WINDOWS, min(MAX_CHUNK_WINDOWS, share))


class WorkQueue:
    """Chunks of file indexes still to hand out, and the marks of files whose worker stopped."""

    def __init__(self, windows: Sequence[int], target: int) -> None:
        self.chunks: deque[list[int]] = deque()
        chunk: list[int] = []
        count = 0
        for index, size in enumerate(windows):
            chunk.append(index)
            count += size
            if count >= target:
                self.chunks.append(chunk)
                chunk, count = [], 0
        if chunk:
            self.chunks.append(chunk)
        self.stops: Counter[int] = Counter()

    def __bool__(self) -> bool:
        return bool(self.chunks)

    def take(self) -> list[int]:
        return self.chunks.popleft()

    def put_back(self, chunk: list[int]) -> None:
        """A chunk that never started (its worker stopped before it): first in line again."""
        self.chunks.appendleft(chunk)

    def stopped(self, chunk: list[int]) -> list[int]:
        """The chunk being scored when its worker stopped: each file marked and sent alone
        again; returns the files marked ``MAX_STOPS`` times, which are given up."""
        given_up = []
        for index in reversed(chunk):
            self.stops[index] += 1
            if self.stops[index] >= MAX_STOPS:
                given_up.append(index)
            else:
                self.chunks.appendleft([index])
        return sorted(given_up)
