"""File ▸ New project: what is recorded decides what the model hears, shown before choosing.

A preset fixes the project's clip settings for good once a model is trained (bats need
15-120 kHz at 250 kHz, the songbird default stops at 11 kHz), so the choice comes first and with
a picture: the clip image the model would get from a demo call of that group, drawn with the
real pipeline in a background job, with its frequency axis in kHz.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import file_dialogs
from app.jobs import Job, JobRunner
from model.clips.demo_calls import demo_image_job
from model.clips.filters import hz_to_mel
from model.clips.presets import CUSTOM, DEFAULT_PRESET, PRESETS, custom_settings, describe, khz
from model.clips.preview import recording_preview_job
from model.clips.settings import ClipSettings
from model.pathtext import recover

SCALE = 2  # the 224-px image drawn at twice its size, pixels kept sharp
AXIS = 64  # room for the kHz labels left of the image and the seconds under it
PREVIEW_DELAY_MS = 250  # custom band edits settle before a preview is drawn


def axis_ticks(settings: ClipSettings, min_gap: float = 0.09) -> list[tuple[float, float]]:
    """(Hz, image row from the top, 0..1) of the band's edges and round kHz values between,
    at least ``min_gap`` of the axis apart (the axis is mel: even steps are not even Hz)."""
    lo, hi = hz_to_mel(np.array([settings.fmin, settings.fmax]))

    def row(hz: float) -> float:
        return 1.0 - (float(hz_to_mel(np.array([hz]))[0]) - lo) / (hi - lo)

    ticks = [(settings.fmin, 1.0), (settings.fmax, 0.0)]
    round_values = sorted(m * 10.0**k for k in range(1, 6) for m in (1, 1.5, 2, 3, 5, 7))
    for hz in round_values:
        if settings.fmin < hz < settings.fmax and all(
            abs(row(hz) - r) >= min_gap for _h, r in ticks
        ):
            ticks.append((hz, row(hz)))
    return sorted(ticks, key=lambda tick: -tick[1])


def preview_pixmap(image: np.ndarray, settings: ClipSettings) -> QPixmap:
    """The clip image at SCALE with a kHz axis on its left and 0-2 s underneath."""
    size = image.shape[0] * SCALE
    rgb = np.ascontiguousarray(np.repeat(np.repeat(image, SCALE, axis=0), SCALE, axis=1))
    qimage = QImage(rgb.data, size, size, 3 * size, QImage.Format.Format_RGB888).copy()
    pixmap = QPixmap(size + AXIS, size + 22)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.drawImage(AXIS, 0, qimage)
    painter.setPen(QColor("black"))
    font = QFont(painter.font())
    font.setPointSizeF(8.5)
    painter.setFont(font)
    for hz, row in axis_ticks(settings):
        y = round(row * (size - 1))
        painter.drawLine(AXIS - 5, y, AXIS - 1, y)
        text_y = min(max(y - 8, 0), size - 16)
        label = f"{hz / 1000:.3g} kHz"
        painter.drawText(0, text_y, AXIS - 8, 16, Qt.AlignmentFlag.AlignRight, label)
    seconds = settings.clip_seconds
    edges = (Qt.AlignmentFlag.AlignLeft, Qt.AlignmentFlag.AlignHCenter, Qt.AlignmentFlag.AlignRight)
    for s, align in zip((0.0, seconds / 2, seconds), edges, strict=True):
        x = AXIS + round(s / seconds * (size - 1))
        painter.drawLine(x, size, x, size + 4)
        left = {edges[0]: x, edges[1]: x - 30, edges[2]: x - 60}[align]
        painter.drawText(left, size + 4, 60, 16, align, f"{s:g} s")
    painter.end()
    return pixmap


class NewProjectDialog(QDialog):
    """Asks what is recorded; ``settings()`` is the choice once accepted."""

    def __init__(self, jobs: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New project: what do you record?")
        self.jobs = jobs
        self._job: Job | None = None
        self._request = 0
        self.choices = QListWidget()
        self.choices.setMinimumWidth(330)
        self.choices.setWordWrap(True)
        for preset in PRESETS.values():
            self._add_choice(preset.name, preset.title, preset.examples)
        self._add_choice(CUSTOM, "Custom band", "a band of your own, in kHz")
        self.choices.currentRowChanged.connect(self._changed)

        self.low_khz = self._khz_box(2.0)
        self.high_khz = self._khz_box(60.0)
        custom = QFormLayout()
        custom.addRow("Lowest frequency", self.low_khz)
        custom.addRow("Highest frequency", self.high_khz)
        self.custom_box = QWidget()
        self.custom_box.setLayout(custom)

        self.hears = QLabel()
        self.hears.setWordWrap(True)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.picture = QLabel("Drawing the clip image…")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(224 * SCALE + AXIS, 224 * SCALE + 22)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.recording: Path | None = None  # the user's own file to preview, else the demo
        self.try_button = QPushButton("Try it on one of my recordings…")
        self.try_button.setToolTip(
            "Shows the brightest clip of the recording's first minute as the model would get it "
            "with the chosen preset (the file is only read)"
        )
        self.try_button.clicked.connect(self.ask_recording)
        self.demo_button = QPushButton("Back to the demo call")
        self.demo_button.clicked.connect(lambda: self.preview_recording(None))
        self.demo_button.setVisible(False)
        self.caption.setMinimumHeight(2 * self.caption.fontMetrics().lineSpacing())

        left = QVBoxLayout()
        left.addWidget(QLabel("<b>What do you record?</b>"))
        left.addWidget(self.choices, 1)
        left.addWidget(self.custom_box)
        right = QVBoxLayout()
        right.addWidget(QLabel("<b>What the model hears</b>"))
        right.addWidget(self.hears)
        right.addWidget(self.advice)
        right.addWidget(self.picture)
        right.addWidget(self.caption)
        tries = QHBoxLayout()
        tries.addWidget(self.try_button)
        tries.addWidget(self.demo_button)
        tries.addStretch(1)
        right.addLayout(tries)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addLayout(right, 3)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Choose the file…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        note = QLabel(
            "The choice is stored in the project. It can be changed until a model is trained "
            "or clip features are computed; after that, start a new project for another group."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._draw)
        self.select(DEFAULT_PRESET)
        self.resize(960, 720)

    def _add_choice(self, name: str, title: str, examples: str) -> None:
        item = QListWidgetItem(f"{title}\n    {examples}")
        item.setData(Qt.ItemDataRole.UserRole, name)
        self.choices.addItem(item)

    def _khz_box(self, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(0.0, 192.0)
        box.setDecimals(2)
        box.setSuffix(" kHz")
        box.setValue(value)
        box.valueChanged.connect(self._changed)
        return box

    # ----------------------------------------------------------------- choice
    def select(self, name: str) -> None:
        for row in range(self.choices.count()):
            if self.choices.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.choices.setCurrentRow(row)
                return
        raise ValueError(f"no preset {name!r}")

    def preset(self) -> str:
        item = self.choices.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else DEFAULT_PRESET

    def settings(self) -> ClipSettings | None:
        """The chosen clip settings; None for a custom band that cannot be (low above high)."""
        name = self.preset()
        if name != CUSTOM:
            return PRESETS[name].settings
        try:
            return custom_settings(1000 * self.low_khz.value(), 1000 * self.high_khz.value())
        except ValueError:
            return None

    def _changed(self, *_: Any) -> None:
        name = self.preset()
        self.custom_box.setVisible(name == CUSTOM)
        settings = self.settings()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(settings is not None)
        if settings is None:
            self.picture.setText("")
            self.caption.clear()
            self.hears.setText(
                "<span style='color:#b00020'>The lowest frequency must be below the highest, "
                "and the highest at most 192 kHz.</span>"
            )
            self.advice.clear()
            return
        self.hears.setText(describe(settings))
        advice = PRESETS[name].advice if name in PRESETS else (
            f"recordings at {khz(settings.sample_rate)} kHz or more"
        )  # fmt: skip
        self.advice.setText(f"Recorders: {advice}.")
        self.picture.setText("Drawing the clip image…")  # never another preset's picture
        self.caption.clear()
        self._timer.start(0 if name != CUSTOM else PREVIEW_DELAY_MS)

    # ----------------------------------------------------------------- preview
    def _draw(self) -> None:
        settings = self.settings()
        if settings is None:
            return
        if self._job is not None:
            self._job.cancel()
        self._request += 1
        request = self._request
        if self.recording is not None:
            job = self.jobs.run_thread(
                "Drawing a clip", recording_preview_job, str(self.recording), settings.to_dict()
            )
        else:
            job = self.jobs.run_thread(
                "Drawing a demo clip", demo_image_job, self.preset(), settings.to_dict()
            )
        job.finished.connect(lambda result: self._show(request, settings, result))
        job.failed.connect(lambda message, _detail: self._failed(request, message))
        self._job = job

    def _show(self, request: int, settings: ClipSettings, result: tuple[np.ndarray, str]) -> None:
        if request != self._request:
            return  # the user chose again while it was drawn
        image, caption = result
        self.picture.setPixmap(preview_pixmap(image, settings))
        self.caption.setText(
            f"Your recording: {caption}." if self.recording else f"Demo: {caption}."
        )
        self._job = None

    def _failed(self, request: int, message: str) -> None:
        if request == self._request:
            self.picture.setText(f"The clip image could not be drawn: {message}")
            self._job = None

    def ask_recording(self) -> None:
        from app.dialogs import AUDIO_FILTER

        chosen, _ = file_dialogs.get_open_file_name(
            self, "A recording to try the preset on", "", AUDIO_FILTER
        )
        if chosen:
            self.preview_recording(recover(Path(chosen)))

    def preview_recording(self, path: Path | None) -> None:
        """Previews every preset on ``path`` from now on (None: the demo calls again)."""
        self.recording = path
        self.demo_button.setVisible(path is not None)
        self._changed()

    @property
    def preview_ready(self) -> bool:
        """The picture shown is the current choice's (tests and screenshots wait for it)."""
        if self._timer.isActive() or self._job is not None:
            return False
        return not self.picture.pixmap().isNull()

    def done(self, result: int) -> None:
        self._timer.stop()
        if self._job is not None:
            self._job.cancel()
        super().done(result)


def ask_clip_settings(parent: QWidget | None, jobs: JobRunner) -> ClipSettings | None:
    """The clip settings for a new project, or None when the user cancelled."""
    dialog = NewProjectDialog(jobs, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.settings()
