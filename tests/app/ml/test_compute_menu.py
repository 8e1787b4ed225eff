"""File ▸ Compute: the device and backend choice, remembered and handed to new workers."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMenu

from app.ml.compute_menu import add_compute_menu, apply_compute
from app.settings import Preferences
from model.ml import backends, device


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's choices stay in it (monkeypatch restores the variables)."""
    monkeypatch.setenv(device.DEVICE_ENV, "auto")
    monkeypatch.setenv(backends.BACKEND_ENV, backends.name())


def _action(menu: QMenu, title: str, value: str):  # noqa: ANN202 - QAction
    sub = next(a.menu() for a in menu.actions() if a.menu() and title in a.text())
    return next(a for a in sub.actions() if a.data() == value)


def test_choosing_cpu_is_remembered_and_set_for_workers(
    qtbot, prefs: Preferences, clean_env: None
) -> None:
    menu = QMenu()
    qtbot.addWidget(menu)
    compute = add_compute_menu(menu, prefs)
    cpu = _action(compute, "Device", device.CPU)
    cpu.trigger()
    assert prefs.compute_device == device.CPU
    assert os.environ[device.DEVICE_ENV] == "cpu"
    assert cpu.isChecked()
    os.environ[device.DEVICE_ENV] = "auto"
    apply_compute(Preferences(prefs.qsettings))  # the next session starts with it
    assert os.environ[device.DEVICE_ENV] == "cpu"


def test_backends_not_installed_cannot_be_chosen(qtbot, prefs: Preferences, clean_env) -> None:
    menu = QMenu()
    qtbot.addWidget(menu)
    compute = add_compute_menu(menu, prefs)
    for name in backends.BACKENDS:
        action = _action(compute, "backend", name)
        assert action.isEnabled() == backends.installed(name), name
    tensorflow = _action(compute, "backend", backends.TENSORFLOW)
    tensorflow.trigger()
    assert prefs.compute_backend == backends.TENSORFLOW
    assert os.environ[backends.BACKEND_ENV] == backends.TENSORFLOW


def test_a_stored_value_that_makes_no_sense_reads_as_auto(prefs: Preferences) -> None:
    prefs.qsettings.setValue("compute/device", "tpu")
    prefs.qsettings.setValue("compute/backend", "caffe")
    assert prefs.compute_device == "auto" and prefs.compute_backend == "auto"
