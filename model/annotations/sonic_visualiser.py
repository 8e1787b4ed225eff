"""Sonic Visualiser annotation layers (XML), read and written. crowsetta has no reader for these.

A layer is saved as ``<sv><data><model .../><dataset><point .../>...``: each ``point`` has a
``frame`` (sample index) and, for spans, a ``duration`` in frames; box layers add ``value`` (low
frequency, Hz) and ``extent`` (band width, Hz). Session files (``.sv``) are the same XML,
bzip2-compressed, and name their audio in a ``wavefile`` model, which is kept as the file.

Frames are counted at the model's ``sampleRate``. Some files (the pykanto examples among them)
say 44100 there whatever the audio's rate while counting frames at the audio's own rate: in the
32 kHz Bengalese finch files the song ends where frame/32000 says, not frame/44100. No rule can
tell the two apart from the XML alone, so the caller passes the recording's rate as
``sample_rate`` when the user says the frames are the recording's own.
"""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

from model.annotations.records import Annotation, broken, file_path, format_number, optional_number
from model.annotations.tables import write_lines
from model.errors import AnnotationFormatError


def read_sonic_visualiser(
    path: str | Path, *, sample_rate: float | None = None
) -> list[Annotation]:
    """Every point of every time-based layer in the file (instants become zero-length spans)."""
    path = Path(path)
    root = _parse(path)
    audio = _audio_file(root)
    layers = [m for m in root.iterfind("data/model") if m.get("type") == "sparse"]
    if not layers:
        raise AnnotationFormatError(path, "the file holds no annotation layer")
    annotations: list[Annotation] = []
    for model in layers:
        rate = sample_rate or optional_number(model.get("sampleRate"))
        if not rate or rate <= 0:
            raise AnnotationFormatError(path, "an annotation layer has no valid sampleRate")
        dataset = root.find(f"data/dataset[@id='{model.get('dataset')}']")
        points = [] if dataset is None else dataset.iterfind("point")
        is_box = model.get("subtype") == "box"
        for point in points:
            annotations.append(_point(point, rate, is_box, audio, len(annotations) + 1))
    return annotations


def _parse(path: Path) -> ElementTree.Element:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AnnotationFormatError(path, "the file does not exist") from None
    except OSError as exc:
        raise AnnotationFormatError(path, f"the file cannot be read ({exc.strerror})") from None
    try:
        if data[:3] == b"BZh":
            data = bz2.decompress(data)
        elif data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        root = ElementTree.fromstring(data)
    except (OSError, ValueError, EOFError, ElementTree.ParseError) as exc:
        raise AnnotationFormatError(
            path, f"this is not a Sonic Visualiser file (unreadable XML: {exc})"
        ) from None
    if root.tag != "sv":
        raise AnnotationFormatError(path, f"this is not a Sonic Visualiser file (<{root.tag}>)")
    return root


def _audio_file(root: ElementTree.Element) -> Path | None:
    """The session's main audio file, when the XML is a whole session rather than one layer."""
    wavefiles = [m for m in root.iterfind("data/model") if m.get("type") == "wavefile"]
    main = [m for m in wavefiles if m.get("mainModel") == "true"] or wavefiles
    return file_path(main[0].get("file", "")) if main else None


def _point(
    point: ElementTree.Element, rate: float, is_box: bool, audio: Path | None, number: int
) -> Annotation:
    frame = optional_number(point.get("frame"))
    label = (point.get("label") or "").strip()
    if frame is None:
        return broken(number, "point without a frame number", file=audio, label=label)
    duration = optional_number(point.get("duration")) or 0.0
    low = high = None
    if is_box:
        value, extent = optional_number(point.get("value")), optional_number(point.get("extent"))
        if value is not None and extent is not None:
            # A box drawn below the axis has a negative low edge: the band starts at 0 Hz.
            low, high = max(0.0, value), max(0.0, value + extent)
    return Annotation(
        file=audio,
        start=frame / rate,
        end=(frame + duration) / rate,
        low_hz=low,
        high_hz=high,
        label=label,
        row=number,
    )


def write_sonic_visualiser(
    path: str | Path, annotations: Sequence[Annotation], *, sample_rate: int
) -> None:
    """Writes one layer Sonic Visualiser can import: boxes if every span has a band, else regions.

    Frames are counted at ``sample_rate``, which should be the recording's own rate.
    """
    boxes = bool(annotations) and all(a.has_band for a in annotations)
    ordered = sorted(annotations, key=lambda a: (a.start, a.end))
    frames = [(round(a.start * sample_rate), round(a.duration * sample_rate)) for a in ordered]
    start = min((f for f, _ in frames), default=0)
    end = max((f + d for f, d in frames), default=0)
    kind = 'subtype="box" units="Hz"' if boxes else 'subtype="region" units=""'
    model = (
        f'    <model id="1" name="" sampleRate="{sample_rate}" start="{start}" end="{end}" '
        f'type="sparse" dimensions="{2 if boxes else 3}" resolution="1" notifyOnAdd="true" '
        f'dataset="0" {kind} />'
    )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<!DOCTYPE sonic-visualiser>", "<sv>"]
    lines += ["  <data>", model, '    <dataset id="0" dimensions="2">']
    for a, (frame, duration) in zip(ordered, frames, strict=True):
        lines.append(_point_xml(a, frame, duration, boxes))
    lines += ["    </dataset>", "  </data>", _layer_xml(boxes), "</sv>"]
    write_lines(Path(path), lines)


def _point_xml(a: Annotation, frame: int, duration: int, boxes: bool) -> str:
    label = quoteattr(a.label)  # XML escapes tabs and line breaks: nothing to change
    if boxes:
        assert a.low_hz is not None and a.high_hz is not None
        extent = format_number(a.high_hz - a.low_hz, 3)
        band = f'value="{format_number(a.low_hz, 3)}" extent="{extent}"'
    else:
        band = 'value="0"'
    return f'      <point frame="{frame}" {band} duration="{duration}" label={label} />'


def _layer_xml(boxes: bool) -> str:
    kind = "boxes" if boxes else "regions"
    return f'  <display>\n    <layer id="2" type="{kind}" name="Sonotag" model="1" />\n  </display>'
