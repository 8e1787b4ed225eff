from __future__ import annotations

import math
from pathlib import Path

import crowsetta
import pytest

from model.annotations.raven import read_raven, write_raven
from model.annotations.records import Annotation
from model.errors import AnnotationFormatError

HEADER = "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)"


def _table(tmp_path: Path, text: str, name: str = "t.selections.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_crowsettas_raven_example_like_crowsetta():
    path = crowsetta.example("Recording1", return_path=True)
    ours = read_raven(path)
    theirs = crowsetta.formats.bbox.Raven.from_file(path, annot_col="Species").to_bbox()
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs, strict=True):
        assert (a.start, a.end, a.low_hz, a.high_hz, a.label) == pytest.approx(
            (b.onset, b.offset, b.low_freq, b.high_freq, b.label)
        )
        assert a.file is None and not a.problem


def test_multi_file_table_places_rows_by_file_and_offset(tmp_path):
    text = (
        f"{HEADER}\tBegin Path\tFile Offset (s)\tBegin File\tSpecies\n"
        "1\tSpectrogram 1\t1\t5.0\t6.5\t1000\t4000\tC:\\data\\site1\\A.wav\t5.0\tA.wav\tGRTI\n"
        "2\tSpectrogram 1\t1\t62.0\t63.0\t2000\t6000\tC:\\data\\site1\\B.wav\t2.0\tB.wav\tROBI\n"
    )
    a, b = read_raven(_table(tmp_path, text))
    assert (a.file, a.start, a.end, a.label) == (Path("C:/data/site1/A.wav"), 5.0, 6.5, "GRTI")
    assert a.file is not None and a.file.name == "A.wav"
    # Begin Time counts on the joined timeline (A lasts 60 s); the offset is inside B.wav.
    assert (b.file.name, b.start, b.end, b.label) == ("B.wav", 2.0, 3.0, "ROBI")


def test_each_selection_is_read_once_even_when_listed_per_view(tmp_path):
    text = (
        f"{HEADER}\tAnnotation\n"
        "1\tWaveform 1\t1\t1.0\t2.0\t\t\tA\n"
        "1\tSpectrogram 1\t1\t1.0\t2.0\t500\t900\tA\n"
        "2\tSpectrogram 1\t1\t3.0\t4.0\t600\t1000\tB\n"
        "2\tWaveform 1\t1\t3.0\t4.0\t\t\tB\n"
    )
    rows = read_raven(_table(tmp_path, text))
    assert [(r.label, r.low_hz, r.high_hz) for r in rows] == [("A", 500, 900), ("B", 600, 1000)]


def test_a_bad_row_is_kept_and_marked_not_dropped(tmp_path):
    text = (
        f"{HEADER}\tSpecies\n"
        "1\tSpectrogram 1\t1\t1.0\t2.0\t0\t8000\tA\n"
        "2\tSpectrogram 1\t1\tx\t2.0\t0\t8000\tB\n"
    )
    good, bad = read_raven(_table(tmp_path, text))
    assert good.problem == "" and good.label == "A"
    assert bad.row == 3 and bad.label == "B" and "not a number" in bad.problem
    assert math.isnan(bad.start)


def test_named_label_column_and_windows_encoding(tmp_path):
    text = f"{HEADER}\tObserver\tNotes\n1\tSpectrogram 1\t1\t1\t2\t0\t9000\tJo\tchant\u00e9\n"
    path = tmp_path / "t.txt"
    path.write_bytes(text.encode("cp1252"))
    assert read_raven(path)[0].label == ""  # no known label column: left for the caller
    assert read_raven(path, label_column="notes")[0].label == "chant\u00e9"
    with pytest.raises(AnnotationFormatError, match="no column 'Genus'"):
        read_raven(path, label_column="Genus")


def test_files_that_are_not_selection_tables_are_refused(tmp_path):
    with pytest.raises(AnnotationFormatError, match="not a Raven selection table"):
        read_raven(_table(tmp_path, "start,end,label\n1,2,a\n"))
    with pytest.raises(AnnotationFormatError, match="does not exist"):
        read_raven(tmp_path / "missing.txt")
    with pytest.raises(AnnotationFormatError, match="empty"):
        read_raven(_table(tmp_path, "\n\n"))


def _sample() -> list[Annotation]:
    return [
        Annotation(None, 3.25, 4.5, 2500.0, 7000.0, "Parus major", 0.91),
        Annotation(None, 0.5, 1.0, 100.0, 11025.0, "Erithacus rubecula", 0.42),
    ]


def test_written_table_is_read_back_by_crowsetta(tmp_path):
    path = tmp_path / "out.selections.txt"
    write_raven(path, _sample(), label_column="Species")
    raven = crowsetta.formats.bbox.Raven.from_file(path, annot_col="Species")
    boxes = raven.to_bbox()
    assert [(b.onset, b.offset, b.low_freq, b.high_freq, b.label) for b in boxes] == [
        (0.5, 1.0, 100.0, 11025.0, "Erithacus rubecula"),
        (3.25, 4.5, 2500.0, 7000.0, "Parus major"),
    ]
    assert list(raven.df["Selection"]) == [1, 2]
    assert list(raven.df["Score"]) == pytest.approx([0.42, 0.91])
    # And by our own reader, unchanged.
    assert read_raven(path) == [
        Annotation(None, 0.5, 1.0, 100.0, 11025.0, "Erithacus rubecula", 0.42, row=2),
        Annotation(None, 3.25, 4.5, 2500.0, 7000.0, "Parus major", 0.91, row=3),
    ]


def test_multi_file_table_round_trip(tmp_path):
    a, b = Path("/data/site1/A.wav"), Path("/data/site2/B.wav")
    rows = [
        Annotation(b, 2.0, 4.0, 0.0, 24000.0, "ROBI"),
        Annotation(a, 58.0, 60.0, 0.0, 24000.0, "GRTI"),
    ]
    path = tmp_path / "multi.txt"
    write_raven(path, rows, file_durations={a: 60.0, b: 30.0})
    raven = crowsetta.formats.bbox.Raven.from_file(path, annot_col="Annotation")
    assert list(raven.df["begin_time_s"]) == [58.0, 62.0]  # B starts at 60 s on the timeline
    assert list(raven.df["Begin File"]) == ["A.wav", "B.wav"]
    assert list(raven.df["File Offset (s)"]) == [58.0, 2.0]
    back = read_raven(path)
    assert [(r.file, r.start, r.end, r.label) for r in back] == [
        (a, 58.0, 60.0, "GRTI"),
        (b, 2.0, 4.0, "ROBI"),
    ]
    with pytest.raises(ValueError, match="no duration"):
        write_raven(path, rows, file_durations={a: 60.0})


def test_write_to_a_missing_folder_names_the_file(tmp_path):
    with pytest.raises(AnnotationFormatError, match="cannot write"):
        write_raven(tmp_path / "no" / "such" / "t.txt", _sample())
