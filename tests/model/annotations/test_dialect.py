"""One dialect: ``sonotag predict`` and the project exporter write the very same tables."""

from __future__ import annotations

from pathlib import Path

import crowsetta
import numpy as np
import pytest

from model.annotations.dialect import SUFFIXES
from model.annotations.exporter import export_labels, export_predictions
from model.annotations.raven import read_raven
from model.batch_outputs import FORMATS as BATCH_FORMATS
from model.batch_outputs import write_detections
from model.errors import AnnotationFormatError
from model.ml.bundle import Bundle
from tests.model.ml.test_manifest import good_manifest

RAVEN_HEADER = (
    "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\t"
    "Begin Path\tFile Offset (s)\tBegin File\tAnnotation\tScore\tBegin Clock Time (ISO 8601)"
)
LABEL_HEADER = RAVEN_HEADER.removesuffix("\tScore\tBegin Clock Time (ISO 8601)")
STARTS = np.arange(6, dtype=float)
SCORES = np.array([[0.1, 0.9], [0.7, 0.2], [0.8, 0.6], [0.2, 0.1], [0.95, 0.3], [0.3, 0.99]])


def _bundle(manifest: dict | None = None) -> Bundle:
    return Bundle(Path("m.sonotag-model"), manifest or good_manifest(), model=None)


def _both(project, fake_recording, tmp_path: Path, fmt: str, manifest: dict | None = None):
    """The same scores written by the exporter and by predict's writer."""
    return _both_again(_scored(project, fake_recording, tmp_path, manifest), tmp_path, fmt)


def _scored(project, fake_recording, tmp_path: Path, manifest: dict | None):
    rec = fake_recording(tmp_path / "audio" / "20210502_040000.WAV", 7.0, sample_rate=48_000)
    owl, wren = project.add_class("owl"), project.add_class("wren")
    model = project.add_model("m", tmp_path / "m", manifest or good_manifest(), {})
    project.put_predictions(model.id, rec.id, STARTS, [owl.id, wren.id], SCORES)
    return project, rec, manifest


def _both_again(scored, tmp_path: Path, fmt: str):
    project, rec, manifest = scored
    (exported,) = export_predictions(
        project, tmp_path / "export", fmt, threshold=0.5, merge_adjacent=False
    )
    predicted = tmp_path / "predict" / f"20210502_040000{BATCH_FORMATS[fmt]}"
    write_detections(
        predicted, fmt, rec.path, STARTS, SCORES, _bundle(manifest), 0.5, 48_000, rec.start_time
    )
    return exported, predicted


@pytest.mark.parametrize("fmt", ["raven", "audacity", "csv"])
def test_predict_and_export_write_the_same_table(project, fake_recording, tmp_path, fmt):
    exported, predicted = _both(project, fake_recording, tmp_path, fmt)
    assert exported.name == predicted.name == "20210502_040000" + SUFFIXES[fmt]
    assert exported.read_text() == predicted.read_text()


def test_raven_dialect_columns_band_and_naming(project, fake_recording, tmp_path):
    exported, _ = _both(project, fake_recording, tmp_path, "raven")
    assert exported.name.endswith(".Table.1.selections.txt")
    lines = exported.read_text().splitlines()
    assert lines[0] == RAVEN_HEADER
    first = lines[1].split("\t")
    assert first[5:7] == ["0.0", "24000.0"]  # 0 Hz to Nyquist of the 48 kHz recording
    assert first[7].endswith("audio/20210502_040000.WAV") and first[9] == "20210502_040000.WAV"
    df = crowsetta.formats.bbox.Raven.from_file(exported, annot_col="Annotation").df
    assert list(df["Score"]) == pytest.approx([0.9, 0.7, 0.8, 0.6, 0.95, 0.99])


def test_a_band_the_model_declares_replaces_nyquist(project, fake_recording, tmp_path):
    manifest = {**good_manifest(), "detection_band_hz": [2000.0, 8000.0]}
    scored = _scored(project, fake_recording, tmp_path, manifest)
    exported, predicted = _both_again(scored, tmp_path, "raven")
    assert exported.read_text() == predicted.read_text()
    assert {(r.low_hz, r.high_hz) for r in read_raven(exported)} == {(2000.0, 8000.0)}
    exported, predicted = _both_again(scored, tmp_path, "audacity")
    assert exported.read_text() == predicted.read_text()
    assert exported.read_text().splitlines()[1] == "\\\t2000.000000\t8000.000000"


def test_empty_tables_keep_the_full_header(project, fake_recording, tmp_path):
    rec = fake_recording(tmp_path / "quiet.wav", 4.0)
    target = tmp_path / "quiet.Table.1.selections.txt"
    write_detections(target, "raven", rec.path, STARTS[:2], SCORES[:2] * 0, _bundle(), 0.5, 8000)
    assert target.read_text().splitlines() == [RAVEN_HEADER]


def test_label_tables_share_the_columns_without_a_score(project, fake_recording, tmp_path):
    rec = fake_recording(tmp_path / "a.wav", 10.0, sample_rate=32_000)
    project.put_label(rec.id, 2.0, 4.0, project.add_class("owl").id, "present")
    (table,) = export_labels(project, tmp_path / "labels", "raven")
    assert table.read_text().splitlines()[0] == LABEL_HEADER
    (track,) = export_labels(project, tmp_path / "labels", "audacity")
    assert track.name == "a.labels.txt"
    assert track.read_text() == "2.000000\t4.000000\towl\n"  # full band: no frequency line


def test_an_old_name_with_a_tab_is_refused_not_changed_on_export(project, fake_recording, tmp_path):
    rec = fake_recording(tmp_path / "a.wav", 10.0)
    owl = project.add_class("owl")
    with project.transaction() as conn:  # a project made before names were checked
        conn.execute("UPDATE classes SET name = ? WHERE id = ?", ("great\ttit", owl.id))
    project.put_label(rec.id, 2.0, 4.0, owl.id, "present")
    for fmt in ("raven", "audacity"):
        with pytest.raises(AnnotationFormatError, match="contains a tab or line break"):
            export_labels(project, tmp_path / fmt, fmt)


def test_predict_tables_carry_each_detections_clock_time(tmp_path):
    """AudioMoth names its files by their UTC start: each row gets its moment with the offset;
    a file with no known start keeps the column, blank, so tables still stack."""
    import csv

    import soundfile as sf

    moth = tmp_path / "20210502_040000.WAV"
    plain = tmp_path / "dawn.wav"
    for path in (moth, plain):
        sf.write(str(path), np.zeros(7 * 8000, np.float32), 8000)
    for path in (moth, plain):
        write_detections(tmp_path / f"{path.stem}.csv", "csv", path, STARTS, SCORES, _bundle(), 0.5)
        raven = tmp_path / f"{path.stem}.Table.1.selections.txt"
        write_detections(raven, "raven", path, STARTS, SCORES, _bundle(), 0.5)
        assert raven.read_text().splitlines()[0] == RAVEN_HEADER
    with (tmp_path / "20210502_040000.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["start_s"], r["clock_start"]) for r in rows[:2]] == [
        ("0.0", "2021-05-02T04:00:00.000+00:00"),
        ("1.0", "2021-05-02T04:00:01.000+00:00"),
    ]
    with (tmp_path / "dawn.csv").open() as handle:
        assert {r["clock_start"] for r in csv.DictReader(handle)} == {""}
    raven_rows = (tmp_path / "20210502_040000.Table.1.selections.txt").read_text().splitlines()
    assert raven_rows[2].split("\t")[-1] == "2021-05-02T04:00:01.000+00:00"
