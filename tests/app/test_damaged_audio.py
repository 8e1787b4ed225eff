"""The GUI says what is wrong with a damaged recording that still opens: a dialog after adding
it, and a warning in the status bar for as long as it is on screen."""

from __future__ import annotations

from pathlib import Path

from model.pathtext import display
from tests.app.test_main_window import GREAT_TIT, wait_job
from tests.model.audio.test_damage import nan_wav


def test_damaged_recordings_are_flagged(qtbot, window, errors, real_data, tmp_path,
                                        output_dir) -> None:  # fmt: skip
    folder = tmp_path / "card"
    folder.mkdir()
    nan_wav(folder / "export.wav")
    whole = (real_data / "pykanto-raw/STORM-PETREL/XC46092.wav").read_bytes()
    (folder / "battery_died.wav").write_bytes(whole[: len(whole) // 2])
    (folder / "fine.wav").write_bytes((real_data / GREAT_TIT).read_bytes())

    wait_job(qtbot, window.add_recordings([folder]))
    (title, message), = [e for e in errors if e[0] == "Some recordings are damaged"]  # fmt: skip
    assert "2 file(s) were added, but with a problem" in message
    assert "battery_died.wav: file is truncated" in message and "export.wav: 16.7 %" in message

    by_name = {r.path.name: r for r in window.project.recordings()}
    warning = window.recording_warning
    assert window.show_recording(by_name["battery_died.wav"].id)
    assert warning.isVisible() and "truncated" in warning.toolTip()
    assert display(folder / "battery_died.wav").endswith(warning.toolTip().split(":")[0][2:])
    assert window.spectrogram.wait_until_rendered(10_000)
    window.grab().save(str(output_dir / "damaged_recording_warning.png"))
    assert window.show_recording(by_name["export.wav"].id)
    assert "NaN" in warning.toolTip() and "16.7 %" in warning.toolTip()
    assert window.show_recording(by_name["fine.wav"].id)
    assert not warning.isVisible()
    assert Path(folder / "fine.wav").is_file()


def test_a_recording_below_the_bands_rate_is_not_called_damaged(
    qtbot, window, errors, tmp_path
) -> None:
    """An 8 kHz file in a songbird project is whole; it only cannot hold the band. The dialog
    said "Some recordings are damaged" (a newcomer's bat project with a 48 kHz file too)."""
    import numpy as np
    import soundfile as sf

    path = tmp_path / "phone_8k.wav"
    sf.write(path, np.zeros(8000 * 3, np.float32), 8000)
    wait_job(qtbot, window.add_recordings([path]))
    titles = [title for title, _message in errors]
    assert "Some recordings are damaged" not in titles
    (message,) = [m for t, m in errors if t == "Some recordings cannot hold the project's band"]
    assert "phone_8k.wav" in message and "sample rate is too low" in message
