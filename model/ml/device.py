"""Which device the Keras backend computes on, and which numeric precision suits it.

Decided in one place so the worker can say "training on GPU (NVIDIA ..., PyTorch)" or
"CPU (2 cores, bfloat16, TensorFlow)", and so the device is configured (GPU memory growth, or
the accelerator hidden when the CPU is wanted) before anything touches it. The best device is
the default: the backend's GPU (CUDA, or MPS on Apple silicon), else the CPU.
``SONOTAG_DEVICE`` (``auto``, ``cpu`` or ``gpu``; Preferences and ``--device`` set it) forces
one; asking for a GPU where the backend sees none is an error rather than a silent CPU run.
Backend-specific code lives in ``model.ml.backends``.
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
DEVICE_ENV = "SONOTAG_DEVICE"
AUTO, CPU, GPU = "auto", "cpu", "gpu"
DEVICE_CHOICES = (AUTO, CPU, GPU)
_ALIASES = {"": AUTO, "best": AUTO, "cuda": GPU, "mps": GPU, "accelerator": GPU}


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "GPU" or "CPU"
    name: str  # the Keras device name, e.g. "gpu:0", "cuda", "mps", "cpu"
    description: str  # for people: "GPU (NVIDIA H100, PyTorch)" / "CPU (2 cores, TensorFlow)"
    precision: str  # the Keras dtype policy used for the backbone
    backend: str = "tensorflow"  # the Keras backend: tensorflow, torch or jax

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "precision": self.precision,
            "backend": self.backend,
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


def wanted_device(value: str | None = None) -> str:
    """``auto``, ``cpu`` or ``gpu`` from ``value`` (else ``SONOTAG_DEVICE``); ``cuda`` and
    ``mps`` mean the GPU. Anything else is an error naming the variable."""
    raw = os.environ.get(DEVICE_ENV, "") if value is None else value
    text = raw.strip().lower().split(":")[0]
    text = _ALIASES.get(text, text)
    if text not in DEVICE_CHOICES:
        from model.errors import SonotagError

        raise SonotagError(None, f"unknown device {raw!r} ({DEVICE_ENV}); use auto, cpu or gpu")
    return text


@cache
def configure() -> DeviceInfo:
    """Chooses and prepares the device (must precede any use of it) and names it with the
    backend and precision.

    The precision can be forced with the environment variable ``SONOTAG_PRECISION``
    (``float32`` or ``mixed_bfloat16``), e.g. to reproduce a result computed elsewhere.
    """
    from model.ml import backends

    wanted = wanted_device()
    backend = backends.current()
    found = None if wanted == CPU else backend.accelerator()
    if wanted == GPU and found is None:
        from model.errors import SonotagError

        raise SonotagError(
            None,
            f"a GPU was asked for ({DEVICE_ENV}=gpu or --device gpu) but "
            f"{backends.label()} sees none; use --device cpu or auto, or install the "
            "GPU build (see the README: 'GPU')",
        )
    backend.configure(found is not None)
    backends.keep_tensorflow_out()
    label = backends.label()
    forced = os.environ.get(PRECISION_ENV, "").strip()
    if found is not None:
        precision = forced if forced in PRECISIONS else FLOAT32
        return DeviceInfo("GPU", found[0], f"GPU ({found[1]}, {label})", precision, backends.name())
    precision = forced if forced in PRECISIONS else default_cpu_precision()
    cores = os.cpu_count() or 1
    suffix = ", bfloat16" if precision == BFLOAT16 else ""
    model = platform.processor() or platform.machine()
    text = (
        f"CPU ({cores} cores{suffix}, {label})"
        if sys.platform != "win32"
        else f"CPU ({model}{suffix}, {label})"
    )
    return DeviceInfo("CPU", "cpu", text, precision, backends.name())


def default_cpu_precision() -> str:
    """bfloat16 where the CPU does it in hardware: ResNet50 ran about 1.5x the float32 rate
    (33 vs 21 clips/s at batch 32-64, 2-core Sapphire Rapids, bench/bench_backbone.py);
    float32 everywhere else, where bfloat16 would be emulated and slower."""
    return BFLOAT16 if cpu_supports_bfloat16() else FLOAT32
