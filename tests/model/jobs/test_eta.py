"""The time-left estimate of a job's step (model.jobs.eta)."""

from __future__ import annotations

import pytest

from model.jobs import Progress
from model.jobs.eta import StageEta


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def step(done: float, total: float | None, stage: str = "evaluating", **data: object) -> Progress:
    return Progress(done, total, "", {"stage": stage, **data})


def test_pace_of_the_step_gives_the_time_left() -> None:
    clock = Clock()
    eta = StageEta(clock)
    eta.update(step(0, 5))
    assert eta.seconds_left() is None
    clock.now += 10
    eta.update(step(1, 5))  # one fold of five in 10 s: four more take 40 s
    assert eta.seconds_left() == pytest.approx(40.0)
    clock.now += 5  # counts down between reports
    assert eta.seconds_left() == pytest.approx(35.0)


def test_the_jobs_own_estimate_wins() -> None:
    clock = Clock()
    eta = StageEta(clock)
    eta.update(step(0, 100, stage="features"))
    clock.now += 10
    eta.update(step(50, 100, stage="features", eta_s=3.0))
    assert eta.seconds_left() == pytest.approx(3.0)


def test_a_new_stage_starts_a_new_estimate() -> None:
    clock = Clock()
    eta = StageEta(clock)
    eta.update(step(0, 4, stage="features"))
    clock.now += 20
    eta.update(step(2, 4, stage="features"))
    assert eta.seconds_left() == pytest.approx(20.0)
    eta.update(step(0, 5, stage="evaluating"))
    assert eta.seconds_left() is None  # nothing known about the new step's pace yet
    clock.now += 2
    eta.update(step(1, 5, stage="evaluating"))
    assert eta.seconds_left() == pytest.approx(8.0)


def test_no_estimate_without_a_fraction_or_too_early() -> None:
    clock = Clock()
    eta = StageEta(clock)
    eta.update(step(0, None, stage="saving"))
    clock.now += 30
    eta.update(step(0, None, stage="saving"))
    assert eta.seconds_left() is None
    eta.update(step(0, 100, stage="scoring"))
    clock.now += 0.5
    eta.update(step(50, 100, stage="scoring"))  # half-way in half a second: too soon to say
    assert eta.seconds_left() is None


def test_a_fraction_going_back_restarts_the_pace() -> None:
    clock = Clock()
    eta = StageEta(clock)
    eta.update(step(0, 10, stage="scoring"))
    clock.now += 100
    eta.update(step(9, 10, stage="scoring"))
    eta.update(step(0, 10, stage="scoring"))  # a second loop inside the same stage
    clock.now += 4
    eta.update(step(2, 10, stage="scoring"))
    assert eta.seconds_left() == pytest.approx(16.0)
