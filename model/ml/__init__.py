"""Machine learning for Sonotag: a frozen ResNet50 backbone, a small head, bundles, prediction.

The split mirrors the cost: the backbone (seconds per clip on a laptop CPU) runs once per clip
and its 2048-d features are cached in the project; the head (milliseconds) is what retraining
changes. Nothing here imports TensorFlow at module import time, so the GUI starts fast.
"""

import os

# TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) means nothing to a biologist and
# buries real messages on the terminal; warnings and errors still show. Set before any import
# of TensorFlow, which always goes through this package.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from model.errors import SonotagError  # noqa: E402
from model.ml import backends  # noqa: E402

# Fixes KERAS_BACKEND before anything imports Keras, so spawned workers inherit the choice;
# a bad SONOTAG_BACKEND is reported by ``device.configure`` where the user sees it.
try:
    backends.select()
except SonotagError:
    pass
