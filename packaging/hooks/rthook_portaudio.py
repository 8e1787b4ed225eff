"""PyInstaller runtime hook: let sounddevice find the PortAudio bundled on Linux.

sounddevice looks PortAudio up with ``ctypes.util.find_library("portaudio")``, which on Linux
asks ldconfig, i.e. only the system's copy; on a machine without libportaudio2 playback would
be missing although the bundle ships the library. PyInstaller only redirects that lookup on
Windows, so this hook does it for Linux: the bundled copy first, the system's as a fallback.
"""

from __future__ import annotations

import ctypes.util
import glob
import os
import sys


def _install() -> None:
    if not sys.platform.startswith("linux"):
        return
    system_find_library = ctypes.util.find_library

    def find_library(name: str) -> str | None:
        if name == "portaudio":
            bundled = sorted(glob.glob(os.path.join(sys._MEIPASS, "libportaudio.so*")))
            if bundled:
                return bundled[0]
        return system_find_library(name)

    ctypes.util.find_library = find_library


_install()
