"""The control bar drives the view, and a real recording renders as a readable spectrogram."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.settings import Preferences
from app.spectrogram import SpectrogramControls, SpectrogramView
from model.audio import probe
from model.spectrogram import SpectrogramSettings

PETREL = "pykanto-raw/STORM-PETREL/XC663885.wav"


@pytest.fixture
def window(qtbot):
    root = QWidget()
    layout = QVBoxLayout(root)
    view = SpectrogramView()
    controls = SpectrogramControls(view)
    layout.addWidget(controls)
    layout.addWidget(view)
    qtbot.addWidget(root)
    root.resize(1200, 600)
    root.show()
    qtbot.waitExposed(root)
    yield root, view, controls
    view.shutdown()


def test_controls_write_through_to_the_view(window, recording) -> None:
    _, view, controls = window
    assert not controls.clock.isEnabled() and not controls.freq_in.isEnabled()
    view.set_recording(recording, probe(recording))
    assert controls.clock.isEnabled()  # the AudioMoth-style name gives a start time
    controls.colormap.setCurrentText("viridis")
    assert view.display().colormap == "viridis"
    controls.ceiling.setValue(-30)
    controls.floor.setValue(-28)  # pushed past the ceiling: the ceiling moves up with it
    assert view.display().db_floor == -28 and view.display().db_ceiling == -23
    controls.fft.setCurrentIndex(controls.fft.findData(2048))
    assert view.display().n_fft == 2048
    controls.freq_in.click()
    assert view.freq_range() == pytest.approx((0.0, 11025.0 / 2))
    controls.freq_reset.click()
    assert view.freq_range() == pytest.approx((0.0, 11025.0))
    controls.clock.setChecked(True)
    assert view.clock_time()
    view.set_display(colormap="grey")  # changed elsewhere: the bar follows
    assert controls.colormap.currentText() == "grey"
    assert view.wait_until_rendered(10_000)


def test_real_recording_renders_dark_background_and_bright_calls(
    window, real_data, output_dir
) -> None:
    root, view, _ = window
    path = real_data / PETREL
    view.set_recording(path, probe(path))
    assert view.wait_until_rendered(10_000)
    root.grab().save(str(output_dir / "spectrogram_view.png"))
    rect = view.view_box.sceneBoundingRect().toRect()
    image = view.graphics.grab(rect).toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    bits = np.frombuffer(image.constBits(), np.uint8)
    gray = bits.reshape(image.height(), image.bytesPerLine())[:, : image.width()]
    h = gray.shape[0]
    top = gray[: h // 8].mean()  # above 19 kHz: nothing was recorded there (MP3 low-pass)
    calls = gray[h - h // 5 :].mean()  # 0-4.4 kHz: the petrel's purring song
    assert top < 30 and calls > top + 60


def _bar_and_view(qtbot, prefs: Preferences) -> tuple[QWidget, SpectrogramView, object]:
    root = QWidget()
    layout = QVBoxLayout(root)
    view = SpectrogramView()
    controls = SpectrogramControls(view, root, prefs=prefs)
    layout.addWidget(controls)
    layout.addWidget(view)
    qtbot.addWidget(root)
    root.resize(1000, 500)
    root.show()
    qtbot.waitExposed(root)
    return root, view, controls


def test_display_settings_come_back_after_a_restart(qtbot, tmp_path, recording, real_data) -> None:
    ini = tmp_path / "prefs.ini"
    prefs = Preferences.at(ini)
    root, view, controls = _bar_and_view(qtbot, prefs)
    view.set_recording(recording, probe(recording))
    controls.colormap.setCurrentText("viridis")
    controls.ceiling.setValue(-30)
    controls.floor.setValue(-90)
    controls.fft.setCurrentIndex(controls.fft.findData(4096))
    controls.clock.setChecked(True)
    view.set_freq_range(2000.0, 6000.0)  # a Ctrl+wheel zoom: saved once it comes to rest
    qtbot.waitUntil(lambda: prefs.spectrogram_settings().freq_max is not None, timeout=3000)
    prefs.sync()
    view.shutdown()
    root.close()

    again = Preferences.at(ini)  # the next session
    _, view, controls = _bar_and_view(qtbot, again)
    shown = view.display()
    assert (shown.colormap, shown.db_floor, shown.db_ceiling, shown.n_fft) == (
        "viridis", -90.0, -30.0, 4096,
    )  # fmt: skip
    assert controls.colormap.currentText() == "viridis" and controls.fft.currentData() == 4096
    assert (controls.floor.value(), controls.ceiling.value()) == (-90, -30)
    assert controls.clock.isChecked() and not controls.clock.isEnabled()  # nothing shown yet
    # A recording without a start time: no clock time, but the choice is kept for the next.
    petrel = real_data / PETREL
    view.set_recording(petrel, probe(petrel))
    assert not view.clock_time() and not controls.clock.isEnabled()
    assert controls.clock.isChecked()
    assert view.freq_range() == pytest.approx((2000.0, 6000.0))  # the band comes back
    view.set_recording(recording, probe(recording))
    assert view.clock_time() and controls.clock.isEnabled() and controls.clock.isChecked()
    view.shutdown()


def test_stored_display_values_that_make_no_sense_fall_back_one_by_one(tmp_path) -> None:
    prefs = Preferences.at(tmp_path / "prefs.ini")
    for key, value in (
        ("colormap", "rainbow"),
        ("n_fft", "1000"),
        ("db_floor", "-20"),
        ("db_ceiling", "-60"),  # floor above ceiling: both back to defaults
        ("freq_min", "nan"),
        ("freq_max", "4000"),
    ):
        prefs.qsettings.setValue(f"spectrogram/{key}", value)
    prefs.qsettings.setValue("spectrogram/clock_time", "true")
    loaded = prefs.spectrogram_settings()
    assert loaded == SpectrogramSettings(freq_min=0.0, freq_max=4000.0)
    assert prefs.clock_time is True
    prefs.qsettings.setValue("spectrogram/colormap", "cividis")
    prefs.qsettings.setValue("spectrogram/freq_max", "")
    assert prefs.spectrogram_settings() == SpectrogramSettings(colormap="cividis")
