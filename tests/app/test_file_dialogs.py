"""File dialogs never open the files they list (issue 9: Qt sniffing file types unlocked it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import file_dialogs
from model.project import Project
from tests.model.project.test_one_connection import own_locks

REPO = Path(__file__).resolve().parents[2]


def test_only_app_file_dialogs_builds_file_dialogs() -> None:
    offenders = []
    for path in sorted((REPO / "app").rglob("*.py")):
        if path.name == "file_dialogs.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"QFileDialog\s*(\.\s*get|\()", text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], "use app.file_dialogs: Qt's own dialogs read the files they list"


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_dialog_on_the_project_folder_keeps_the_project_locked(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "r.sonotag"
    for name in ("a.wav", "notes.txt", "b.unknown"):
        (tmp_path / name).write_bytes(b"RIFF....WAVEfmt " + bytes(64))
    with Project.create(path) as project:
        project.add_class("Noise")
        held = own_locks(path)
        assert held
        for filters in ("", "Audio (*.wav)", "Sonotag projects (*.sonotag)"):
            dialog = file_dialogs._dialog(None, "pick", str(tmp_path), filters)
            qtbot.addWidget(dialog)
            dialog.setViewMode(dialog.ViewMode.Detail)  # the type column asks for types too
            dialog.show()
            qtbot.waitUntil(lambda d=dialog: _listed(d) >= 1, timeout=5000)
            qtbot.wait(300)  # icons and types are fetched after the names
            dialog.reject()
            assert own_locks(path) == held, f"a dialog with filter {filters!r} unlocked it"


def _listed(dialog) -> int:
    from PySide6.QtWidgets import QListView, QTreeView

    views = dialog.findChildren(QTreeView) + dialog.findChildren(QListView)
    return max((v.model().rowCount(v.rootIndex()) for v in views if v.model()), default=0)


def test_add_recordings_filter_takes_upper_case_extensions() -> None:
    from app.dialogs import AUDIO_FILTER
    from model.audio.info import AUDIO_EXTENSIONS

    first = AUDIO_FILTER.split(";;")[0]
    for ext in AUDIO_EXTENSIONS:  # AudioMoth writes .WAV; phones and xeno-canto .MP3, .OGG
        assert f"*{ext.lower()}" in first and f"*{ext.upper()}" in first


def test_file_names_are_not_cut_in_the_details_view(qtbot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QTreeView

    long_name = "XC663885 - European Storm Petrel - Hydrobates pelagicus.WAV"
    (tmp_path / long_name).write_bytes(b"RIFF")
    (tmp_path / "20210415_050630.WAV").write_bytes(b"RIFF")
    dialog = file_dialogs._dialog(None, "Add recordings", str(tmp_path), "Audio (*.WAV)")
    qtbot.addWidget(dialog)
    dialog.setViewMode(dialog.ViewMode.Detail)
    dialog.show()
    qtbot.waitUntil(lambda: _listed(dialog) >= 2, timeout=5000)
    (view,) = [v for v in dialog.findChildren(QTreeView) if v.isVisible()]
    header = view.header()
    qtbot.waitUntil(lambda: header.sectionSize(0) > 0)
    needed = view.fontMetrics().horizontalAdvance(long_name) + 40  # icon and margins
    assert header.sectionSize(0) >= needed, (header.sectionSize(0), needed)
    for column in range(1, header.count()):
        if not header.isSectionHidden(column):
            title = dialog.findChild(QTreeView).model().headerData(column, header.orientation())
            assert header.sectionSize(column) >= view.fontMetrics().horizontalAdvance(str(title))
    dialog.reject()
