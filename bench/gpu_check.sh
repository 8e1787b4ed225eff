#!/usr/bin/env bash
# The prepared GPU check (bench/gpu_check.py) on a lent GPU machine, on the PyTorch backend.
# That machine has PyTorch and JAX but no TensorFlow, Keras or pydantic, and no internet: the
# wheels it lacks travel in .whl/ (made beforehand by bench/gpu_wheels.sh; name ".whl" in the
# device call's carry). Installs them into /tmp/site, then runs the check, flushing each line.
# Arguments go to gpu_check.py (e.g. --cpu --quick to try this script on a laptop; then pip
# must find nothing to install, or point WHEELS at an empty folder).
#   device command:  bash bench/gpu_check.sh          (carry [".whl"], timeout_s 480)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-python3}
WHEELS=${WHEELS:-.whl}
export PYTHONUNBUFFERED=1 KERAS_BACKEND=${KERAS_BACKEND:-torch} PYTHONPATH="$PWD"
if compgen -G "$WHEELS/*.whl" >/dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "$WHEELS"/*.whl || { echo "gpu_check.sh: installing $WHEELS failed" >&2; exit 2; }
  export PYTHONPATH="$PWD:/tmp/site"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "gpu_check.sh: $("$PY" --version), KERAS_BACKEND=$KERAS_BACKEND"
out=${OUT:-}
if [ -n "$out" ]; then
  timeout 420 "$PY" bench/gpu_check.py "$@" 2>&1 | tee "$out/gpu_check.log"
else
  timeout 420 "$PY" bench/gpu_check.py "$@"
fi
