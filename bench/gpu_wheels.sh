#!/usr/bin/env bash
# Downloads into .whl/ (git-excluded) the wheels a lent GPU machine lacks for bench/gpu_check.py:
# it has Python 3.12 with PyTorch, JAX, NumPy, SciPy, scikit-learn, h5py, psutil, threadpoolctl,
# matplotlib, rich, absl-py, ml-dtypes and packaging (the device README's KINDS.md lists them),
# but no Keras, pydantic or soundfile, and nothing can be downloaded there.
# One version of each (two stop the install there); the versions are the ones Sonotag's tests
# run with. model/ no longer imports librosa (clip images use model.clips.filters), so neither
# librosa nor its dependencies travel. Run from the repository root:
#   bash bench/gpu_wheels.sh            # then: the device command in bench/gpu_check.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-python3}
WHEELS=(
  keras==3.15.1 namex==0.1.0 optree==0.20.0            # Keras 3 and what it needs beyond the image
  pydantic==2.14.4 pydantic-core==2.50.5               # model/ml/manifest.py (bundle manifests)
  annotated-types==0.8.0 typing-inspection==0.4.5      # pydantic's
  soundfile==0.14.0 cffi==2.1.1 pycparser==3.12        # reading and writing WAV (libsndfile inside)
  soxr==1.1.0                                          # resampling (model/audio)
  platformdirs==4.14.8                                 # cache folders (model/cache_dir.py)
)
exclude=$(git rev-parse --git-path info/exclude)
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >> "$exclude"
rm -rf .whl && mkdir -p .whl
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do platforms+=(--platform "$p"); done
for wheel in "${WHEELS[@]}"; do
  "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" -d .whl "$wheel"
done
ls -la .whl
du -sh .whl
