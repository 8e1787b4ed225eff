"""The bundled demo project opens from a user's copy with every recording in place."""

from __future__ import annotations

from pathlib import Path

from model.audio import probe
from model.demo import bundled_demo_dir, ensure_demo_project
from model.project import LabelState, Project


def test_demo_is_copied_once_and_complete(tmp_path: Path) -> None:
    path = ensure_demo_project(tmp_path)
    assert path == tmp_path / "demo" / "demo.sonotag"
    with Project.open(path) as project:
        assert not project.read_only
        recordings = project.recordings()
        assert len(recordings) == 4
        for rec in recordings:
            assert rec.path.is_file() and rec.path.is_relative_to(path.parent)
            assert probe(rec.path).frames == rec.frames
        names = {c.name: c for c in project.classes()}
        assert set(names) == {"Great tit", "Bengalese finch", "Noise"}
        states = {label.state for label in project.labels()}
        assert states == {LabelState.PRESENT, LabelState.ABSENT}
        tit_labels = project.labels(class_id=names["Great tit"].id)
        assert len(tit_labels) > 5
        project.put_label(recordings[0].id, 10.0, 12.0, names["Noise"].id, LabelState.PRESENT)
    # The second call keeps the user's copy and its labels.
    assert ensure_demo_project(tmp_path) == path
    with Project.open(path) as project:
        assert len(project.labels(class_id=names["Noise"].id)) == 1
    with Project.open(bundled_demo_dir() / "demo.sonotag", read_only=True) as bundled:
        assert len(bundled.labels(class_id=names["Noise"].id)) == 0


def test_a_first_start_finds_the_demo_already_at_this_versions_schema(tmp_path: Path) -> None:
    """The shipped file lags whenever the schema moves on: the user was told "Project
    upgraded" on their very first start and left a stray ``.bak`` they never made."""
    path = ensure_demo_project(tmp_path)
    assert not list(path.parent.glob("*.bak"))
    with Project.open(path) as project:
        assert project.backup is None  # nothing left to upgrade: no message, no backup
        assert project.recordings()[0].site  # the upgrade's own work (sites) was done
