"""Which device TensorFlow computes on, and which numeric precision suits it.

Decided in one place so the worker can say "training on GPU: NVIDIA ..." or "CPU, bfloat16"
and so a GPU is configured (memory growth) before anything touches it: TensorFlow otherwise
grabs all GPU memory at first use, which starves other programs on a shared workstation.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FLOAT32 = "float32"
BFLOAT16 = "mixed_bfloat16"
PRECISIONS = (FLOAT32, BFLOAT16)
PRECISION_ENV = "SONOTAG_PRECISION"


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "GPU" or "CPU"
    name: str  # TensorFlow's device name, e.g. "/physical_device:GPU:0"
    description: str  # for people: "GPU (NVIDIA H100)" / "CPU (2 cores, bfloat16)"
    precision: str  # the Keras dtype policy used for the backbone

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "precision": self.precision,
        }


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags on Linux; empty elsewhere (we then simply stay in float32)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def cpu_supports_bfloat16(flags: frozenset[str] | None = None) -> bool:
    """bfloat16 only pays off with hardware support (AVX512-BF16 or AMX); emulated it is slower."""
    flags = cpu_flags() if flags is None else flags
    return bool({"avx512_bf16", "amx_bf16"} & flags)


@cache
def configure() -> DeviceInfo:
    """Sets GPU memory growth (must precede any GPU use) and names the device and precision.

    The precision can be forced with the environment variable ``SONOTAG_PRECISION``
    (``float32`` or ``mixed_bfloat16``), e.g. to reproduce a result computed elsewhere.
    """
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):  # already initialised by someone else: keep going
            pass
    forced = os.environ.get(PRECISION_ENV, "").strip()
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        label = details.get("device_name", "GPU")
        precision = forced if forced in PRECISIONS else FLOAT32
        return DeviceInfo("GPU", gpus[0].name, f"GPU ({label})", precision)
    precision = forced if forced in PRECISIONS else default_cpu_precision()
    cores = os.cpu_count() or 1
    suffix = ", bfloat16" if precision == BFLOAT16 else ""
    model = platform.processor() or platform.machine()
    text = f"CPU ({cores} cores{suffix})" if sys.platform != "win32" else f"CPU ({model})"
    return DeviceInfo("CPU", "/physical_device:CPU:0", text, precision)


def default_cpu_precision() -> str:
    """bfloat16 where the CPU does it in hardware: ResNet50 ran about 1.5x the float32 rate
    (33 vs 21 clips/s at batch 32-64, 2-core Sapphire Rapids, bench/bench_backbone.py);
    float32 everywhere else, where bfloat16 would be emulated and slower."""
    return BFLOAT16 if cpu_supports_bfloat16() else FLOAT32
