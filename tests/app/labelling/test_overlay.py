"""How labels look over the spectrogram: tags in a thin band, the calls under them left alone,
fill only on hover or selection, no slivers at whole-file zoom."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from app.labelling.tags import MIN_TAG_PX, readable
from model.project.records import Label, LabelClass, LabelState

TIT = LabelClass(1, "Great tit", "#4e79a7", "1", 0)  # the palette's first colour
PETREL = LabelClass(2, "European storm petrel", "#b71c1c", "4", 1)


def _labels(specs, length: float = 2.0) -> list[Label]:
    return [
        Label(i, 1, start, start + length, cid, LabelState(state), "me", datetime.now(UTC))
        for i, (start, cid, state) in enumerate(specs, start=1)
    ]


def _luma(colour: QColor) -> float:
    return 0.299 * colour.red() + 0.587 * colour.green() + 0.114 * colour.blue()


@pytest.fixture
def plot_with_overlay(qtbot):
    """The overlay alone over a plain background: 30 s across 900 px (2 s is 60 px)."""
    import pyqtgraph as pg

    from app.labelling.overlay import LabelOverlay

    def make(background: QColor, x_range: tuple[float, float] = (0.0, 30.0)):
        plot = pg.PlotWidget(background=background)
        for side in ("left", "bottom"):
            plot.hideAxis(side)
        overlay = LabelOverlay()
        plot.addItem(overlay, ignoreBounds=True)
        plot.setXRange(*x_range, padding=0)
        plot.setYRange(0.0, 10_000.0, padding=0)
        qtbot.addWidget(plot)
        plot.resize(900, 240)
        plot.show()
        qtbot.waitExposed(plot)
        box = plot.getPlotItem().getViewBox()

        def to_x(t: float) -> float:
            return plot.mapFromScene(box.mapViewToScene(QPointF(t, 0.0))).x()

        return plot, overlay, to_x

    return make


def _grab(qtbot, plot):
    qtbot.wait(20)
    return plot.grab().toImage()


def test_tags_read_on_any_colour_map_and_leave_the_spectrogram_clear(
    qtbot, plot_with_overlay, output_dir
) -> None:
    from app.spectrogram.colormaps import lookup_table

    labels = _labels([(2.0, 1, "present"), (10.0, 2, "present"), (16.0, 1, "absent")])
    for name in ("viridis", "magma", "grey_r"):
        r, g, b = (int(v) for v in lookup_table(name)[64][:3])  # the quiet background
        background = QColor(r, g, b)
        plot, overlay, to_x = plot_with_overlay(background)
        overlay.set_labels(labels, [TIT, PETREL])
        image = _grab(qtbot, plot)
        image.save(str(output_dir / f"label_tags_{name}.png"))
        row = overlay.tag_row_height()
        y_tag = 2 + row // 2
        # the long name is shortened inside its 2-s tag: right of it, the background again
        right = round(to_x(12.0))
        for x in range(right + 3, right + 40, 4):
            assert abs(_luma(image.pixelColor(x, y_tag)) - _luma(background)) < 12, (name, x)
        # every tag stands out from the map (its fill, its halo or its edge)
        for start in (2.0, 10.0, 16.0):
            x0 = round(to_x(start))
            contrast = max(
                abs(_luma(image.pixelColor(x, y)) - _luma(background))
                for x in range(x0, x0 + 6)
                for y in range(2, row)
            )
            assert contrast > 60, (name, start, contrast)
        # under the tag band the spectrogram is untouched: no wash, no edges
        for y in range(row * 2, image.height(), 10):
            for t in (2.0, 3.0, 4.0, 11.0, 16.0, 17.0):
                pixel = image.pixelColor(round(to_x(t)), y)
                assert abs(_luma(pixel) - _luma(background)) < 3, (name, t, y)
        plot.close()


def test_hovering_a_tag_fills_its_clip_and_says_what_it_holds(qtbot, plot_with_overlay) -> None:
    background = QColor(30, 30, 30)
    plot, overlay, to_x = plot_with_overlay(background)
    overlay.set_labels(_labels([(2.0, 1, "present"), (2.0, 2, "absent")]), [TIT, PETREL])
    image = _grab(qtbot, plot)
    middle = image.height() // 2
    assert abs(_luma(image.pixelColor(round(to_x(3.0)), middle)) - _luma(background)) < 3
    spans = []
    overlay.hovered.connect(spans.append)
    tag = QPointF(to_x(3.0), 2 + overlay.tag_row_height() / 2).toPoint()
    qtbot.mouseMove(plot.viewport(), tag)
    qtbot.waitUntil(lambda: overlay.hover_span() == (2.0, 4.0), timeout=2000)
    assert spans[-1] == (2.0, 4.0)
    assert "Great tit: present" in overlay.toolTip()
    assert "European storm petrel: absent" in overlay.toolTip()
    image = _grab(qtbot, plot)
    assert abs(_luma(image.pixelColor(round(to_x(3.0)), middle)) - _luma(background)) > 8
    qtbot.mouseMove(plot.viewport(), QPointF(to_x(3.0), middle).toPoint())  # off the tag
    qtbot.waitUntil(lambda: overlay.hover_span() is None, timeout=2000)
    assert spans[-1] is None


def test_several_classes_on_a_clip_share_one_tag(qtbot, plot_with_overlay) -> None:
    plot, overlay, to_x = plot_with_overlay(QColor(30, 30, 30))
    classes = [LabelClass(i, f"Species {i}", colour, str(i), i) for i, colour in enumerate(
        ("#e15759", "#59a14f", "#edc948", "#b07aa1", "#ff9da7"), start=1
    )]  # fmt: skip
    overlay.set_labels(_labels([(4.0, cls.id, "present") for cls in classes]), classes)
    _grab(qtbot, plot)
    assert overlay.rows_needed() == 1
    (hit,) = overlay.hits()
    assert (hit.start, hit.end) == (4.0, 6.0)
    assert hit.rect.height() < overlay.tag_row_height()  # one row, not five


def test_whole_file_zoom_merges_clips_instead_of_drawing_slivers(qtbot, plot_with_overlay) -> None:
    # 300 clips of 2 s over 10 minutes on 900 px: 3 px a clip
    specs = [(2.0 * i, 1 + i % 2, "present") for i in range(300) if i % 40 < 30]
    plot, overlay, to_x = plot_with_overlay(QColor(30, 30, 30), (0.0, 600.0))
    overlay.set_labels(_labels(specs), [TIT, PETREL])
    _grab(qtbot, plot)
    hits = overlay.hits()
    assert 1 <= len(hits) <= 10  # a handful of runs, not 225 tags
    assert sum(int(h.text.split()[0]) for h in hits if h.text) == len(specs)
    for hit in hits:
        assert hit.text.endswith("labels") or hit.text.isdigit() or hit.text == ""
    # zoomed in, each clip gets its own tag again, and no tag text is a sliver
    plot.setXRange(0.0, 30.0, padding=0)
    _grab(qtbot, plot)
    tags = overlay.hits()
    assert len(tags) >= 15
    for hit in tags:
        if hit.end <= 30.0:  # a tag cut by the edge of the view may be narrower
            assert hit.rect.width() >= MIN_TAG_PX - 3
        assert hit.text in ("", "?", "\u2717") or readable(hit.text, hit.name), hit


def test_selection_is_outlined_over_the_whole_height(qtbot, plot_with_overlay) -> None:
    from app.labelling.selection import Clip

    background = QColor(30, 30, 30)
    plot, overlay, to_x = plot_with_overlay(background)
    overlay.set_selection(Clip(6.0, 8.0))
    image = _grab(qtbot, plot)
    edge = round(to_x(6.0))
    middle = image.height() // 2
    assert max(_luma(image.pixelColor(x, middle)) for x in range(edge - 2, edge + 3)) > 200
    overlay.set_selection(None)
    image = _grab(qtbot, plot)
    assert max(_luma(image.pixelColor(x, middle)) for x in range(edge - 2, edge + 3)) < 40
    assert Qt.MouseButton.NoButton == overlay.acceptedMouseButtons()  # clicks reach the view
