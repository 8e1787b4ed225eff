"""Icon lookup finds the rendered files, in the source tree and under a bundle's _MEIPASS."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

from model import resources
from model.resources import ICON_SIZES, all_icon_paths, icon_path, resources_dir

REPO = Path(__file__).resolve().parents[2]


def test_source_checkout_resources_dir_is_the_repo_folder() -> None:
    assert resources_dir() == REPO / "resources"
    assert (resources_dir() / "demo" / "demo.sonotag").is_file()


def test_every_rendered_png_exists_at_its_nominal_size() -> None:
    for size, path in zip(ICON_SIZES, all_icon_paths(), strict=True):
        with Image.open(path) as image:
            assert image.size == (size, size), path
            assert image.mode == "RGBA"
            # Transparent corners (rounded square), opaque middle: a real icon, not a blank.
            assert image.getpixel((0, 0))[3] == 0
            assert image.getpixel((size // 2, size // 2))[3] == 255


@pytest.mark.parametrize(
    ("asked", "expected"), [(16, 16), (17, 32), (100, 128), (512, 512), (4000, 512), (1, 16)]
)
def test_icon_path_picks_the_smallest_png_at_least_as_large(asked: int, expected: int) -> None:
    assert icon_path(asked).name == f"sonotag-{expected}.png"


def test_icon_path_without_size_is_the_svg() -> None:
    path = icon_path()
    assert path.suffix == ".svg" and path.is_file()
    assert "<svg" in path.read_text(encoding="utf-8")


def test_icon_path_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError, match="positive"):
        icon_path(0)


def test_windows_and_macos_icon_files_hold_several_sizes() -> None:
    with Image.open(resources.icons_dir() / "sonotag.ico") as ico:
        assert {(16, 16), (32, 32), (48, 48), (256, 256)} <= set(ico.info["sizes"])
    with Image.open(resources.icons_dir() / "sonotag.icns") as icns:
        assert icns.format == "ICNS"
        assert (512, 512, 2) in icns.info["sizes"]


def test_inside_a_bundle_resources_come_from_meipass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources_dir() == tmp_path / "resources"
    assert icon_path(48) == tmp_path / "resources" / "icons" / "sonotag-48.png"
