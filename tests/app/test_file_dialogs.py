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
