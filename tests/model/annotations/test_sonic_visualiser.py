from __future__ import annotations

import bz2

import numpy as np
import pytest
import soundfile as sf

from model.annotations.records import Annotation
from model.annotations.sonic_visualiser import read_sonic_visualiser, write_sonic_visualiser
from model.errors import AnnotationFormatError
from tests.model.annotations.conftest import PYKANTO_LAYERS, audio_of


@pytest.mark.parametrize("layer", PYKANTO_LAYERS)
def test_reads_every_real_pykanto_layer(pykanto, layer):
    path = pykanto / f"{layer}.xml"
    rows = read_sonic_visualiser(path)
    assert rows and all(not r.problem and r.label == "" and r.file is None for r in rows)
    assert all(0 <= r.start < r.end and 0 <= r.low_hz < r.high_hz for r in rows)
    assert [r.row for r in rows] == list(range(1, len(rows) + 1))


def test_storm_petrel_boxes_match_the_xml(pykanto):
    rows = read_sonic_visualiser(pykanto / "STORM-PETREL/XC46092.xml")
    assert len(rows) == 6
    first = rows[0]
    assert first.start == pytest.approx(53600 / 44100)
    assert first.end == pytest.approx((53600 + 75360) / 44100)
    assert (first.low_hz, first.high_hz) == pytest.approx((231.4, 231.4 + 7604.73))
    # XC663885's first box was drawn below 0 Hz (value -379.953): its band starts at 0 Hz.
    low = read_sonic_visualiser(pykanto / "STORM-PETREL/XC663885.xml")[0]
    assert low.low_hz == 0.0 and low.high_hz == pytest.approx(-379.953 + 9814.04)


def _loud_until(wav, threshold_db=-33.0):
    """End (s) of the last half second whose RMS is above the threshold."""
    x, sr = sf.read(wav)
    half = sr // 2
    levels = [
        20 * np.log10(np.sqrt(np.mean(x[i : i + half] ** 2)) + 1e-12)
        for i in range(0, len(x) - half + 1, half)
    ]
    loud = [i for i, level in enumerate(levels) if level > threshold_db]
    return (loud[-1] + 1) * 0.5


@pytest.mark.parametrize("layer", ["BENGALESE_FINCH/bird_3/348", "BENGALESE_FINCH/bird_3/363"])
def test_pykanto_frames_count_at_the_recordings_own_rate(pykanto, layer):
    """The XML says 44100 Hz but the WAV is 32 kHz: the song ends where frame/32000 says."""
    wav = audio_of(pykanto / f"{layer}.xml")
    rate, duration = sf.info(wav).samplerate, sf.info(wav).duration
    (as_stated,) = read_sonic_visualiser(pykanto / f"{layer}.xml")
    (own_rate,) = read_sonic_visualiser(pykanto / f"{layer}.xml", sample_rate=rate)
    song_end = _loud_until(wav)
    assert rate == 32000 and own_rate.end <= duration
    assert abs(own_rate.end - song_end) < 1.0
    assert song_end - as_stated.end > 3.0  # read at 44100 the box would stop seconds early


def test_session_file_names_its_audio_and_instants_are_points(tmp_path):
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE sonic-visualiser>
<sv><data>
 <model id="3" name="" sampleRate="48000" start="0" end="480000" type="wavefile"
  file="/field/site1/20210502_040000.WAV" mainModel="true"/>
 <model id="5" name="" sampleRate="48000" start="0" end="0" type="sparse" dimensions="1"
  resolution="1" notifyOnAdd="true" dataset="4"/>
 <dataset id="4" dimensions="1">
  <point frame="96000" label="song start"/>
  <point label="no frame"/>
 </dataset>
</data></sv>"""
    path = tmp_path / "session.sv"
    path.write_bytes(bz2.compress(xml.encode()))
    point, bad = read_sonic_visualiser(path)
    assert point.file.name == "20210502_040000.WAV"
    assert (point.start, point.end, point.label, point.low_hz) == (2.0, 2.0, "song start", None)
    assert "without a frame" in bad.problem and bad.label == "no frame"


def test_not_sonic_visualiser_files_are_refused(tmp_path):
    (tmp_path / "a.xml").write_text("<svg></svg>")
    (tmp_path / "b.xml").write_text("<sv><data><model")
    (tmp_path / "c.xml").write_text("<sv><data></data></sv>")
    for name, message in (("a", "<svg>"), ("b", "unreadable XML"), ("c", "no annotation layer")):
        with pytest.raises(AnnotationFormatError, match=message):
            read_sonic_visualiser(tmp_path / f"{name}.xml")


def test_written_layers_read_back(tmp_path):
    boxes = [
        Annotation(None, 1.5, 2.25, 300.0, 8000.0, "a & <b>"),
        Annotation(None, 0.5, 1.0, 100.0, 900.0, "c"),
    ]
    write_sonic_visualiser(tmp_path / "boxes.xml", boxes, sample_rate=32000)
    back = read_sonic_visualiser(tmp_path / "boxes.xml")
    assert [(r.start, r.end, r.low_hz, r.high_hz, r.label) for r in back] == [
        (0.5, 1.0, 100.0, 900.0, "c"),
        (1.5, 2.25, 300.0, 8000.0, "a & <b>"),
    ]
    spans = [Annotation(None, 1.0, 3.0, label="x")]
    write_sonic_visualiser(tmp_path / "regions.xml", spans, sample_rate=22050)
    (region,) = read_sonic_visualiser(tmp_path / "regions.xml")
    assert (region.start, region.end, region.low_hz, region.label) == (1.0, 3.0, None, "x")
