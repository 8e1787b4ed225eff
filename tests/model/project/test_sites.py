"""Sites of recordings: set when added, upgraded from version 5 files, edited by the user."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from model.errors import ProjectError
from model.project import Project
from model.project.schema import SCHEMA_VERSION

V5 = Path(__file__).resolve().parent / "fixtures" / "project_v5.sonotag"


def test_fixture_is_version_5_without_sites() -> None:
    conn = sqlite3.connect(f"{V5.as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    columns = {row[1] for row in conn.execute("PRAGMA table_info(recordings)")}
    assert "site" not in columns
    conn.close()


def test_v5_recordings_get_their_folder_as_site(tmp_path: Path) -> None:
    path = tmp_path / "P.sonotag"
    shutil.copyfile(V5, path)
    raw = sqlite3.connect(path)
    old_labels = raw.execute("SELECT * FROM labels ORDER BY id").fetchall()
    raw.close()
    with Project.open(path) as proj:
        assert proj.migrated_from == 5 and SCHEMA_VERSION == 6
        assert proj.backup == path.with_name("P.sonotag.v5.bak")
        sites = {Path(r.stored_path).name: (r.site, r.site_source) for r in proj.recordings()}
        assert sites == {
            "2021-B32-0415_05-11.wav": ("audio", "folder"),
            "2021-SW83-0418_04-77.wav": ("audio", "folder"),
            "20240501_043000.WAV": ("SITE-B", "folder"),
            "D:\\Field 2024\\Hedge north\\20240502_043000.WAV": ("Hedge north", "folder"),
            "loose.wav": ("", "folder"),
        }
        assert proj.conn.execute("SELECT * FROM labels ORDER BY id").fetchall() == old_labels
        assert proj.sites() == [("", 1), ("audio", 2), ("Hedge north", 1), ("SITE-B", 1)]
        assert proj.integrity_check() == "ok"
    with Project.open(path) as again:
        assert again.migrated_from is None


def test_added_recordings_carry_a_site_and_edits_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "North hedge"
    folder.mkdir()
    wav = folder / "a.wav"
    sf.write(str(wav), np.zeros(8000, np.float32), 8000)
    with Project.create(tmp_path / "p.sonotag") as proj:
        rec = proj.add_recording(wav)
        assert (rec.site, rec.site_source) == ("North hedge", "folder")
        assert proj.set_site([rec.id], "  Hedge\t3 ") == 1
        assert proj.set_site([rec.id], "Hedge 3") == 0  # unchanged: nothing to count
        assert (proj.recording(rec.id).site, proj.recording(rec.id).site_source) == (
            "Hedge 3",
            "edited",
        )
        assert proj.recording_sites([rec.id]) == {rec.id: "Hedge 3"}
    with Project.open(tmp_path / "p.sonotag", read_only=True) as proj:
        assert proj.recordings()[0].site == "Hedge 3"
        with pytest.raises(ProjectError, match="read-only"):
            proj.set_site([1], "x")
