"""Time left in a job's current step, for steps whose job reports a fraction but no ``eta_s``.

Feature extraction and the MLP's epochs report their own estimate; the k-fold evaluation,
scoring and the linear head's classes report only "i of n". A user watching a 40-s fold loop
still wants "about 30 s left" (issue 15), so the runner estimates it from the step's own pace:
elapsed time in this step times (1 - f) / f. A step is one ``stage`` value; the estimate
restarts when the stage changes or the fraction goes backwards (a new loop inside it)."""

from __future__ import annotations

import time
from collections.abc import Callable

from model.jobs import Progress

# Below these an estimate is mostly noise: the first clip or fold carries start-up costs.
MIN_FRACTION = 0.05
MIN_SECONDS = 1.0


class StageEta:
    """Feeds on a job's progress reports; ``seconds_left`` says what to show (None: nothing)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stage: object = None
        self._started = 0.0
        self._fraction = 0.0
        self._reported: tuple[float, float] | None = None  # (seconds left, when)
        self._estimate: tuple[float, float] | None = None

    def update(self, progress: Progress) -> None:
        now = self._clock()
        stage = progress.data.get("stage")
        fraction = progress.fraction
        if stage != self._stage or fraction is None or fraction < self._fraction:
            self._stage, self._started, self._estimate = stage, now, None
        self._fraction = fraction or 0.0
        eta = progress.data.get("eta_s")
        self._reported = (float(eta), now) if eta is not None else None
        elapsed = now - self._started
        if fraction is not None and fraction >= MIN_FRACTION and elapsed >= MIN_SECONDS:
            self._estimate = (elapsed * (1 - fraction) / fraction, now)
        elif fraction is None:
            self._estimate = None

    def seconds_left(self) -> float | None:
        """The job's own estimate when it gave one, else the step's pace, counted down since."""
        chosen = self._reported or self._estimate
        if chosen is None:
            return None
        left, when = chosen
        return max(left - (self._clock() - when), 0.0)
