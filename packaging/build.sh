#!/usr/bin/env bash
# Builds the self-contained Sonotag bundle with PyInstaller (Linux; macOS untested, see README).
#   packaging/build.sh             -> packaging/dist/sonotag/sonotag   (trimmed, stripped)
#   packaging/build.sh --no-trim   -> packaging/build/untrimmed/dist/sonotag/sonotag
#                                     (everything the hooks collect; only to measure the trims)
# Needs the dev environment (.venv, made by packaging/install.sh); installs PyInstaller into it
# when missing. Takes 10-20 minutes on a 2-core machine (TensorFlow is most of it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=${PYTHON:-.venv/bin/python}
if [ ! -x "$PY" ]; then
  echo "build.sh: no $PY; run packaging/install.sh first" >&2
  exit 1
fi
if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
  echo "build.sh: installing PyInstaller into the venv"
  "$PY" -m pip install -q "pyinstaller>=6.10"
fi

trim=1
if [ "${1:-}" = "--no-trim" ]; then
  trim=0
elif [ -n "${1:-}" ]; then
  echo "usage: packaging/build.sh [--no-trim]" >&2
  exit 2
fi

if [ "$trim" = 1 ]; then
  dist=packaging/dist
  work=packaging/build/work
else
  dist=packaging/build/untrimmed/dist
  work=packaging/build/untrimmed/work
fi

start=$(date +%s)
SONOTAG_TRIM=$trim "$PY" -m PyInstaller packaging/sonotag.spec \
  --noconfirm --log-level WARN --distpath "$dist" --workpath "$work"
elapsed=$(( $(date +%s) - start ))

if [ "$(uname)" = Darwin ]; then
  bundle="$dist/Sonotag.app"
  exe="$bundle/Contents/MacOS/sonotag"
else
  bundle="$dist/sonotag"
  exe="$bundle/sonotag"
fi
"$exe" --version
echo "build.sh: built $bundle in ${elapsed}s, $(du -sh "$bundle" | cut -f1)"
echo "build.sh: next, packaging/smoke_test.sh $exe"
