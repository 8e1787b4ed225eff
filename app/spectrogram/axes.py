"""Axes that speak the user's units: seconds, h:mm:ss or clock time, and kHz.

pyqtgraph's default ticks are decimal (1, 2, 5 x 10^n), which puts ticks at 2000 s or 50 s on a
long recording; a time axis wants 1, 5, 15, 30 min. Clock-time ticks are aligned to the clock
(10:15:00), not to the start of the file (10:14:37 + 15 min).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pyqtgraph as pg

#: Tick spacings in seconds, from milliseconds to a day.
_TIME_STEPS: tuple[float, ...] = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)  # fmt: skip
#: Pixels a time label needs (h:mm:ss.f is the widest).
_LABEL_PX = 90
#: Recordings at least this long get h:mm:ss labels instead of plain seconds.
LONG_RECORDING_S = 600.0


def _decimals(spacing: float) -> int:
    """Fewest decimals that write every multiple of ``spacing`` exactly (0.25 -> 2)."""
    for decimals in range(7):
        scaled = spacing * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 6


def format_hms(seconds: float, decimals: int = 0) -> str:
    """``h:mm:ss`` with optional fractions, e.g. 3723.5 -> ``1:02:03.5``."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    scale = 10**decimals
    total = round(seconds * scale)
    whole, frac = divmod(total, scale)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    text = f"{sign}{h}:{m:02d}:{s:02d}"
    return f"{text}.{frac:0{decimals}d}" if decimals else text


class TimeAxisItem(pg.AxisItem):
    """Bottom axis in seconds from the start of the file, or clock time when it is known."""

    def __init__(self, orientation: str = "bottom", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self._start_time: datetime | None = None
        self._clock = False
        self._long = False
        self._major = 0.0  # spacing of the labelled ticks, set by tickValues
        self.enableAutoSIPrefix(False)  # else the label's HTML is re-laid out on every scroll
        self._update_label()

    @property
    def clock_enabled(self) -> bool:
        """The user's choice, kept while a recording without a start time is shown."""
        return self._clock

    @property
    def clock_time(self) -> bool:
        return self._clock and self._start_time is not None

    def set_recording(self, duration: float, start_time: datetime | None) -> None:
        self._long = duration >= LONG_RECORDING_S
        self._start_time = start_time
        self._refresh()

    def set_clock_time(self, enabled: bool) -> None:
        self._clock = bool(enabled)
        self._refresh()

    def _refresh(self) -> None:
        self._update_label()
        self.picture = None
        self.update()

    def _update_label(self) -> None:
        if self.clock_time:
            assert self._start_time is not None
            zone = self._start_time.tzname() or "local"
            self.setLabel(f"Time of day ({zone})")
        elif self._long:
            self.setLabel("Time (h:mm:ss)")
        else:
            self.setLabel("Time (s)")

    def _clock_offset(self) -> float:
        """Seconds since midnight at the start of the file (tick alignment in clock mode)."""
        if not self.clock_time:
            return 0.0
        st = self._start_time
        assert st is not None
        return st.hour * 3600 + st.minute * 60 + st.second + st.microsecond / 1e6

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:
        span = maxVal - minVal
        if not (math.isfinite(span) and span > 0 and size > 0):
            return []
        most = max(2.0, size / _LABEL_PX)
        major_i = next(
            (i for i, s in enumerate(_TIME_STEPS) if span / s <= most), len(_TIME_STEPS) - 1
        )
        major = _TIME_STEPS[major_i]
        self._major = major
        minor = _TIME_STEPS[max(0, major_i - 2)] if major_i >= 2 else major / 5
        offset = self._clock_offset()
        levels = []
        for step in (major, minor):
            first = math.ceil((minVal + offset) / step - 1e-9) * step - offset
            values = np.arange(first, maxVal + step * 1e-6, step)
            levels.append((step, [float(v) for v in values]))
        majors = set(np.round(levels[0][1], 9))
        levels[1] = (minor, [v for v in levels[1][1] if round(v, 9) not in majors])
        return levels

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing < self._major - 1e-12:
            return [""] * len(values)  # minor ticks: unlabelled (and nothing to measure)
        decimals = _decimals(spacing)
        if self.clock_time:
            assert self._start_time is not None
            out = []
            for v in values:
                moment = self._start_time + timedelta(seconds=float(v))
                text = moment.strftime("%H:%M:%S")
                if decimals:
                    text += f"{moment.microsecond / 1e6:.{decimals}f}"[1:]
                out.append(text)
            return out
        if self._long:
            return [format_hms(v, decimals) for v in values]
        return [f"{v:.{decimals}f}" for v in values]


class FrequencyAxisItem(pg.AxisItem):
    """Left axis labelled in kHz (the unit of bird and bat literature), ticks at round kHz."""

    def __init__(self, orientation: str = "left", **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        self.setLabel("Frequency (kHz)")

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        decimals = _decimals(spacing / 1000.0)
        return [f"{v / 1000.0:.{decimals}f}" for v in values]
