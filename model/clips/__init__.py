"""Clip images: the model's input, a 2-s colour STFT-Mel spectrogram of 224x224x3 (Morales 2022).

``ClipSettings`` fixes every parameter (saved with each model, compared by fingerprint);
``clip_image`` draws one clip from samples, ``clip_images`` draws many windows of one recording
reading the file once, ``ClipGeometry`` (``window_starts``) says where the windows lie.
"""

from __future__ import annotations

from model.clips.batch import clip_images, window_starts
from model.clips.geometry import ClipGeometry, geometry_of
from model.clips.image import IMAGE_SHAPE, clip_image
from model.clips.settings import CLIP_SETTINGS_VERSION, ClipSettings

__all__ = [
    "CLIP_SETTINGS_VERSION",
    "IMAGE_SHAPE",
    "ClipGeometry",
    "ClipSettings",
    "clip_image",
    "clip_images",
    "geometry_of",
    "window_starts",
]
