#!/usr/bin/env bash
# Sets up Sonotag from a source checkout on Debian/Ubuntu (Python >= 3.11):
#   1. the system libraries Qt and PortAudio need (apt, as root or through sudo),
#   2. a virtual environment in .venv with Sonotag installed in editable mode (+ test tools
#      and the cluster extra, whose tests run with the others).
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Qt's xcb platform plugin and offscreen rendering, PortAudio for playback.
APT_PACKAGES=(
  libportaudio2 libegl1 libgl1 libglib2.0-0 libfontconfig1 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-shape0 libxcb-render-util0 libxcb-image0 libxcb-randr0 libxcb-xinerama0
)

pick_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

PY=$(pick_python) || { echo "install.sh: Python >= 3.11 is required (apt-get install python3)" >&2; exit 1; }
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  APT_PACKAGES+=(python3-venv)
fi

missing=()
if command -v dpkg >/dev/null 2>&1; then
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: installing system packages: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "install.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; fi
  "${SUDO[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
# jax: its CPU wheel (about 90 MB) is the second Keras backend the tests run the ML core on
# (tests/model/ml/test_backends.py); PyTorch's Linux wheel from PyPI would bring about 3 GB of
# CUDA libraries, so it is left to users who want it (pip install -e ".[torch]").
# cluster: Ray, for sonotag predict --cluster; its tests run with the rest (tests/model/cluster).
.venv/bin/python -m pip install -q -e ".[dev,jax,cluster]"
echo "install.sh: ready — run .venv/bin/sonotag"
