"""Picking time zones by name: the file-name zone dialog and the zone list."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from app.zone_picker import FilenameZoneDialog, ZoneCombo
from model.project import Project
from model.project.clock import filename_zone_name
from tests.model.project.test_clock import _add


def test_zone_list_has_named_zones_fixed_offsets_and_finds_any_spelling(qtbot) -> None:
    combo = ZoneCombo()
    qtbot.addWidget(combo)
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts[:2] == ["As recorded", "UTC"]
    assert {"Europe/London", "America/Santiago", "Pacific/Chatham", "UTC-04:00"} <= set(texts)
    assert combo.set_zone_name("america/santiago") and combo.zone_name() == "America/Santiago"
    assert str(combo.zone()) == "America/Santiago"
    assert not combo.set_zone_name("Mars/Olympus")
    assert combo.zone_name() == "America/Santiago"  # unchanged


def test_dialog_dates_file_named_recordings_again(qtbot, tmp_path: Path, output_dir) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = _add(project, "20210701_060000.WAV")
        dialog = FilenameZoneDialog(project)
        qtbot.addWidget(dialog)
        assert dialog.combo.zone_name() == "UTC"
        assert dialog.combo.set_zone_name("Europe/London")
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.grab().save(str(output_dir / "filename_zone_dialog.png"))
        dialog.accept()
        assert dialog.changed == 1 and filename_zone_name(project) == "Europe/London"
        assert project.recording(rec).start_time == datetime(2021, 7, 1, 5, tzinfo=UTC)


def test_a_typed_unknown_zone_is_reported_not_stored(qtbot, tmp_path: Path, errors) -> None:
    with Project.create(tmp_path / "p.sonotag") as project:
        dialog = FilenameZoneDialog(project)
        qtbot.addWidget(dialog)
        dialog.combo.setEditText("Mars/Olympus")
        dialog.accept()
        assert errors and "is not a time zone" in errors[0][1]
        assert filename_zone_name(project) == "UTC" and dialog.result() == 0
