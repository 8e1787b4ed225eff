"""Review queue order and filters; review keystrokes become labels the next training run reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from model.errors import ProjectError
from model.jobs import Progress, Reporter
from model.ml.dataset import NEGATIVE, POSITIVE, UNKNOWN, build_examples
from model.project import LabelState, Project, UndoStack
from model.review import (
    Decision,
    ReviewItem,
    ReviewSession,
    build_queue,
    build_queue_job,
    clip_seconds_of,
)

CLIP = 2.0
# Window starts every second; scores of "wren" per recording (robin gets 1 - wren).
WREN_A = [0.10, 0.95, 0.80, 0.55, 0.45, 0.30, 0.62, 0.05, 0.99, 0.20]
WREN_B = [0.70, 0.52, 0.48, 0.00, 0.91]


@dataclass(frozen=True)
class Info:
    """Audio facts for a recording whose file the review never opens."""

    duration: float
    start_time: datetime | None = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)
    sample_rate: int = 48_000
    channels: int = 1
    format: str = "WAV"

    @property
    def frames(self) -> int:
        return int(self.duration * self.sample_rate)


def make_review_project(folder: Path) -> Project:
    """Two recordings, classes wren and robin, an active model with known scores."""
    project = Project.create(folder / "review.sonotag")
    wren = project.add_class("wren")
    robin = project.add_class("robin")
    manifest = {"clip_settings": {"clip_seconds": CLIP}}
    model = project.add_model("m1", folder / "m1.sonotag-model", manifest, {})
    for name, scores in (("a", WREN_A), ("b", WREN_B)):
        rec = project.add_recording(folder / f"{name}.wav", Info(len(scores) + 1.0), f"fp-{name}")
        wren_scores = np.asarray(scores, np.float32)
        matrix = np.stack([wren_scores, 1 - wren_scores], axis=1)
        project.put_predictions(
            model.id, rec.id, np.arange(len(scores), dtype=float), [wren.id, robin.id], matrix
        )
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    with make_review_project(tmp_path) as proj:
        yield proj


def wren_id(project: Project) -> int:
    found = project.class_by_name("wren")
    assert found is not None
    return found.id


def keys(items: list[ReviewItem]) -> list[tuple[int, float, float]]:
    return [(i.recording_id, i.start, round(i.score, 2)) for i in items]


def test_score_order_takes_detections_highest_first(project: Project) -> None:
    items = build_queue(project, wren_id(project), "score", threshold=0.5)
    assert [round(i.score, 2) for i in items] == [0.99, 0.95, 0.91, 0.80, 0.70, 0.62, 0.55, 0.52]
    assert keys(items)[0] == (1, 8.0, 0.99)
    assert items[-1] == list(items)[-1] == items[len(items) - 1]
    with pytest.raises(IndexError):
        items[len(items)]
    assert all(i.end == i.start + CLIP for i in items)


def test_uncertainty_order_puts_scores_nearest_the_threshold_first(project: Project) -> None:
    items = build_queue(project, wren_id(project), "uncertainty", threshold=0.5)
    assert len(items) == len(WREN_A) + len(WREN_B)  # below the threshold too
    assert [round(i.score, 2) for i in items[:5]] == [0.52, 0.48, 0.55, 0.45, 0.62]
    distances = [abs(i.score - 0.5) for i in items]
    assert distances == sorted(distances)


def test_random_order_is_seeded_and_covers_the_detections(project: Project) -> None:
    cid = wren_id(project)
    first = build_queue(project, cid, "random", 0.5, seed=3)
    again = build_queue(project, cid, "random", 0.5, seed=3)
    other = [build_queue(project, cid, "random", 0.5, seed=s) for s in range(4, 9)]
    by_score = build_queue(project, cid, "score", 0.5)
    assert first == again
    assert sorted(keys(first)) == sorted(keys(by_score))
    assert any(keys(o) != keys(first) for o in other)


def test_windows_labelled_for_the_class_are_left_out(project: Project) -> None:
    cid = wren_id(project)
    robin = project.class_by_name("robin")
    assert robin is not None
    project.put_label(1, 8.0, 10.0, cid, LabelState.ABSENT)  # exactly the 0.99 window
    project.put_label(1, 1.5, 2.2, cid, LabelState.PRESENT)  # a short call: inside 1-3 s,
    project.put_label(2, 4.0, 6.0, robin.id, LabelState.PRESENT)  # other class: no effect
    starts = {(i.recording_id, i.start) for i in build_queue(project, cid, "score", 0.5)}
    assert (1, 8.0) not in starts
    assert (1, 1.0) not in starts  # holds all of the 1.5-2.2 call
    assert (1, 2.0) in starts  # 2-4 s only grazes it (0.2 of 0.7 s)
    assert (2, 4.0) in starts
    everything = build_queue(project, cid, "score", 0.5, only_unlabelled=False)
    assert (1, 8.0) in {(i.recording_id, i.start) for i in everything}


def test_windows_a_box_of_the_class_labels_are_left_out_too(project: Project) -> None:
    cid = wren_id(project)
    project.add_box(1, 8.4, 9.2, 3000.0, 6000.0, cid)  # by the clip rule: the 7-9 and 8-10 s clips
    starts = {(i.recording_id, i.start) for i in build_queue(project, cid, "score", 0.5)}
    assert (1, 8.0) not in starts and (1, 2.0) in starts


def test_limit_missing_model_and_missing_class(project: Project, tmp_path: Path) -> None:
    assert len(build_queue(project, wren_id(project), "score", 0.0, limit=3)) == 3
    with pytest.raises(ProjectError, match="no class number 999"):
        build_queue(project, 999)
    project.set_active_model(None)
    with pytest.raises(ProjectError, match="no active model"):
        build_queue(project, wren_id(project))


def test_queue_job_reports_progress_in_recordings_read(project: Project) -> None:
    events: list[Progress] = []
    items = build_queue_job(Reporter(events.append), project.path, wren_id(project), threshold=0.9)
    assert [round(i.score, 2) for i in items] == [0.99, 0.95, 0.91]
    assert [(e.done, e.total) for e in events] == [(2, 2)]  # both read in one chunk


def test_clip_length_comes_from_the_model_manifest(project: Project, tmp_path: Path) -> None:
    model = project.add_model("m3", tmp_path / "m3", {"clip_settings": {"clip_seconds": 3}}, {})
    assert clip_seconds_of(model) == 3.0
    assert clip_seconds_of(project.add_model("old", tmp_path / "o", {}, {})) == 2.0
    assert clip_seconds_of(None) == 2.0


def test_review_keystrokes_create_the_right_labels(project: Project) -> None:
    cid = wren_id(project)
    stack = UndoStack(project)
    session = ReviewSession(stack, cid, build_queue(project, cid, "score", 0.5))
    assert session.progress_text() == ("1 / 8 — accepted 0, rejected 0, uncertain 0, skipped 0")
    items = list(session.items)
    session.accept()  # 0.99
    session.reject()  # 0.95
    session.mark_uncertain()  # 0.91
    session.skip()  # 0.80
    session.accept()  # 0.70
    assert session.position == 5
    assert session.progress_text() == "6 / 8 — accepted 2, rejected 1, uncertain 1, skipped 1"

    def state(item: ReviewItem) -> LabelState | None:
        label = project.label_at(item.recording_id, item.start, item.end, cid)
        return None if label is None else label.state

    expected = [LabelState.PRESENT, LabelState.ABSENT, LabelState.UNCERTAIN, None]
    assert [state(i) for i in items[:4]] == expected
    assert len(project.labels()) == 4  # skip wrote nothing, other windows untouched
    assert project.label_at(items[0].recording_id, items[0].start, items[0].end, cid).note == (
        "review"
    )

    # Back twice, change the 0.80 skip into a reject, then the 0.70 accept stays as it was.
    session.back()
    assert session.current == items[4] and session.decision() is Decision.ACCEPT
    session.back()
    assert session.decision() is Decision.SKIP
    session.reject()
    assert state(items[3]) is LabelState.ABSENT
    session.skip()  # skipping an accepted item keeps its label
    assert state(items[4]) is LabelState.PRESENT
    assert session.progress_text() == "6 / 8 — accepted 2, rejected 2, uncertain 1, skipped 0"

    # Undo (Ctrl+Z anywhere in the app) removes the last review label; the counters follow.
    assert stack.undo_text.endswith("wren absent")
    stack.undo()
    assert state(items[3]) is None
    assert session.counts().rejected == 1
    stack.redo()
    assert state(items[3]) is LabelState.ABSENT

    for _ in range(3):
        session.accept()
    assert session.finished and session.current is None
    assert session.accept() is None  # keys after the end do nothing
    assert session.progress_text() == (
        "8 / 8 (done) — accepted 5, rejected 2, uncertain 1, skipped 0"
    )


def test_the_next_retrain_reads_review_labels_as_targets(project: Project) -> None:
    """``train_job`` builds its training set with ``build_examples(project.labels(), ...)``: the
    reviewed windows must come out as exactly those windows with 1 / 0 / unknown."""
    cid = wren_id(project)
    session = ReviewSession(UndoStack(project), cid, build_queue(project, cid, "score", 0.5))
    accepted, rejected, uncertain, skipped = session.items[:4]
    session.accept()
    session.reject()
    session.mark_uncertain()
    session.skip()

    classes = project.classes()
    durations = {r.id: r.duration for r in project.recordings()}
    examples = build_examples(project.labels(), classes, durations, CLIP)
    column = [c.id for c in classes].index(cid)
    targets = {
        (int(r), float(s)): int(t[column])
        for r, s, t in zip(examples.recording_ids, examples.starts, examples.targets, strict=True)
    }
    assert targets == {
        (accepted.recording_id, accepted.start): POSITIVE,
        (rejected.recording_id, rejected.start): NEGATIVE,
        (uncertain.recording_id, uncertain.start): UNKNOWN,
    }
    assert (skipped.recording_id, skipped.start) not in targets
    assert examples.label_counts()["wren"] == {"present": 1, "absent": 1, "unknown": 1}


def test_importing_review_and_activity_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, model.review, model.activity; "
        "heavy = [m for m in ('matplotlib', 'tensorflow', 'keras', 'PySide6') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
