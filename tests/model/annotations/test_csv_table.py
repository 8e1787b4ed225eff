from __future__ import annotations

from pathlib import Path

import crowsetta
import pytest

from model.annotations.csv_table import HEADER, read_csv_table, write_csv_table
from model.annotations.records import Annotation
from model.errors import AnnotationFormatError


def test_round_trip_keeps_every_field(tmp_path):
    rows = [
        Annotation(Path("/d/b.wav"), 2.0, 4.0, label='say "hi", twice', score=0.75, state="absent"),
        Annotation(Path("/d/a.wav"), 0.125, 1.5, 250.5, 9000.0, "Parus major"),
        Annotation(None, 3.0, 5.0, label="no file"),
    ]
    path = tmp_path / "out.csv"
    write_csv_table(path, rows)
    assert path.read_text().splitlines()[0] == ",".join(HEADER)
    back = read_csv_table(path)
    assert [
        (r.file, r.start, r.end, r.low_hz, r.high_hz, r.label, r.score, r.state) for r in back
    ] == [
        (None, 3.0, 5.0, None, None, "no file", None, None),
        (Path("/d/a.wav"), 0.125, 1.5, 250.5, 9000.0, "Parus major", None, None),
        (Path("/d/b.wav"), 2.0, 4.0, None, None, 'say "hi", twice', 0.75, "absent"),
    ]


def test_column_names_are_matched_loosely(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        "Recording;Begin;Duration (s);Species;Confidence\n"
        "C:\\field\\A.wav;1,5;0,5;Great tit;0,9\n"
        "A.wav;;1;Robin;\n"
    )
    good, bad = read_csv_table(path)
    assert (good.file, good.start, good.end, good.label, good.score) == (
        Path("C:/field/A.wav"), 1.5, 2.0, "Great tit", 0.9
    )  # fmt: skip
    assert bad.row == 3 and bad.problem and bad.label == "Robin"


def test_crowsetta_generic_seq_csv_is_read(tmp_path):
    seq = crowsetta.Sequence.from_keyword(
        labels=["a", "b"], onsets_s=[0.5, 2.0], offsets_s=[1.0, 3.5]
    )
    annot = crowsetta.Annotation(annot_path="x.txt", notated_path="/rec/A.wav", seq=seq)
    path = tmp_path / "generic.csv"
    crowsetta.formats.seq.generic.annot2csv([annot], path)
    rows = read_csv_table(path)
    assert [(r.file, r.start, r.end, r.label) for r in rows] == [
        (Path("/rec/A.wav"), 0.5, 1.0, "a"),
        (Path("/rec/A.wav"), 2.0, 3.5, "b"),
    ]


def test_tables_without_times_are_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("species,count\nrobin,3\n")
    with pytest.raises(AnnotationFormatError, match="start and an end"):
        read_csv_table(path)
    path.write_text("start,end,species\n1,2,robin\n")
    with pytest.raises(AnnotationFormatError, match="no column 'label'"):
        read_csv_table(path, label_column="label")
    assert read_csv_table(path, label_column="species")[0].label == "robin"
