"""Clock time for a whole season at once: which local hour and date each moment falls on, and
how many seconds were recorded in each, in any time zone, daylight saving included.

Times are integer microseconds since 1970 (UTC), like ``datetime`` keeps them, so a window
start lands on the same side of an hour boundary as ``start_time + timedelta(seconds=start)``
would. A zone's UTC offset over the season is a step function; ``ZoneSteps`` finds its steps
once (sampling every six hours and narrowing each change to the second), after which "local
time" is one ``searchsorted`` and an addition for millions of moments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import numpy as np

US = 1_000_000
HOUR_US = 3600 * US
DAY_US = 24 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_ONE = date(1970, 1, 1).toordinal()
_SAMPLE_S = 6 * 3600  # two offset changes less than six hours apart are not a thing


def to_us(moment: datetime) -> int:
    """``moment`` as UTC microseconds; a time without a zone is read as this computer's."""
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    return (aware - _EPOCH) // timedelta(microseconds=1)


def day_of(day_number: int) -> date:
    return date.fromordinal(_DAY_ONE + int(day_number))


class ZoneSteps:
    """A zone's UTC offset between two moments: ``changes[i]`` (µs) starts ``offsets[i + 1]``."""

    def __init__(self, zone: tzinfo, first_us: int, last_us: int) -> None:
        if isinstance(zone, timezone):  # a fixed offset: one step
            self.changes = np.zeros(0, np.int64)
            self.offsets = np.array([zone.utcoffset(None) // timedelta(microseconds=1)], np.int64)
            return

        def offset(second: int) -> int:
            moment = datetime.fromtimestamp(second, zone)
            return int((moment.utcoffset() or timedelta(0)) // timedelta(microseconds=1))

        first, last = first_us // US - _SAMPLE_S, last_us // US + _SAMPLE_S
        samples = list(range(first, last + _SAMPLE_S, _SAMPLE_S))
        values = [offset(s) for s in samples]
        changes, offsets = [], [values[0]]
        for low, high, before, after in zip(samples, samples[1:], values, values[1:], strict=False):
            if before == after:
                continue
            while high - low > 1:  # the first second with the new offset
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == before else (low, middle)
            changes.append(high * US)
            offsets.append(after)
        self.changes = np.array(changes, np.int64)
        self.offsets = np.array(offsets, np.int64)

    def at(self, utc_us: np.ndarray) -> np.ndarray:
        return self.offsets[np.searchsorted(self.changes, utc_us, side="right")]


@dataclass
class Clocks:
    """The scored recordings that have a start time, as arrays (ids ascending)."""

    ids: np.ndarray  # int64
    start_us: np.ndarray  # int64 UTC
    length_us: np.ndarray  # int64
    own_offset_us: np.ndarray  # int64: each recording's own UTC offset ("as recorded")

    @classmethod
    def from_rows(cls, rows: list[tuple[int, datetime, float]]) -> Clocks:
        starts = [to_us(start) for _id, start, _length in rows]
        own = [
            int(
                ((s if s.tzinfo else s.astimezone()).utcoffset() or timedelta(0))
                / timedelta(microseconds=1)
            )
            for _id, s, _length in rows
        ]
        return cls(
            np.array([r[0] for r in rows], np.int64),
            np.array(starts, np.int64),
            np.round(np.array([max(r[2], 0.0) for r in rows], np.float64) * US).astype(np.int64),
            np.array(own, np.int64),
        )

    def index_of(self, recording_ids: np.ndarray) -> np.ndarray:
        """Position of each id in ``ids``; -1 for recordings without a start time."""
        if not len(self.ids):
            return np.full(len(recording_ids), -1, np.int64)
        where = np.minimum(np.searchsorted(self.ids, recording_ids), len(self.ids) - 1)
        return np.where(self.ids[where] == recording_ids, where, -1)

    def steps(self, zone: tzinfo) -> ZoneSteps:
        first = int(self.start_us.min()) if len(self.ids) else 0
        last = int((self.start_us + self.length_us).max()) if len(self.ids) else 0
        return ZoneSteps(zone, first, last)

    def local_us(
        self, index: np.ndarray, utc_us: np.ndarray, steps: ZoneSteps | None
    ) -> np.ndarray:
        """Local wall time (as µs on a UTC-like axis) of moments of recordings ``index``."""
        if steps is None:
            return utc_us + self.own_offset_us[index]
        return utc_us + steps.at(utc_us)

    def effort(self, steps: ZoneSteps | None) -> tuple[np.ndarray, dict[int, float]]:
        """Seconds recorded in each local hour of day (24,) and on each local day number."""
        begin, length, offset = self._segments(steps)
        local = begin + offset
        end = local + length
        first_hour = local // HOUR_US
        count = np.where(length > 0, (end - 1) // HOUR_US - first_hour + 1, 0)
        owner = np.repeat(np.arange(len(local)), count)
        hour = first_hour[owner] + (
            np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)
        )
        seconds = (
            np.minimum(end[owner], (hour + 1) * HOUR_US) - np.maximum(local[owner], hour * HOUR_US)
        ) / US
        by_hour = np.bincount(hour % 24, weights=seconds, minlength=24)
        days, at = np.unique(hour // 24, return_inverse=True)
        by_day = np.bincount(at, weights=seconds, minlength=len(days))
        return by_hour, {int(d): float(s) for d, s in zip(days, by_day, strict=True)}

    def _segments(self, steps: ZoneSteps | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The recordings cut where the zone's offset changes: (UTC start, length, offset)."""
        if steps is None:
            return self.start_us, self.length_us, self.own_offset_us
        stop = self.start_us + self.length_us
        inside = np.searchsorted(steps.changes, stop, side="left") - np.searchsorted(
            steps.changes, self.start_us, side="right"
        )
        whole = inside == 0
        begin, length = [self.start_us[whole]], [self.length_us[whole]]
        for i in np.flatnonzero(~whole).tolist():  # the few that span a clock change
            cuts = steps.changes[(steps.changes > self.start_us[i]) & (steps.changes < stop[i])]
            edges = np.concatenate([[self.start_us[i]], cuts, [stop[i]]])
            begin.append(edges[:-1])
            length.append(np.diff(edges))
        begin_all = np.concatenate(begin)
        return begin_all, np.concatenate(length), steps.at(begin_all)
