"""The fast clip image against the image as drawn before it (``reference_v1``): what models and
cached features were made from must still be what scoring draws, within ``tolerance``'s bounds,
and those bounds must not move a model's scores."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from model.audio import AudioFile
from model.clips import ClipSettings, clip_image, clip_images, window_starts
from model.clips.presets import PRESETS
from tests.model.clips.reference_v1 import clip_image_v1
from tests.model.clips.signals import noise, tone
from tests.model.clips.tolerance import assert_same_picture

SETTINGS = {
    **{name: preset.settings for name, preset in PRESETS.items()},
    "small": ClipSettings(clip_seconds=3.0, image_size=128, n_mels=64, hop_length=512),
}


def _sounds(settings: ClipSettings, count: int, seed: int) -> list[np.ndarray]:
    """Noise at many levels, half with a tone somewhere in the band: pixels on every level."""
    rng = np.random.default_rng(seed)
    seconds, rate = settings.clip_seconds, settings.sample_rate
    sounds = []
    for i in range(count):
        x = noise(seconds, rate, 10 ** rng.uniform(-4, -1.5), seed=seed * 100 + i)
        if i % 2:
            x += tone(rng.uniform(settings.fmin, settings.fmax * 0.9), seconds, rate, 0.05)
        sounds.append(x)
    return sounds


@pytest.mark.parametrize("name", list(SETTINGS))
def test_fast_image_is_the_v1_image(name: str, levels: Callable) -> None:
    settings = SETTINGS[name]
    assert settings.colormap == "viridis"  # what ``levels`` reads
    for x in _sounds(settings, 6, seed=len(name)):
        assert_same_picture(clip_image(x, settings), clip_image_v1(x, settings), levels)


def test_workspace_is_not_shared_between_threads(settings: ClipSettings) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sounds = _sounds(settings, 8, seed=3)
    alone = [clip_image(x, settings) for x in sounds]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda x: clip_image(x, settings), sounds * 4))
    for i, image in enumerate(together):
        assert np.array_equal(image, alone[i % len(sounds)])


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """30 s at 48 kHz: noise, with a 0.6-s tone in every third second (window labels)."""
    import soundfile as sf

    rate = 48000
    x = noise(30.0, rate, 0.003, seed=11)
    has_tone = np.zeros(30, bool)
    for second in range(0, 30, 3):
        x[second * rate + 9000 : second * rate + 9000 + round(0.6 * rate)] += tone(
            1500 + 150 * second, 0.6, rate, 0.03
        )
        has_tone[second] = True
    path = tmp_path_factory.mktemp("fast") / "tones48k.wav"
    sf.write(str(path), x, rate, subtype="PCM_16")
    starts = window_starts(30.0, 2.0, 1.0)
    labels = np.array([has_tone[int(s)] or has_tone[int(s) + 1] for s in starts], np.float32)
    return path, labels


def test_scores_of_a_model_do_not_move(
    recording: tuple[Path, np.ndarray], settings: ClipSettings, levels: Callable
) -> None:
    """The app's default head (standardised logistic regression, C = 1) trained on the v1
    images' features (each clip read and resampled on its own, drawn as before) scores the fast
    path's images of the same windows: through float32 OpenVINO within 1e-4 (measured 4e-6).
    bfloat16 rounds every activation to 8 bits, so there a single pixel one step off moves a
    score by ~1e-4 (measured 1.5-2.5e-4): held below 1e-3 and below what choosing bfloat16
    over float32 already does to the same images (1.3-2.4e-3)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from model.ml.backbone import BackboneSpec
    from model.ml.engine.openvino_engine import OpenVinoResNet50

    path, labels = recording
    starts = window_starts(30.0, 2.0, 1.0)
    fast = clip_images(path, starts, settings)
    with AudioFile(path) as af:
        v1 = np.stack(
            [
                clip_image_v1(af.read(t, 2.0, sample_rate=settings.sample_rate, pad=True), settings)
                for t in starts
            ]
        )
    assert_same_picture(fast, v1, levels)
    features = {}
    for precision in ("float32", "mixed_bfloat16"):
        engine = OpenVinoResNet50(BackboneSpec.untrained(), precision=precision, batch_size=8)
        features[precision] = engine.embed(v1), engine.embed(fast)
    changes = {}
    for precision, (trained, scored) in features.items():
        scaler = StandardScaler().fit(trained)
        head = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(trained), labels)

        def scores(x: np.ndarray, head=head, scaler=scaler) -> np.ndarray:
            return head.predict_proba(scaler.transform(x))[:, 1]

        before = scores(trained)
        assert before[labels == 1].min() > 0.5 > before[labels == 0].max()  # a working model
        changes[precision] = np.abs(scores(scored) - before).max()
    engines_apart = np.abs(scores(features["float32"][0]) - before).max()  # bfloat16's head
    assert changes["float32"] < 1e-4, changes
    assert changes["mixed_bfloat16"] < min(1e-3, engines_apart), (changes, engines_apart)
