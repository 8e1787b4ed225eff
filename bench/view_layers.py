"""Label layers laid over the benchmarked spectrogram view: time-frequency boxes
(``--boxes N``) and busy clip labels with their tags and lanes (``--labels``). Kept apart from
``bench_spectrogram_view.py`` so the measuring loop stays readable; imported by its child
process, which runs with this folder on ``sys.path``."""

from __future__ import annotations


def add_boxes(view, count: int, duration: float) -> None:
    """``count`` boxes spread over the recording, drawn by the app's box overlay item."""
    import numpy as np

    from app.labelling.boxes import BoxOverlay
    from model.project.records import Box, LabelClass, LabelState, now_utc

    rng = np.random.default_rng(7)
    palette = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f")
    classes = [LabelClass(i + 1, f"class {i + 1}", c, str(i + 1), i) for i, c in enumerate(palette)]
    states = (LabelState.PRESENT, LabelState.UNCERTAIN, LabelState.ABSENT)
    boxes = []
    for i in range(count):
        start = float(rng.uniform(0, max(duration - 2.0, 0.1)))
        low = float(rng.uniform(500, 12000))
        boxes.append(
            Box(i + 1, 1, start, start + float(rng.uniform(0.2, 2.0)), low,
                low + float(rng.uniform(500, 6000)), int(rng.integers(1, 6)),
                states[i % 7 // 5], "bench", now_utc())
        )  # fmt: skip
    overlay = BoxOverlay()
    view.plot_item.addItem(overlay, ignoreBounds=True)
    overlay.set_boxes(boxes, classes)
    view._bench_overlay = overlay  # kept alive with the view


def busy_labels(duration: float) -> tuple[list, list]:
    """Eleven classes, one to four of them on each 2-s clip of a 1-s grid (what an imported
    BirdNET table gives), for ``--labels``: the label layers' share of the frame time."""
    from datetime import UTC, datetime

    from model.project.records import Label, LabelClass, LabelState

    colours = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1")
    classes = [LabelClass(i, f"Species {i}", colours[i % 7], None, i) for i in range(11)]
    labels, now, n = [], datetime.now(UTC), 0
    for k, start in enumerate(range(0, int(duration) - 2, 1)):
        for j in range(1 + k % 4):
            state = LabelState.ABSENT if (k + j) % 9 == 0 else LabelState.PRESENT
            n += 1
            labels.append(Label(n, 1, float(start), start + 2.0, (k * 3 + j * 5) % 11, state,
                                "bench", now))  # fmt: skip
    return labels, classes


def add_label_layers(view: object, duration: float) -> str:
    """The window's label layers over ``view``: the tag overlay and, where this code has them,
    the label lanes. Returns what was added."""
    from app.labelling.overlay import LabelOverlay

    labels, classes = busy_labels(duration)
    overlay = LabelOverlay()
    view.plot_item.addItem(overlay, ignoreBounds=True)  # type: ignore[attr-defined]
    overlay.set_labels(labels, classes)
    added = f"overlay with {len(labels)} labels"
    try:
        from app.labelling.lanes import LabelLanes
    except ImportError:  # code from before the lanes
        return added
    lanes = LabelLanes(view, "always")  # type: ignore[arg-type]
    lanes.set_labels(labels, classes, overlay.rows_needed())
    return added + " + label lanes"
