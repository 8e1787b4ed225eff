"""The clip image's fixed matrices in NumPy, value for value the library functions they replace
(whose imports cost seconds), and the colour tables kept on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model.clips import filters, lut_cache
from tests.conftest import REPO


@pytest.mark.parametrize("n", [256, 1000, 1024, 2048])
def test_hann_is_scipys_periodic_window(n: int) -> None:
    from scipy.signal import get_window

    expected = get_window("hann", n, fftbins=True)
    np.testing.assert_allclose(filters.hann(n), expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(filters.hann(n).astype(np.float32), expected.astype(np.float32))


@pytest.mark.parametrize(
    "sr, n_fft, n_mels, fmin, fmax",
    [(22050, 1024, 128, 150.0, 11025.0), (48000, 2048, 64, 0.0, 8000.0), (16000, 512, 40, 50, 7e3)],
)
def test_mel_filterbank_is_librosas(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float):
    import librosa

    expected = librosa.filters.mel(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=False, norm=None,
        dtype=np.float32,
    )  # fmt: skip
    np.testing.assert_array_equal(filters.mel_filterbank(sr, n_fft, n_mels, fmin, fmax), expected)


@pytest.mark.parametrize("n_in, n_out", [(128, 224), (224, 224), (300, 224), (224, 128), (5, 7)])
def test_linear_resize_is_ndimage_zoom(n_in: int, n_out: int) -> None:
    from scipy import ndimage

    expected = ndimage.zoom(
        np.eye(n_in), (n_out / n_in, 1.0), order=1, mode="nearest", grid_mode=True,
        prefilter=False,
    )  # fmt: skip
    np.testing.assert_allclose(filters.linear_resize(n_in, n_out), expected, rtol=0, atol=1e-15)


def test_colour_table_is_matplotlibs_and_read_back_from_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SONOTAG_CACHE_DIR", str(tmp_path))
    first = lut_cache.cached_lut("magma")
    assert first.shape == (256, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, lut_cache.from_matplotlib("magma"))

    def no_matplotlib(name: str) -> np.ndarray:
        raise AssertionError("matplotlib was asked again")

    monkeypatch.setattr(lut_cache, "from_matplotlib", no_matplotlib)
    np.testing.assert_array_equal(lut_cache.cached_lut("magma"), first)
    (saved,) = (tmp_path / "colour-tables").glob("magma-*.npy")
    saved.write_bytes(b"not a table")  # damaged: made again, not used
    monkeypatch.undo()
    monkeypatch.setenv("SONOTAG_CACHE_DIR", str(tmp_path))
    np.testing.assert_array_equal(lut_cache.cached_lut("magma"), first)
    with pytest.raises(ValueError, match="unknown colour map 'no-such-map'"):
        lut_cache.cached_lut("no-such-map")


def test_drawing_a_clip_imports_neither_librosa_nor_scipy_signal(tmp_path: Path) -> None:
    code = (
        "import sys, numpy as np\n"
        "from model.clips import ClipSettings, clip_image\n"
        "clip_image(np.zeros(44100, np.float32), ClipSettings())\n"
        "heavy = ('librosa', 'scipy.signal', 'scipy.ndimage', 'matplotlib', 'scipy.sparse')\n"
        "print('HEAVY', sorted(m for m in heavy if m in sys.modules))\n"
    )
    env = {"PYTHONPATH": str(REPO), "SONOTAG_CACHE_DIR": str(tmp_path), "PATH": ""}
    run = [sys.executable, "-c", code]
    subprocess.run(run, capture_output=True, text=True, env=env, cwd=REPO)  # fills the cache
    done = subprocess.run(run, capture_output=True, text=True, env=env, cwd=REPO)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
