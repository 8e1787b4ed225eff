from __future__ import annotations

import crowsetta
import numpy as np
import pytest

from model.annotations.audacity import read_audacity, write_audacity
from model.annotations.records import Annotation


def test_reads_crowsettas_examples_like_crowsetta():
    bbox_path = crowsetta.example("spinetail.txt", return_path=True)
    ours = read_audacity(bbox_path)
    theirs = crowsetta.formats.bbox.AudBBox.from_file(bbox_path).to_bbox()
    assert len(ours) == len(theirs) == 18
    for a, b in zip(ours, theirs, strict=True):
        assert (a.start, a.end, a.low_hz, a.high_hz, a.label) == pytest.approx(
            (b.onset, b.offset, b.low_freq, b.high_freq, b.label)
        )
    seq_path = crowsetta.example("marron1", return_path=True)
    seq = crowsetta.formats.seq.AudSeq.from_file(seq_path)
    ours = read_audacity(seq_path)
    assert [a.label for a in ours] == list(seq.labels)
    np.testing.assert_allclose([a.start for a in ours], seq.start_times)
    assert all(a.low_hz is None and a.high_hz is None for a in ours)


def test_frequency_lines_may_follow_some_labels_only(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text(
        "1.000000\t2.500000\tGreat tit\n"
        "\\\t2000.000000\t7500.000000\n"
        "3.000000\t3.000000\tclick\n"  # a point label, no band
        "4.000000\t5.000000\t\n"  # a label without text
        "\\\t-1.000000\t9000.000000\n"  # Audacity writes an unset bound as negative
        "6,5\t7,25\tcomma decimals\r\n"
    )
    rows = read_audacity(path)
    assert [(r.start, r.end, r.low_hz, r.high_hz, r.label) for r in rows] == [
        (1.0, 2.5, 2000.0, 7500.0, "Great tit"),
        (3.0, 3.0, None, None, "click"),
        (4.0, 5.0, None, 9000.0, ""),
        (6.5, 7.25, None, None, "comma decimals"),
    ]
    assert [r.row for r in rows] == [1, 3, 4, 6]


def test_stray_and_broken_lines_are_reported(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("\\\t100\t200\nnot a label\n2\t3\tok\n")
    stray, broken, ok = read_audacity(path)
    assert "without a label line" in stray.problem and stray.row == 1
    assert "not a label line" in broken.problem and broken.row == 2
    assert ok.label == "ok" and not ok.problem


def test_birdnet_label_track_carries_the_confidence(tmp_path):
    path = tmp_path / "x.BirdNET.results.txt"
    path.write_text("0.0\t3.0\tParus major, Great Tit\t0.8123\n")
    (row,) = read_audacity(path)
    assert (row.label, row.score) == ("Parus major, Great Tit", pytest.approx(0.8123))


def _sample() -> list[Annotation]:
    return [
        Annotation(None, 4.0, 6.0, 1500.0, 9000.5, "Storm petrel"),
        Annotation(None, 0.25, 1.75, 200.0, 3000.0, "noise, wind"),
    ]


def test_written_track_with_bands_is_read_back_by_crowsetta_aud_bbox(tmp_path):
    path = tmp_path / "out.txt"
    write_audacity(path, _sample())
    boxes = crowsetta.formats.bbox.AudBBox.from_file(path).to_bbox()
    assert [(b.onset, b.offset, b.low_freq, b.high_freq, b.label) for b in boxes] == [
        (0.25, 1.75, 200.0, 3000.0, "noise, wind"),
        (4.0, 6.0, 1500.0, 9000.5, "Storm petrel"),
    ]
    assert [(a.start, a.end, a.low_hz, a.high_hz) for a in read_audacity(path)] == [
        (0.25, 1.75, 200.0, 3000.0),
        (4.0, 6.0, 1500.0, 9000.5),
    ]


def test_written_track_without_bands_is_read_back_by_crowsetta_aud_seq(tmp_path):
    path = tmp_path / "out.txt"
    write_audacity(path, _sample(), frequencies=False)
    seq = crowsetta.formats.seq.AudSeq.from_file(path)
    assert list(seq.labels) == ["noise, wind", "Storm petrel"]
    np.testing.assert_allclose(seq.start_times, [0.25, 4.0])
    np.testing.assert_allclose(seq.end_times, [1.75, 6.0])
