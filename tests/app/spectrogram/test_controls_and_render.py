"""The control bar drives the view, and a real recording renders as a readable spectrogram."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.spectrogram import SpectrogramControls, SpectrogramView
from model.audio import probe

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
