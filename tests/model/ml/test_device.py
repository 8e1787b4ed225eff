"""Device and precision choice."""

from __future__ import annotations

import os
from pathlib import Path

from model.ml import device


def test_bfloat16_needs_hardware_support(tmp_path: Path) -> None:
    assert device.cpu_supports_bfloat16(frozenset({"avx2", "avx512_bf16"}))
    assert device.cpu_supports_bfloat16(frozenset({"amx_bf16", "amx_tile"}))
    assert not device.cpu_supports_bfloat16(frozenset({"avx2", "avx512f"}))
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse avx512_bf16 amx_tile\n")
    assert device.cpu_flags(info) == frozenset({"fpu", "sse", "avx512_bf16", "amx_tile"})
    assert device.cpu_flags(tmp_path / "missing") == frozenset()


def test_configure_names_the_device_and_a_known_precision() -> None:
    info = device.configure()
    assert info.kind in ("CPU", "GPU")
    assert info.description.startswith(info.kind)
    assert info.precision in device.PRECISIONS
    if info.kind == "CPU" and not os.environ.get(device.PRECISION_ENV):
        assert info.precision == device.default_cpu_precision()
