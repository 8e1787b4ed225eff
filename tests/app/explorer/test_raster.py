"""The map drawn as a picture while many points are in view, as a scatter item when few are;
picking and lasso work on the data either way."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor

from app.explorer import map_view
from app.explorer.map_view import MapView
from app.explorer.raster import RING_RGBA, Grid, disc, lut_of, rasterise

RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


def test_higher_palette_index_wins_a_shared_pixel() -> None:
    grid = Grid(0.0, 0.0, 1.0, 1.0, 20, 10)
    coords = np.array([[5.5, 2.5], [5.6, 2.4], [15.5, 7.5]], np.float32)
    lut = lut_of(np.array([RED, BLUE]))
    image, drawn = rasterise(grid, coords, np.array([1, 0, 0]), lut, radius=1)
    assert image.shape == (10, 20, 4) and drawn == 3
    assert tuple(image[2, 5]) == BLUE  # row 0 is the bottom: y 2.5 is row 2
    assert tuple(image[2, 6]) == BLUE and tuple(image[3, 5]) == BLUE  # a disc, not a dot
    assert tuple(image[7, 15]) == RED
    assert tuple(image[0, 0]) == (0, 0, 0, 0)  # empty pixels are see-through
    # Swapping the priorities swaps the colour: drawing order is the palette's, not the rows'.
    image, _ = rasterise(grid, coords, np.array([0, 1, 1]), lut, radius=1)
    assert tuple(image[2, 5]) == BLUE


def test_points_outside_are_neither_drawn_nor_counted_but_their_disc_edges_are() -> None:
    grid = Grid(0.0, 0.0, 1.0, 1.0, 10, 10)
    coords = np.array([[-1.5, 5.5], [50.0, 5.0], [4.5, 4.5]], np.float32)
    image, drawn = rasterise(grid, coords, np.zeros(3, int), lut_of(np.array([RED])), radius=2)
    assert drawn == 1
    assert tuple(image[5, 0]) == RED  # the disc of the point just left of the view shows


def test_selected_points_are_ringed_above_the_others() -> None:
    grid = Grid(0.0, 0.0, 1.0, 1.0, 30, 30)
    coords = np.array([[10.5, 10.5], [13.5, 10.5]], np.float32)
    lut = lut_of(np.array([RED, BLUE]))
    image, _ = rasterise(grid, coords, np.array([0, 1]), lut, 1, np.array([True, False]))
    assert tuple(image[10, 10]) == RED  # the selected point's own colour in its middle
    assert tuple(image[10, 8]) == RING_RGBA  # its ring just outside
    assert tuple(image[10, 12]) == RING_RGBA  # over the higher, unselected neighbour's edge
    assert tuple(image[10, 14]) == BLUE
    assert len(disc(0)) == 1 and len(disc(1)) == 9 and len(disc(2)) == 21


@pytest.fixture
def view(qtbot, monkeypatch: pytest.MonkeyPatch) -> MapView:
    monkeypatch.setattr(map_view, "SCATTER_LIMIT", 300)
    widget = MapView()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    kind = np.repeat([0, 1], 1000)
    coords = np.array([[0.0, 0.0], [20.0, 0.0]])[kind] + rng.normal(0, 1, (2000, 2))
    return coords.astype(np.float32), kind


def test_many_points_make_a_picture_few_a_scatter(view: MapView) -> None:
    coords, kind = blobs()
    view.set_points(coords, kind, [QColor("red"), QColor("blue")])
    assert view.mode == "picture" and view.point_count() == 2000
    assert not any(len(layer.data) for layer in view.layers) and view.picture.image is not None
    view.box.setRange(xRange=(19.5, 20.5), yRange=(-0.5, 0.5), padding=0)
    in_view = int((np.abs(coords - [20, 0]) <= 0.5).all(axis=1).sum())
    assert view.mode == "scatter" and 0 < in_view <= view.point_count() <= 300
    assert view.picture.image is None
    assert sum(len(layer.data) for layer in view.layers) == view.point_count()
    assert [len(layer.data) for layer in view.layers] == [0, view.point_count()]  # by colour
    view.box.autoRange()
    assert view.mode == "picture" and view.point_count() == 2000


def test_recolouring_keeps_the_view_and_hidden_points_are_left_out(view: MapView) -> None:
    coords, kind = blobs()
    view.set_points(coords, kind, [QColor("red"), QColor("blue")])
    view.box.setRange(xRange=(-5, 25), yRange=(-5, 5), padding=0)
    before = view.box.viewRange()
    view.set_points(coords, 1 - kind, [QColor("red"), QColor("blue")], shown=kind == 0)
    assert view.box.viewRange() == before
    assert view.point_count() == 1000


def test_picking_and_lasso_use_the_data_while_drawn_as_a_picture(qtbot, view: MapView) -> None:
    coords, kind = blobs()
    view.set_points(coords, kind, [QColor("red"), QColor("blue")])
    assert view.mode == "picture"
    row = 1500
    assert view.nearest(float(coords[row, 0]), float(coords[row, 1])) == row
    with qtbot.waitSignal(view.area_selected) as caught:
        view.box.dragged.emit(np.array([[10, -9], [30, -9], [30, 9], [10, 9]], float), False)
    mask, add = caught.args
    assert not add and np.array_equal(mask, kind == 1)
    view.set_selected(mask)
    assert view.mode == "picture" and view.point_count() == 2000
