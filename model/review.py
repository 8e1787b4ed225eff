"""Review mode without Qt: a queue of predicted windows for one class, and the decisions on it.

Every decision is a ``SetLabel`` pushed on the project's ``UndoStack``, so a review keystroke is
an ordinary label: it is undoable like any other edit and the next training run reads it through
``model.ml.dataset.build_examples`` with no export or "add to training set" step. The label spans
exactly the scored window (start, start + clip length), which ``build_examples`` turns back into
that same window: accept -> target 1, reject -> 0, uncertain -> unknown (left out of the loss).

Counters are read back from the project rather than kept on the side, so an undo made anywhere
in the app (Ctrl+Z in the main window) shows up in the review counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from model.clips.geometry import ClipGeometry
from model.errors import ProjectError
from model.project.commands import SetLabel, UndoStack
from model.project.records import Label, LabelState, ModelRecord, to_ms

if TYPE_CHECKING:
    from model.jobs import Reporter
    from model.project.store import Project

REVIEW_NOTE = "review"


class ReviewOrder(StrEnum):
    SCORE = "score"  # highest score first: confirm the detections
    UNCERTAINTY = "uncertainty"  # closest to the threshold first: what teaches the model most
    RANDOM = "random"  # a fair sample of the detections: an honest precision estimate


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    UNCERTAIN = "uncertain"
    SKIP = "skip"


STATE_OF = {
    Decision.ACCEPT: LabelState.PRESENT,
    Decision.REJECT: LabelState.ABSENT,
    Decision.UNCERTAIN: LabelState.UNCERTAIN,
}
DECISION_OF = {state: decision for decision, state in STATE_OF.items()}


@dataclass(frozen=True)
class ReviewItem:
    recording_id: int
    start: float  # seconds, rounded to the millisecond like stored labels
    end: float
    score: float


class ReviewQueue(Sequence[ReviewItem]):
    """The queue as arrays, items made on access: a season of scores holds millions of
    windows, and building them all as objects up front took seconds for nothing."""

    def __init__(
        self, recording_ids: np.ndarray, starts: np.ndarray, ends: np.ndarray, scores: np.ndarray
    ) -> None:
        self.recording_ids = recording_ids
        self.starts = starts
        self.ends = ends
        self.scores = scores

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, index: int) -> ReviewItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[ReviewItem]: ...

    def __getitem__(self, index: int | slice) -> ReviewItem | list[ReviewItem]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return ReviewItem(
            int(self.recording_ids[index]),
            float(self.starts[index]),
            float(self.ends[index]),
            float(self.scores[index]),
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReviewQueue):
            return all(
                np.array_equal(a, b)
                for a, b in zip(
                    (self.recording_ids, self.starts, self.ends, self.scores),
                    (other.recording_ids, other.starts, other.ends, other.scores),
                    strict=True,
                )
            )
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def clip_seconds_of(model: ModelRecord | None) -> float:
    """The window length the model scored with (its manifest's clip settings)."""
    return ClipGeometry().clip_seconds if model is None else model.clip_seconds


def resolve_model(project: Project, model_id: int | None) -> ModelRecord:
    """The given model, else the active one; a missing model is a ``ProjectError``."""
    if model_id is not None:
        return project.model(model_id)
    model = project.active_model()
    if model is None:
        raise ProjectError(project.path, "has no active model yet; train or import a model first")
    return model


def labelled_mask(
    starts: np.ndarray, clip: float, labels: Sequence[Label] | Sequence[Any]
) -> np.ndarray:
    """Windows already covered by a label of the class.

    Same "substantial overlap" rule as ``model.ml.dataset``: the label covers at least half of
    the window or half of itself lies in it. A window that only grazes a label is still worth
    reviewing; one that the training set already has an answer for is not.
    """
    mask = np.zeros(len(starts), bool)
    ends = starts + clip
    for label in labels:
        overlap = np.minimum(ends, label.end) - np.maximum(starts, label.start)
        need = 0.5 * min(max(label.end - label.start, 1e-3), clip)
        mask |= overlap >= need - 1e-9
    return mask


def build_queue(
    project: Project,
    class_id: int,
    order: ReviewOrder | str = ReviewOrder.SCORE,
    threshold: float = 0.5,
    *,
    only_unlabelled: bool = True,
    seed: int = 0,
    limit: int | None = None,
    model_id: int | None = None,
    reporter: Reporter | None = None,
) -> ReviewQueue:
    """Windows of ``class_id`` scored by the active (or given) model, in review order.

    ``score`` and ``random`` take the windows at or above ``threshold`` (the detections);
    ``uncertainty`` takes every window, nearest the threshold first, so likely misses just
    below it come up too. With ``only_unlabelled`` windows that already carry a label of this
    class are left out (they are training data already).
    """
    order = ReviewOrder(order)
    project.label_class(class_id)  # raises a ProjectError naming the class number if gone
    model = resolve_model(project, model_id)
    clip = clip_seconds_of(model)
    labels_by_rec: dict[int, list[Label]] = {}
    if only_unlabelled:
        from model.annotations.box_rule import training_labels

        for label in training_labels(project, class_id=class_id, clip_seconds=clip):
            labels_by_rec.setdefault(label.recording_id, []).append(label)
    # Below the threshold only the uncertainty order wants windows: otherwise the peaks index
    # says which recordings hold any, and only those are read.
    wanted = (
        None
        if order is ReviewOrder.UNCERTAINTY
        else project.recordings_reaching(model.id, class_id, threshold)
    )
    total = len(project.scored_recordings(model.id)) if wanted is None else len(wanted)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    done = 0
    for chunk in project.iter_scores(model.id, wanted, class_ids=[class_id]):
        column = chunk.scores[:, 0].astype(np.float64)
        starts = np.round(chunk.starts * 1000) / 1000
        keep = np.isfinite(column)
        if order is not ReviewOrder.UNCERTAINTY:
            keep &= column >= threshold
        bounds = np.flatnonzero(np.diff(chunk.recording_ids)) + 1
        for first, stop in zip(np.r_[0, bounds], np.r_[bounds, len(column)], strict=True):
            labels = labels_by_rec.get(int(chunk.recording_ids[first]))
            if labels:  # windows this class already has an answer for are training data
                keep[first:stop] &= ~labelled_mask(starts[first:stop], clip, labels)
        parts.append((chunk.recording_ids[keep], starts[keep], column[keep]))
        done += len(bounds) + 1
        if reporter is not None:
            reporter.update(done, max(total, 1), "reading scores")
    empty = np.zeros(0)
    rids = np.concatenate([p[0] for p in parts]) if parts else empty.astype(np.int64)
    starts = np.concatenate([p[1] for p in parts]) if parts else empty
    scores = np.concatenate([p[2] for p in parts]) if parts else empty
    # Ties go by file, then time. Chunks come in file order with windows in time order (as
    # scoring stores them), so a stable sort on the score keys alone gives the same order.
    in_order = not ((np.diff(rids) == 0) & (np.diff(starts) < 0)).any()
    by_file = () if in_order else (starts, rids)
    if order is ReviewOrder.SCORE:
        index = np.lexsort((*by_file, -scores))
    elif order is ReviewOrder.UNCERTAINTY:
        index = np.lexsort((*by_file, -scores, np.abs(scores - threshold)))
    else:
        index = np.random.default_rng(seed).permutation(len(scores))
    if limit is not None:
        index = index[: max(0, limit)]
    ends = np.round((starts[index] + clip) * 1000) / 1000
    return ReviewQueue(rids[index], starts[index], ends, scores[index])


def build_queue_job(
    reporter: Reporter, project_path: str | Path, class_id: int, **kwargs: Any
) -> Any:
    """``build_queue`` as a job, so a project with months of scores never freezes the window.

    Takes the path, not the open project: in the window's process this is a handle on the
    window's own connection that stays valid even if the window closes the project meanwhile.
    """
    from model.project.store import Project

    with Project.open(project_path) as project:
        return build_queue(project, class_id, reporter=reporter, **kwargs)


@dataclass(frozen=True)
class ReviewCounts:
    accepted: int = 0
    rejected: int = 0
    uncertain: int = 0
    skipped: int = 0

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected + self.uncertain


class ReviewSession:
    """Walks a queue: decide (accept/reject/uncertain), skip, go back; decisions are labels."""

    def __init__(
        self,
        undo_stack: UndoStack,
        class_id: int,
        items: Sequence[ReviewItem],
        author: str | None = None,
    ) -> None:
        self.undo_stack = undo_stack
        self.project = undo_stack.project
        self.class_id = class_id
        self.items = items if isinstance(items, ReviewQueue) else list(items)
        self.author = author
        self.position = 0
        self._decided: set[int] = set()  # items this session wrote a label for
        self._skipped: set[int] = set()

    def __len__(self) -> int:
        return len(self.items)

    @property
    def current(self) -> ReviewItem | None:
        return self.items[self.position] if self.position < len(self.items) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.items)

    def decision(self, index: int | None = None) -> Decision | None:
        """What was decided for an item (default: the current one), read from the project."""
        index = self.position if index is None else index
        if index in self._decided:
            item = self.items[index]
            label = self.project.label_at(item.recording_id, item.start, item.end, self.class_id)
            if label is not None:
                return DECISION_OF[label.state]
        return Decision.SKIP if index in self._skipped else None

    def decide(self, decision: Decision | str) -> ReviewItem | None:
        """Records a decision on the current item and moves on; returns the next item.

        Skipping an item that already has a decision keeps that decision: skip means "no
        change", so going back and skipping forward never loses a label.
        """
        decision = Decision(decision)
        item = self.current
        if item is None:
            return None
        if decision is Decision.SKIP:
            if self.decision() in (None, Decision.SKIP):
                self._skipped.add(self.position)
        else:
            state = STATE_OF[decision]
            existing = self.project.label_at(item.recording_id, item.start, item.end, self.class_id)
            if existing is None or existing.state != state:
                self.undo_stack.push(
                    SetLabel(
                        item.recording_id, item.start, item.end, self.class_id, state,
                        author=self.author, note=REVIEW_NOTE,
                    )
                )  # fmt: skip
            self._decided.add(self.position)
            self._skipped.discard(self.position)
        self.position += 1
        return self.current

    def accept(self) -> ReviewItem | None:
        return self.decide(Decision.ACCEPT)

    def reject(self) -> ReviewItem | None:
        return self.decide(Decision.REJECT)

    def mark_uncertain(self) -> ReviewItem | None:
        return self.decide(Decision.UNCERTAIN)

    def skip(self) -> ReviewItem | None:
        return self.decide(Decision.SKIP)

    def back(self) -> ReviewItem | None:
        """One item back (its decision stays until a new one replaces it)."""
        if self.position > 0:
            self.position -= 1
        return self.current

    def counts(self) -> ReviewCounts:
        """Decisions as the project holds them now (an undo elsewhere lowers the count)."""
        clips = [self.items[i] for i in sorted(self._decided)]
        states = self.project.label_states(  # the decided clips only, not every label
            self.class_id, [(c.recording_id, to_ms(c.start), to_ms(c.end)) for c in clips]
        )
        tally = {decision: 0 for decision in Decision}
        for index in self._decided | self._skipped:
            item = self.items[index]
            state = (
                states.get((item.recording_id, to_ms(item.start), to_ms(item.end)))
                if index in self._decided
                else None
            )
            if state is not None:
                tally[DECISION_OF[state]] += 1
            elif index in self._skipped:
                tally[Decision.SKIP] += 1
        return ReviewCounts(
            tally[Decision.ACCEPT],
            tally[Decision.REJECT],
            tally[Decision.UNCERTAIN],
            tally[Decision.SKIP],
        )

    def progress_text(self) -> str:
        """``12 / 140 — accepted 5, rejected 4, uncertain 1, skipped 2``."""
        c = self.counts()
        total = len(self.items)
        at = min(self.position + 1, total)
        head = f"{at} / {total}" + (" (done)" if self.finished and total else "")
        return (
            f"{head} — accepted {c.accepted}, rejected {c.rejected}, "
            f"uncertain {c.uncertain}, skipped {c.skipped}"
        )
