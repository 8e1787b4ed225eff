"""BirdNET-Analyzer result files, written here the way BirdNET-Analyzer's own code writes them
(birdnet_analyzer/analyze/utils.py: CSV_HEADER, RAVEN_TABLE_HEADER, KALEIDOSCOPE_HEADER)."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.annotations.birdnet import read_birdnet
from model.annotations.formats import detect_format, read_annotations
from model.errors import AnnotationFormatError

CSV = (
    "Start (s),End (s),Scientific name,Common name,Confidence,File\n"
    "0.0,3.0,Parus major,Great Tit,0.8123,/rec/site1/20210502_040000.WAV\n"
    "3.0,6.0,Hydrobates pelagicus,European Storm-Petrel,0.2500,/rec/site1/20210502_040000.WAV\n"
    "oops,9.0,Parus major,Great Tit,0.9000,/rec/site1/20210502_040000.WAV\n"
)
TABLE = (
    "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\t"
    "Common Name\tSpecies Code\tConfidence\tBegin Path\tFile Offset (s)\n"
    "1\tSpectrogram 1\t1\t0\t3\t0\t15000\tGreat Tit\tgreti1\t0.7000\tC:\\rec\\A.wav\t0\n"
    "2\tSpectrogram 1\t1\t63.0\t66.0\t0\t15000\tGreat Tit\tgreti1\t0.9100\tC:\\rec\\B.wav\t3.0\n"
    "3\tSpectrogram 1\t1\t0\t3\t0\t15000\tnocall\tnocall\t1.0\tC:\\rec\\C.wav\t0\n"
)
KALEIDOSCOPE = (
    "INDIR,FOLDER,IN FILE,OFFSET,DURATION,scientific_name,common_name,confidence,lat,lon,week,"
    "overlap,sensitivity\n"
    "/rec,site1,A.wav,6.0,3.0,Parus major,Great Tit,0.6600,-1,-1,-1,0.0,1.0\n"
)
R_TABLE = (
    "filepath,start,end,scientific_name,common_name,confidence,lat,lon,week,overlap,sensitivity,"
    "min_conf,species_list,model\n"
    "/rec/A.wav,9.0,12.0,Parus major,Great Tit,0.5500,-1,-1,-1,0,1,0.1,,V2.4\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_output(tmp_path):
    path = _write(tmp_path, "A.BirdNET.results.csv", CSV)
    tit, petrel, bad = read_birdnet(path)
    assert (tit.start, tit.end, tit.label, tit.score) == (0.0, 3.0, "Great Tit", 0.8123)
    assert tit.file == Path("/rec/site1/20210502_040000.WAV")
    assert petrel.label == "European Storm-Petrel" and petrel.score == 0.25
    assert bad.row == 4 and "not a number" in bad.problem and bad.label == "Great Tit"
    assert read_birdnet(path, name="scientific")[1].label == "Hydrobates pelagicus"
    assert read_birdnet(path, name="both")[0].label == "Parus major_Great Tit"


def test_combined_raven_table_output_uses_file_offsets_and_skips_nocall(tmp_path):
    path = _write(tmp_path, "BirdNET_SelectionTable.txt", TABLE)
    rows = read_birdnet(path)
    assert [(r.file.name, r.start, r.end, r.label, r.score) for r in rows] == [
        ("A.wav", 0.0, 3.0, "Great Tit", 0.7),
        ("B.wav", 3.0, 6.0, "Great Tit", 0.91),
    ]
    assert rows[0].high_hz == 15000.0


def test_kaleidoscope_and_r_outputs(tmp_path):
    (k,) = read_birdnet(_write(tmp_path, "k.csv", KALEIDOSCOPE))
    assert (k.file, k.start, k.end, k.label, k.score) == (
        Path("/rec/site1/A.wav"), 6.0, 9.0, "Great Tit", 0.66
    )  # fmt: skip
    (r,) = read_birdnet(_write(tmp_path, "r.csv", R_TABLE), name="scientific")
    assert (r.file, r.start, r.end, r.label, r.score) == (
        Path("/rec/A.wav"), 9.0, 12.0, "Parus major", 0.55
    )  # fmt: skip


def test_audacity_output_splits_the_species_name(tmp_path):
    path = _write(tmp_path, "A.BirdNET.results.txt", "0.0\t3.0\tParus major, Great Tit\t0.8123\n")
    (row,) = read_birdnet(path)
    assert (row.label, row.score, row.file) == ("Great Tit", 0.8123, None)
    assert read_birdnet(path, name="scientific")[0].label == "Parus major"


def test_formats_are_recognised_for_the_import_dialog(tmp_path):
    cases = {
        "csv.csv": (CSV, "birdnet"),
        "table.txt": (TABLE, "raven"),
        "k.csv": (KALEIDOSCOPE, "birdnet"),
        "aud.txt": ("0.0\t3.0\tParus major, Great Tit\t0.8123\n", "birdnet"),
        "labels.txt": ("1.0\t2.0\tGreat tit\n\\\t100\t200\n", "audacity"),
        "mine.csv": ("file;start;end;species\nA.wav;1,5;2;x\n", "csv"),
    }
    for name, (text, fmt) in cases.items():
        path = _write(tmp_path, name, text)
        assert detect_format(path) == fmt, name
        assert read_annotations(path), name
    assert detect_format(tmp_path / "layer.xml") == "sonic_visualiser"


def test_other_files_are_refused(tmp_path):
    with pytest.raises(AnnotationFormatError, match="BirdNET"):
        read_birdnet(_write(tmp_path, "x.csv", "a,b,c\n1,2,3\n"))
