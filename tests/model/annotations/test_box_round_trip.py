"""Raven, Audacity and Sonic Visualiser -> project -> export: boxes keep their frequencies.

Each test imports a file with banded rows into a project holding the real storm-petrel
recording (XC46092, 14 s at 44.1 kHz), checks the boxes stored, exports, and reads the export
back with the same reader: times and bands come out as they went in. Full-band rows and rows
without a band stay clip labels, as before boxes existed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from model.annotations.audacity import read_audacity
from model.annotations.box_rule import training_labels
from model.annotations.exporter import export_labels
from model.annotations.importer import apply_import, plan_import
from model.annotations.raven import read_raven, write_raven
from model.annotations.records import Annotation
from model.annotations.sonic_visualiser import read_sonic_visualiser
from model.project import LabelState, Project, Recording, UndoStack

NYQUIST = 22050.0
# (start, end, low, high, class) as a Raven user might draw them; odd values on purpose.
DRAWN = [
    (1.215, 2.924, 231.4, 7836.13, "Storm petrel"),
    (2.9213, 4.5871, 223.035, 8230.425, "Storm petrel"),
    (6.3125, 6.98, 1500.5, 3125.75, "Noise"),
]


@pytest.fixture
def petrel(tmp_path: Path, real_data: Path):
    with Project.create(tmp_path / "p.sonotag") as project:
        rec = project.add_recording(real_data / "pykanto-raw" / "STORM-PETREL" / "XC46092.wav")
        assert rec.sample_rate == 44100 and rec.duration == pytest.approx(14.0, abs=0.01)
        yield project, rec


def _import(project: Project, rows: list[Annotation], rec: Recording | None = None, **kw) -> None:
    plan = plan_import(project, rows, recording_for=rec, **kw)
    assert plan.unplaced == []
    apply_import(project, plan, undo_stack=UndoStack(project))


def _boxes(project: Project) -> list[tuple[float, float, float, float, str]]:
    names = {c.id: c.name for c in project.classes()}
    return [(b.start, b.end, b.low_hz, b.high_hz, names[b.class_id]) for b in project.boxes()]


def _banded(rows: list[Annotation]) -> list[tuple[float, float, float, float, str]]:
    return sorted(
        (a.start, a.end, a.low_hz, a.high_hz, a.label)
        for a in rows
        if a.has_band and not (a.low_hz == 0 and a.high_hz == NYQUIST)
    )


def _approx(rows: list[tuple], places: float = 1e-6) -> list:
    return [
        tuple(pytest.approx(v, abs=places) if isinstance(v, float) else v for v in r) for r in rows
    ]


def test_raven_table_round_trip_keeps_every_band(petrel, tmp_path: Path) -> None:
    project, rec = petrel
    table = tmp_path / "drawn.Table.1.selections.txt"
    rows = [Annotation(rec.path, s, e, lo, hi, label=n) for s, e, lo, hi, n in DRAWN]
    rows.append(Annotation(rec.path, 10.0, 12.0, 0.0, NYQUIST, label="Storm petrel"))  # full band
    write_raven(table, rows)
    _import(project, read_raven(table))
    assert _boxes(project) == sorted(DRAWN)  # exactly as in the table
    assert [(la.start, la.end) for la in project.labels()] == [(10.0, 12.0)]

    out = export_labels(project, tmp_path / "out", "raven")
    back = read_raven(out[0])
    assert _banded(back) == _approx(sorted(DRAWN))
    full = [a for a in back if (a.low_hz, a.high_hz) == (0.0, NYQUIST)]
    assert [(a.start, a.end, a.label) for a in full] == [(10.0, 12.0, "Storm petrel")]
    # ... and once more through the project: the second import finds nothing new to add.
    plan = plan_import(project, back)
    before = project.boxes()
    apply_import(project, plan)
    assert project.boxes() == before


def test_audacity_frequency_lines_round_trip(petrel, tmp_path: Path) -> None:
    project, rec = petrel
    track = tmp_path / "track.txt"
    lines = []
    for s, e, lo, hi, name in DRAWN:
        lines += [f"{s:.6f}\t{e:.6f}\t{name}", f"\\\t{lo:.6f}\t{hi:.6f}"]
    lines.append("11.000000\t11.400000\tStorm petrel")  # no frequency line: a plain span
    track.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _import(project, read_audacity(track), rec)
    assert _boxes(project) == sorted(DRAWN)
    assert sorted({la.start for la in project.labels()}) == [10.0, 11.0]  # the clip rule

    out = export_labels(project, tmp_path / "out", "audacity")
    back = read_audacity(out[0])
    assert _banded(back) == _approx(sorted(DRAWN))
    plain = [a for a in back if not a.has_band]  # clip labels: no frequency line
    assert [(a.start, a.end) for a in plain] == [(10.0, 12.0), (11.0, 13.0)]
    text = out[0].read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("\\") for line in text) == len(DRAWN)


def test_sonic_visualiser_box_layer_round_trip(petrel, tmp_path: Path, real_data: Path) -> None:
    """pykanto's own box layer of this recording (six songs, no names) in and out again."""
    project, rec = petrel
    layer = real_data / "pykanto-raw" / "STORM-PETREL" / "XC46092.xml"
    rows = read_sonic_visualiser(layer)
    _import(project, rows, rec, default_label="Storm petrel")
    stored = _boxes(project)
    assert stored == sorted((a.start, a.end, a.low_hz, a.high_hz, "Storm petrel") for a in rows)
    assert len(stored) == 6 and stored[0][2:4] == (231.4, 231.4 + 7604.73)

    out = export_labels(project, tmp_path / "out", "sonic_visualiser")
    assert out == [tmp_path / "out" / "XC46092.svl"]
    back = read_sonic_visualiser(out[0])
    assert [(a.start, a.end, a.low_hz, a.high_hz) for a in back] == _approx(
        [s[:4] for s in stored], 1e-3
    )
    # Frames at 44.1 kHz: the export puts every box on the very frame it came from.
    source_frames = sorted(int(f) for f in _attr(layer, "frame"))
    assert sorted(int(f) for f in _attr(out[0], "frame")) == source_frames
    # Training reads these boxes by the clip rule, as it read the clip labels they used to give.
    clips = [la.start for la in training_labels(project)]
    assert clips == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 11.0]


