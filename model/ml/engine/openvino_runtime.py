"""OpenVINO on the CPU: one Core per process, precision by CPU, compiled networks cached on disk.

Measured on the 2-core Sapphire Rapids development machine (``bench/bench_pipeline.py``):
ResNet50 in bfloat16 through OpenVINO runs about twice TensorFlow's bfloat16 rate, with
features within 0.4 % of Keras' float32 ones (float32 OpenVINO: within 1e-6). bfloat16 is used
where the CPU has it in hardware (AVX512-BF16 or AMX); elsewhere it would be emulated, so
float32. ``SONOTAG_PRECISION=float32`` forces float32, as it does for Keras.

Start-up: building ResNet50 from its weights costs 1-2 s; the built graph is saved once as
OpenVINO IR under the user's cache folder and OpenVINO's own ``CACHE_DIR`` keeps the compiled
blob beside it, so a later start reads both in about half a second. The folder is named by
the network's key (weights checksum or seed), the graph's version and OpenVINO's version, and
written atomically (a half-written one is never read); an unreadable one is rebuilt.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from model.errors import ModelBundleError

BF16, F32 = "bf16", "f32"
MODEL_XML = "model.xml"
_LOCK = threading.Lock()


def available() -> bool:
    """OpenVINO is installed (checked without importing it: the GUI asks while opening)."""
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def cache_root() -> Path:
    from model.cache_dir import user_cache

    return user_cache() / "openvino"


@cache
def unusable_reason() -> str | None:
    """None when OpenVINO imports and offers its CPU plugin here; else the cause in words.
    Asked once per process (importing OpenVINO takes a fraction of a second)."""
    if not available():
        return "openvino is not installed"
    try:
        devices = core().available_devices
    except (ImportError, RuntimeError, OSError) as exc:
        return f"OpenVINO does not start on this computer ({exc})"
    if "CPU" not in devices:
        return f"OpenVINO has no CPU plugin here (devices: {devices or 'none'})"
    return None


@cache
def core() -> Any:
    import openvino as ov

    return ov.Core()


def version() -> str:
    import openvino as ov

    return str(ov.__version__).split("-")[0]


def cpu_precision() -> str:
    """bf16 with hardware support, else f32; ``SONOTAG_PRECISION=float32`` forces f32."""
    from model.ml.device import FLOAT32, PRECISION_ENV, cpu_supports_bfloat16

    if os.environ.get(PRECISION_ENV, "").strip() == FLOAT32:
        return F32
    return BF16 if cpu_supports_bfloat16() else F32


def threads() -> int:
    """Every core, or the share a cluster worker was given (``SONOTAG_CPU_THREADS``, set by
    ``model.cluster.worker``): two workers on one node must not both take every core."""
    wanted = os.environ.get("SONOTAG_CPU_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, os.cpu_count() or 1)


def _ir_folder(key: str) -> Path:
    return cache_root() / f"{key}-ov{version()}"


def _saved_ir(key: str, build: Callable[[], Any]) -> Path | None:
    """The IR file of network ``key``, built and saved on first use; None when the cache
    cannot be written (then the network is compiled from memory every time)."""
    import openvino as ov

    folder = _ir_folder(key)
    xml = folder / MODEL_XML
    if xml.is_file() and xml.with_suffix(".bin").is_file():
        return xml
    model = build()
    part = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        part = tempfile.mkdtemp(dir=folder.parent, prefix=".part-")
        ov.save_model(model, str(Path(part) / MODEL_XML), compress_to_fp16=False)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(part, folder)
    except (OSError, RuntimeError):
        return None
    finally:
        if part is not None:
            shutil.rmtree(part, ignore_errors=True)
    return xml


def compile_network(key: str, build: Callable[[], Any], precision: str) -> Any:
    """The compiled network ``key`` (built by ``build`` on first use), for this CPU.

    THROUGHPUT mode: one single-threaded stream per core, each with its own requests, so
    the cores never wait for each other at a layer boundary, and a thread making clip images
    slows one stream a little rather than stalling both at every layer."""
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "THROUGHPUT",
        "INFERENCE_NUM_THREADS": threads(),
    }
    with _LOCK:
        xml = _saved_ir(key, build)
        if xml is not None:
            try:
                blobs = xml.parent / "compiled"
                return core().compile_model(str(xml), "CPU", {**config, "CACHE_DIR": str(blobs)})
            except RuntimeError:  # a damaged cache: rebuild it once
                shutil.rmtree(xml.parent, ignore_errors=True)
                xml = _saved_ir(key, build)
        try:
            return core().compile_model(str(xml) if xml else build(), "CPU", config)
        except RuntimeError as exc:
            raise ModelBundleError(
                None,
                f"OpenVINO cannot compile {key} on this CPU ({exc}); set SONOTAG_ENGINE=keras "
                "to run the backbone through TensorFlow instead",
            ) from exc
