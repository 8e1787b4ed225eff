"""The review queue as it was built before it read scores in chunks: one recording at a time.
Kept as the reference the chunked queue must agree with (not used by the app)."""

from __future__ import annotations

import numpy as np

from model.project import Label, Project
from model.review import ReviewOrder, clip_seconds_of, labelled_mask


def reference_queue(
    project: Project,
    class_id: int,
    order: str,
    threshold: float,
    only_unlabelled: bool = True,
    seed: int = 0,
    limit: int | None = None,
) -> list[tuple[int, float, float, float]]:
    order_ = ReviewOrder(order)
    model = project.active_model()
    assert model is not None
    clip = clip_seconds_of(model)
    labels_by_rec: dict[int, list[Label]] = {}
    if only_unlabelled:
        for label in project.labels(class_id=class_id):
            labels_by_rec.setdefault(label.recording_id, []).append(label)
    parts = []
    for rid in project.scored_recordings(model.id):
        starts, class_ids, scores = project.predictions(model.id, rid)
        if class_id not in class_ids or not len(starts):
            continue
        column = scores[:, class_ids.index(class_id)].astype(np.float64)
        starts = np.round(starts * 1000) / 1000
        keep = np.isfinite(column)
        if order_ is not ReviewOrder.UNCERTAINTY:
            keep &= column >= threshold
        if only_unlabelled and rid in labels_by_rec:
            keep &= ~labelled_mask(starts, clip, labels_by_rec[rid])
        parts.append((np.full(int(keep.sum()), rid, np.int64), starts[keep], column[keep]))
    rids = np.concatenate([p[0] for p in parts])
    starts = np.concatenate([p[1] for p in parts])
    scores = np.concatenate([p[2] for p in parts])
    if order_ is ReviewOrder.SCORE:
        index = np.lexsort((starts, rids, -scores))
    elif order_ is ReviewOrder.UNCERTAINTY:
        index = np.lexsort((starts, rids, -scores, np.abs(scores - threshold)))
    else:
        index = np.random.default_rng(seed).permutation(len(scores))
    if limit is not None:
        index = index[:limit]
    ends = np.round((starts[index] + clip) * 1000) / 1000
    return list(
        zip(
            rids[index].tolist(),
            starts[index].tolist(),
            ends.tolist(),
            scores[index].tolist(),
            strict=True,
        )
    )