def test_states_and_the_choice_of_clips_or_boxes_in_the_export(petrel, tmp_path: Path) -> None:
    project, rec = petrel
    tit = project.add_class("Storm petrel").id
    project.add_box(rec.id, 1.0, 2.0, 500.0, 4000.0, tit, LabelState.ABSENT)
    project.add_box(rec.id, 3.0, 4.0, 600.0, 5000.0, tit)
    project.put_label(rec.id, 8.0, 10.0, tit, LabelState.PRESENT)
    table = export_labels(project, tmp_path / "a", "raven", states=["present", "absent"])[0]
    got = {(a.start, a.low_hz, a.high_hz, a.state) for a in read_raven(table)}
    assert got == {
        (1.0, 500.0, 4000.0, "absent"), (3.0, 600.0, 5000.0, "present"),
        (8.0, 0.0, NYQUIST, "present"),
    }  # fmt: skip
    only_boxes = export_labels(project, tmp_path / "b", "csv", clips=False)[0]
    from model.annotations.csv_table import read_csv_table

    assert [(a.start, a.low_hz) for a in read_csv_table(only_boxes)] == [(3.0, 600.0)]
    assert export_labels(project, tmp_path / "c", "raven", clips=False, boxes=False) == []


def _attr(path: Path, name: str) -> list[str]:
    from xml.etree import ElementTree

    return [p.get(name) or "" for p in ElementTree.parse(path).getroot().iter("point")]
