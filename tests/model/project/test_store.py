"""Project round trips: what is written comes back after closing and reopening the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from model.errors import ProjectError
from model.project import SCHEMA_VERSION, LabelState, Project
from model.project.feature_cache import FeatureStore
from tests.model.project.conftest import GREAT_TITS, FakeInfo


def test_create_refuses_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.sonotag"
    path.write_bytes(b"precious")
    with pytest.raises(ProjectError, match="already exists"):
        Project.create(path)
    assert path.read_bytes() == b"precious"


def test_pragmas_and_round_trip(project: Project, rec_id: int) -> None:
    conn = project.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tit = project.add_class("Great tit")
    petrel = project.add_class("Storm petrel", colour="#112233", shortcut="p")
    project.put_label(rec_id, 10.0, 12.0, tit.id, LabelState.PRESENT, author="ana", note="loud")
    project.put_label(rec_id, 10.0, 12.0, petrel.id, "absent", author="ana")
    project.put_label(rec_id, 0.1234, 2.1234, tit.id, "uncertain")
    project.set_meta("clip_seconds", "2.0")
    path = project.path
    before = (project.recordings(), project.classes(), project.labels())
    project.close()
    with Project.open(path) as again:
        assert (again.recordings(), again.classes(), again.labels()) == before
        assert again.get_meta("clip_seconds") == "2.0"
        assert again.get_meta("missing") is None
        rec = again.recording(rec_id)
        assert rec.sample_rate == 48_000 and rec.duration == 600.0
        assert rec.start_time == FakeInfo().start_time
        assert rec.start_time_source == "audiomoth-filename"
        labels = again.labels(rec_id)
        assert [(lb.start, lb.end) for lb in labels] == [(0.123, 2.123), (10.0, 12.0), (10.0, 12.0)]
        assert labels[1].note == "loud" and labels[1].author == "ana"
        assert labels[0].author == again.author  # default author: the login name
        assert again.integrity_check() == "ok"


def test_classes_auto_colour_and_shortcut(project: Project) -> None:
    made = [project.add_class(f"species {i}") for i in range(11)]
    assert [c.shortcut for c in made] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", None]
    assert len({c.colour for c in made[:10]}) == 10
    assert all(c.colour.startswith("#") and len(c.colour) == 7 for c in made)
    assert [c.position for c in made] == list(range(11))
    no_key = project.add_class("noise", shortcut="")
    assert no_key.shortcut is None
    assert project.class_by_name("Species 3") == made[3]  # names compare case-blind
    with pytest.raises(ProjectError, match="already has a class"):
        project.add_class("SPECIES 1")
    with pytest.raises(ProjectError, match="already used"):
        project.update_class(made[10].id, shortcut="1")
    with pytest.raises(ProjectError, match="not a colour"):
        project.update_class(made[0].id, colour="red")
    updated = project.update_class(made[0].id, name="Wren", colour="#AABBCC", shortcut=None)
    assert (updated.name, updated.colour, updated.shortcut) == ("Wren", "#aabbcc", None)
    assert project.update_class(made[1].id, name="Robin").shortcut == "2"  # key kept


def test_multiple_classes_on_one_clip_and_upsert(project: Project, rec_id: int) -> None:
    a, b, c = (project.add_class(n) for n in ("a", "b", "c"))
    first = project.put_label(rec_id, 4, 6, a.id, "present")
    project.put_label(rec_id, 4, 6, b.id, "absent")
    project.put_label(rec_id, 4, 6, c.id, "uncertain")
    again = project.put_label(rec_id, 4.0001, 5.9999, a.id, "absent", note="no, a wren")
    assert again.id == first.id  # same clip+class (after ms rounding) updates in place
    states = {lb.class_id: lb.state for lb in project.labels(rec_id)}
    assert states == {a.id: LabelState.ABSENT, b.id: LabelState.ABSENT, c.id: "uncertain"}
    assert len(project.labels(class_id=a.id)) == 1
    with pytest.raises(ProjectError, match="end after"):
        project.put_label(rec_id, 6, 6, a.id, "present")
    with pytest.raises(ValueError):
        project.put_label(rec_id, 0, 2, a.id, "maybe")
    with pytest.raises(ProjectError, match="refused"):
        project.put_label(rec_id + 99, 0, 2, a.id, "present")  # no such recording


def test_labels_in_returns_overlaps_only(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    for start in range(0, 20, 2):
        project.put_label(rec_id, start, start + 2, k, "present")
    got = [lb.start for lb in project.labels_in(rec_id, 5.0, 9.0)]
    assert got == [4.0, 6.0, 8.0]
    assert [lb.start for lb in project.labels_in(rec_id, 6.0, 8.0)] == [6.0]


def test_delete_and_restore_label_keeps_id(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    label = project.put_label(rec_id, 0, 2, k, "present", note="n")
    project.delete_label(label.id)
    assert project.labels() == []
    project.restore_label(label)
    assert project.labels() == [label]


def test_remove_recording_cascades(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    project.put_label(rec_id, 0, 2, k, "present")
    model = project.add_model("m", project.directory / "m.keras", {}, {})
    project.put_predictions(model.id, rec_id, np.array([0.0]), [k], np.array([[0.5]]))
    store = FeatureStore.for_project(project, "resnet50", "fp")
    store.put(project.recording(rec_id), np.array([0.0]), np.ones((1, 8)))
    project.remove_recording(rec_id)
    assert project.recordings() == [] and project.labels() == []
    assert project.predictions(model.id, rec_id)[1] == []
    assert store.recordings() == []


def test_models_predictions_and_counts(project: Project, rec_id: int, tmp_path: Path) -> None:
    other = project.add_recording(tmp_path / "b.wav", FakeInfo(), "fp-2").id
    a, b = project.add_class("a").id, project.add_class("b").id
    project.put_label(rec_id, 0, 2, a, "present")
    project.put_label(rec_id, 2, 4, b, "absent")
    m1 = project.add_model("first", tmp_path / "models" / "m1.keras", {"classes": ["a"]}, {})
    m2 = project.add_model("second", "/elsewhere/m2.keras", {"clip": 2.0}, {"mAP": 0.91})
    assert [m.active for m in project.models()] == [False, True]
    assert project.active_model() == m2
    assert m1.file == tmp_path / "models" / "m1.keras"
    assert m2.metrics == {"mAP": 0.91} and m2.manifest == {"clip": 2.0}
    rng = np.random.default_rng(1)
    starts = np.arange(300) * 2.0
    scores = rng.random((300, 2), dtype=np.float32)
    project.put_predictions(m2.id, rec_id, starts, [a, b], scores)
    got_starts, got_ids, got_scores = project.predictions(m2.id, rec_id)
    np.testing.assert_array_equal(got_starts, starts)
    np.testing.assert_array_equal(got_scores, scores)
    assert got_ids == [a, b] and got_scores.dtype == np.float32
    project.put_predictions(m2.id, rec_id, starts[:10], [b], scores[:10, :1])  # replaces
    assert project.predictions(m2.id, rec_id)[2].shape == (10, 1)
    assert project.counts() == {rec_id: (2, 10), other: (0, 0)}
    project.set_active_model(m1.id)
    assert project.counts() == {rec_id: (2, 0), other: (0, 0)}
    project.set_active_model(None)
    assert project.active_model() is None
    with pytest.raises(ValueError, match="does not match"):
        project.put_predictions(m1.id, rec_id, starts, [a], scores)


def test_read_only_refuses_every_change(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    project.put_label(rec_id, 0, 2, k, "present")
    path = project.path
    project.close()
    before = path.read_bytes()
    with Project.open(path, read_only=True) as ro:
        assert ro.read_only
        assert len(ro.labels()) == 1 and ro.classes()[0].name == "k"
        for change in (
            lambda: ro.put_label(rec_id, 2, 4, k, "present"),
            lambda: ro.add_class("x"),
            lambda: ro.delete_label(1),
            lambda: ro.set_meta("a", "b"),
            lambda: ro.remove_recording(rec_id),
            lambda: ro.add_recording(path.parent / "new.wav", FakeInfo(), "fp-new"),
            lambda: FeatureStore.for_project(ro, "b", "s").put(
                ro.recording(rec_id), np.zeros(1), np.ones((1, 2))
            ),
        ):
            with pytest.raises(ProjectError, match="project is open read-only"):
                change()
    assert path.read_bytes() == before


def test_read_only_detected_from_permissions(project: Project, monkeypatch) -> None:
    # Tests run as root, for whom chmod changes nothing: fake what os.access would say.
    from model.project import connection

    path = project.path
    project.close()
    monkeypatch.setattr(connection.os, "access", lambda p, mode: Path(p) != path.parent)
    assert connection.detect_read_only(path)
    with Project.open(path) as proj:
        assert proj.read_only and proj.classes() == []
    # A folder we cannot write: the file is read as immutable, no -wal/-shm appear beside it.
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    monkeypatch.setattr(connection.os, "access", lambda p, mode: True)
    with Project.open(path) as proj:
        assert not proj.read_only


def test_read_only_sees_changes_still_in_the_wal(project: Project, rec_id: int) -> None:
    k = project.add_class("k").id
    project.put_label(rec_id, 0, 2, k, "present")  # writer stays open: label only in the -wal
    assert Path(str(project.path) + "-wal").stat().st_size > 0
    with Project.open(project.path, read_only=True) as ro:
        assert [lb.class_id for lb in ro.labels()] == [k]


def test_real_recordings_relative_paths_survive_moving(tmp_path: Path, audio_dir: Path) -> None:
    proj = Project.create(tmp_path / "survey.sonotag")
    rec = proj.add_recording(audio_dir / GREAT_TITS[0])
    assert rec.stored_path == f"audio/{GREAT_TITS[0]}"
    assert rec.sample_rate == 22_050 and rec.channels == 1 and rec.frames > 0
    assert rec.start_time is not None and len(rec.fingerprint) == 64
    assert proj.add_recording(audio_dir / GREAT_TITS[0]).id == rec.id  # duplicate -> same row
    outside = tmp_path.parent / f"{tmp_path.name}-outside.wav"
    shutil.copyfile(audio_dir / GREAT_TITS[1], outside)
    try:
        far = proj.add_recording(outside)
        assert far.stored_path == str(outside.resolve())
    finally:
        outside.unlink()
    k = proj.add_class("Great tit").id
    proj.put_label(rec.id, 0, 2, k, "present")
    proj.close()
    moved = tmp_path.parent / f"{tmp_path.name}-moved"
    shutil.move(tmp_path, moved)
    try:
        with Project.open(moved / "survey.sonotag") as again:
            first = again.recording(rec.id)
            assert first.path == moved / "audio" / GREAT_TITS[0] and first.exists
            assert len(again.labels(rec.id)) == 1
    finally:
        shutil.rmtree(moved)


def test_relocate_and_find_moved(tmp_path: Path, audio_dir: Path) -> None:
    proj = Project.create(tmp_path / "p.sonotag")
    recs = [proj.add_recording(audio_dir / name) for name in GREAT_TITS]
    assert proj.find_moved([tmp_path]) == {}  # nothing missing
    elsewhere = tmp_path / "card" / "renamed"
    elsewhere.mkdir(parents=True)
    shutil.move(audio_dir / GREAT_TITS[0], elsewhere / "a.wav")  # moved and renamed
    shutil.move(audio_dir / GREAT_TITS[1], elsewhere / GREAT_TITS[1])  # moved only
    found = proj.find_moved([tmp_path / "card"])
    assert found == {
        recs[0].id: (elsewhere / "a.wav").resolve(),
        recs[1].id: (elsewhere / GREAT_TITS[1]).resolve(),
    }
    for rec_id, new_path in found.items():
        proj.relocate_recording(rec_id, new_path)
    assert proj.recording(recs[0].id).stored_path == "card/renamed/a.wav"
    assert all(r.exists for r in proj.recordings())
    with pytest.raises(ProjectError, match="already recording"):
        proj.relocate_recording(recs[0].id, audio_dir / GREAT_TITS[2])
    proj.close()
