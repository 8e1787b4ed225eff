"""Preferences ▸ where the networks run: the device (best available, CPU, GPU) and the Keras
backend (TensorFlow, PyTorch, JAX), remembered between sessions.

A choice sets ``SONOTAG_DEVICE`` / ``KERAS_BACKEND`` in this process; worker processes read
them when they start, and the warm worker is replaced at its next job when they changed
(``model.jobs.process.WorkerProcess``). What was chosen shows in the Training panel's
"Device:" line and in every model's details, e.g. "GPU (NVIDIA RTX 4070, PyTorch)".
"""

from __future__ import annotations

import os

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu

from app.settings import Preferences
from model.ml import backends, device

DEVICE_TEXTS = {
    device.AUTO: "&Best available (the backend's GPU if it sees one, else the CPU)",
    device.CPU: "&CPU",
    device.GPU: "&GPU (an error when there is none)",
}


def apply_compute(prefs: Preferences) -> None:
    """At start-up: a stored choice wins over the environment; "auto" leaves it as it is."""
    if prefs.compute_device != device.AUTO:
        os.environ[device.DEVICE_ENV] = prefs.compute_device
    if prefs.compute_backend != backends.AUTO and backends.installed(prefs.compute_backend):
        os.environ[backends.BACKEND_ENV] = prefs.compute_backend


def _choose_device(prefs: Preferences, value: str) -> None:
    prefs.compute_device = value
    os.environ[device.DEVICE_ENV] = value


def _choose_backend(prefs: Preferences, value: str) -> None:
    prefs.compute_backend = value
    os.environ[backends.BACKEND_ENV] = backends.auto_choice() if value == backends.AUTO else value


def _radio(menu: QMenu, texts: dict[str, str], current: str) -> QActionGroup:
    group = QActionGroup(menu)
    for value, text in texts.items():
        action = menu.addAction(text)
        action.setCheckable(True)
        action.setChecked(value == current)
        action.setData(value)
        group.addAction(action)
    return group


def add_compute_menu(menu: QMenu, prefs: Preferences) -> QMenu:
    """The submenu with both choices; returns it (tests trigger its actions)."""
    sub = menu.addMenu("&Compute (training and scoring)")
    sub.setToolTipsVisible(True)
    devices = sub.addMenu("&Device")
    group = _radio(devices, DEVICE_TEXTS, prefs.compute_device)
    group.triggered.connect(lambda action: _choose_device(prefs, str(action.data())))
    engines = sub.addMenu("Keras &backend")
    texts = {backends.AUTO: f"&Automatic ({backends.label(backends.auto_choice())} here)"}
    for name in backends.BACKENDS:
        texts[name] = backends.label(name)
    group = _radio(engines, texts, prefs.compute_backend)
    for action in group.actions():
        name = str(action.data())
        if name != backends.AUTO and not backends.installed(name):
            action.setEnabled(False)
            action.setText(f"{backends.label(name)} (not installed: pip install 'sonotag[{name}]')")
    group.triggered.connect(lambda action: _choose_backend(prefs, str(action.data())))
    return sub
