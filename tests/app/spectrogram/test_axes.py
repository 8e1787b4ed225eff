"""Axis labels: seconds, h:mm:ss for long recordings, clock time, kHz."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from app.spectrogram.axes import FrequencyAxisItem, TimeAxisItem, format_hms


def labels(axis, t0: float, t1: float, pixels: float) -> list[str]:
    (spacing, values), _minor = axis.tickValues(t0, t1, pixels)
    return axis.tickStrings(values, 1.0, spacing)


def test_format_hms() -> None:
    assert format_hms(3723.5, 1) == "1:02:03.5"
    assert format_hms(59.0) == "0:00:59"
    assert format_hms(-61.0) == "-0:01:01"


def test_long_recordings_use_hms_on_round_minutes(qapp) -> None:
    axis = TimeAxisItem()
    axis.set_recording(7200.0, None)
    assert axis.labelText == "Time (h:mm:ss)"
    assert labels(axis, 0.0, 7200.0, 800) == [
        "0:00:00", "0:15:00", "0:30:00", "0:45:00", "1:00:00", "1:15:00", "1:30:00", "1:45:00",
        "2:00:00",
    ]  # fmt: skip


def test_clock_ticks_align_to_the_clock_not_the_file_start(qapp) -> None:
    axis = TimeAxisItem()
    start = datetime(2021, 5, 2, 4, 0, 37, tzinfo=timezone(timedelta(hours=2), "CEST"))
    axis.set_recording(3600.0, start)
    axis.set_clock_time(True)
    assert axis.labelText == "Time of day (CEST)"
    assert labels(axis, 0.0, 600.0, 500) == ["04:02:00", "04:04:00", "04:06:00", "04:08:00",
                                            "04:10:00"]  # fmt: skip
    (_, values), _ = axis.tickValues(0.0, 600.0, 500)
    assert values[0] == 83.0  # 04:02:00 is 83 s after 04:00:37


def test_clock_toggle_without_start_time_stays_in_seconds(qapp) -> None:
    axis = TimeAxisItem()
    axis.set_recording(30.0, None)
    axis.set_clock_time(True)
    assert axis.clock_enabled and not axis.clock_time
    assert labels(axis, 0.0, 30.0, 400) == ["0", "10", "20", "30"]


def test_frequency_labels_are_khz(qapp) -> None:
    axis = FrequencyAxisItem()
    assert axis.labelText == "Frequency (kHz)"
    assert axis.tickStrings([0.0, 5000.0, 10000.0], 1.0, 5000.0) == ["0", "5", "10"]
    assert axis.tickStrings([2500.0, 2750.0], 1.0, 250.0) == ["2.50", "2.75"]
