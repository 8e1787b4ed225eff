"""Adding recordings: every file once, files already in the project recognised without probing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from model import ingest
from model.jobs import Reporter
from model.project import Project

DEMO_WAV = Path(__file__).resolve().parents[2] / "resources/demo/audio/20210502_040000.WAV"


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A project folder with a card of three recordings inside it and one outside."""
    for name in ("a.wav", "sub/b.wav", "sub/deeper/c.WAV"):
        target = tmp_path / "proj" / "card" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEMO_WAV, target)
    (tmp_path / "outside").mkdir()
    shutil.copyfile(DEMO_WAV, tmp_path / "outside" / "d.wav")
    Project.create(tmp_path / "proj" / "p.sonotag").close()
    return tmp_path


def add(project: Path, inputs: list) -> ingest.IngestResult:
    return ingest.add_audio_job(Reporter(), project, inputs)


def test_adding_again_finds_everything_present_without_probing(card: Path, monkeypatch) -> None:
    project = card / "proj" / "p.sonotag"
    first = add(project, [card / "proj" / "card", card / "outside"])
    assert sorted(p.name for p in first.added) == ["a.wav", "b.wav", "c.WAV", "d.wav"]
    with Project.open(project) as opened:  # relative inside the project folder, absolute out
        stored = list(opened.stored_paths().values())
    outside = str(card / "outside" / "d.wav")
    assert sorted(stored) == sorted(
        ["card/a.wav", "card/sub/b.wav", "card/sub/deeper/c.WAV", outside]
    )

    def no_probe(path: Path) -> None:
        raise AssertionError(f"{path} probed again")

    monkeypatch.setattr("model.audio.probe", no_probe)
    again = add(project, [card / "proj" / "card", card / "outside" / "d.wav"])
    assert (again.added, again.already_present, again.skipped) == ([], 4, [])
    assert again.summary() == "added 0 recording(s), 4 already in the project"


def test_each_file_once_whatever_the_path_given(card: Path) -> None:
    folder = card / "proj" / "card"
    os.symlink(folder / "a.wav", card / "outside" / "link-to-a.wav")
    os.symlink(folder / "sub", folder / "link-to-sub")  # a linked folder is not entered
    files, missing = ingest.walk_inputs(
        [folder, folder / "sub", folder / "a.wav", card / "outside", card / "nowhere"]
    )
    names = [path.name for path, _root in files]
    assert sorted(names) == ["a.wav", "b.wav", "c.WAV", "d.wav"]  # the link to a.wav: once
    assert all(root == folder.resolve() for path, root in files if path.name != "d.wav")
    assert missing == [(card / "nowhere", "no such file or folder")]


def test_a_link_to_a_recording_already_there_is_not_added(card: Path) -> None:
    project = card / "proj" / "p.sonotag"
    add(project, [card / "outside" / "d.wav"])
    os.symlink(card / "outside" / "d.wav", card / "proj" / "card" / "same-as-d.wav")
    result = add(project, [card / "proj" / "card"])
    assert sorted(p.name for p in result.added) == ["a.wav", "b.wav", "c.WAV"]
    assert result.already_present == 1


def test_progress_is_reported_for_new_files_and_not_for_known_ones(card: Path) -> None:
    """Files already in the project are counted while the folders are read (a season's card
    added again: 100,000 of them), never sorted or reported one by one."""
    project = card / "proj" / "p.sonotag"
    add(project, [card / "proj" / "card"])
    seen = []
    ingest.add_audio_job(Reporter(seen.append), project, [card / "proj" / "card", card / "outside"])
    assert [p.message for p in seen] == [
        "reading the folders",
        "d.wav",  # the new one
        "added 1 recording(s), 3 already in the project",
    ]
