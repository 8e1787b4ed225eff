"""The chunked review queue agrees with the one-recording-at-a-time reference, reads only the
recordings that can reach the threshold, and review counters do not read every label."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.project import LabelState, Project, UndoStack
from model.review import ReviewSession, build_queue
from tests.model.review_reference import reference_queue
from tests.model.test_activity_season import make_season


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Project:
    with make_season(tmp_path_factory.mktemp("review-season")) as project:
        wren = project.classes()[0].id
        first, second = project.scored_recordings(project.active_model().id)[:2]
        for start in (0.0, 1.0, 17.0, 300.0):  # labelled windows are left out
            project.put_label(first, start, start + 2.0, wren, LabelState.PRESENT)
        project.put_label(second, 40.0, 41.0, wren, LabelState.ABSENT)
        yield project


@pytest.mark.parametrize("order", ["score", "uncertainty", "random"])
@pytest.mark.parametrize(
    ("threshold", "only_unlabelled", "limit"), [(0.5, True, None), (0.8, False, 25)]
)
def test_agrees_with_the_reference(
    season: Project, order, threshold, only_unlabelled, limit
) -> None:
    for cls in season.classes():
        queue = build_queue(
            season, cls.id, order, threshold, only_unlabelled=only_unlabelled, seed=4, limit=limit
        )
        want = reference_queue(
            season, cls.id, order, threshold, only_unlabelled, seed=4, limit=limit
        )
        got = [(i.recording_id, i.start, i.end, i.score) for i in queue]
        assert got == want


def test_score_order_reads_only_recordings_that_reach_the_threshold(
    season: Project, monkeypatch
) -> None:
    owl = season.classes()[2].id
    model = season.active_model().id
    asked = []
    original = season.iter_scores

    def spy(model_id, recording_ids=None, **kwargs):
        asked.append(recording_ids)
        return original(model_id, recording_ids, **kwargs)

    monkeypatch.setattr(season, "iter_scores", spy)
    build_queue(season, owl, "score", 0.999)
    assert asked == [season.recordings_reaching(model, owl, 0.999)]
    build_queue(season, owl, "uncertainty", 0.999)
    assert asked[-1] is None  # below the threshold too: every scored recording


def test_counters_ask_for_the_decided_clips_only(
    season: Project, monkeypatch, tmp_path: Path
) -> None:
    wren = season.classes()[0].id
    queue = build_queue(season, wren, "score", 0.5)
    session = ReviewSession(UndoStack(season), wren, queue)
    session.accept()
    session.reject()
    session.skip()

    def no_full_read(*args, **kwargs):
        raise AssertionError("every label of the class was read")

    monkeypatch.setattr(season, "labels", no_full_read)
    counts = session.counts()
    assert (counts.accepted, counts.rejected, counts.skipped) == (1, 1, 1)
    assert session.progress_text().startswith("4 / ")
    monkeypatch.undo()
    session.undo_stack.undo()  # an undo anywhere lowers the count
    assert session.counts().rejected == 0
    session.undo_stack.undo()
    assert session.counts().decided == 0


def test_label_states_of_many_clips_in_one_query(season: Project) -> None:
    wren = season.classes()[0].id
    first = season.scored_recordings(season.active_model().id)[0]
    states = season.label_states(wren, [(first, 0, 2000), (first, 17000, 19000), (first, 5, 7)])
    assert states == {
        (first, 0, 2000): LabelState.PRESENT,
        (first, 17000, 19000): LabelState.PRESENT,
    }
    assert season.label_states(wren, []) == {}
