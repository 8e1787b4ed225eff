#!/usr/bin/env bash
# Smoke test of a BUILT bundle (not of the source tree): does what a user does first.
#   packaging/smoke_test.sh [EXE] [RECORDING]
#     EXE        default packaging/dist/sonotag/sonotag (packaging/build.sh makes it)
#     RECORDING  default tests/data/pykanto-raw/AM/20210502_040000.WAV (the repository's own)
# Steps: --version; info on a real recording; the GUI started headless (Qt offscreen) on a
# fresh user profile, so it copies and opens the demo project, then quits by itself; the GUI on
# an X server (Xvfb) to check the bundled xcb plugin, with a screenshot and a Ctrl+Q quit; a
# one-epoch training run to check TensorFlow/Keras inside the bundle, then that model scoring
# the recording through OpenVINO (SONOTAG_SMOKE_ML=0 skips both).
# Prints one PASS/FAIL line per step and the start-up times; exit status 1 if any step failed.
# Screenshots and logs go to packaging/build/smoke/ (or $SONOTAG_SMOKE_OUT).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

EXE=$(realpath -m "${1:-packaging/dist/sonotag/sonotag}")
RECORDING=$(realpath -m "${2:-tests/data/pykanto-raw/AM/20210502_040000.WAV}")
OUT=$(realpath -m "${SONOTAG_SMOKE_OUT:-packaging/build/smoke}")
QUIT_AFTER_MS=${SONOTAG_SMOKE_QUIT_AFTER_MS:-500}
GUI_TIMEOUT=${SONOTAG_SMOKE_GUI_TIMEOUT:-240}
rm -rf "$OUT" && mkdir -p "$OUT"
failures=0

pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# A fresh, throw-away user profile: no last project, no settings, no Keras cache of ours.
# Sets $profile (not run in a subshell, so the exports reach the commands that follow).
fresh_profile() {
  profile=$(mktemp -d "$OUT/profile.XXXX")
  export XDG_CONFIG_HOME=$profile/config XDG_DATA_HOME=$profile/data XDG_CACHE_HOME=$profile/cache
  export KERAS_HOME=$profile/keras
}

# Id of the first visible window whose title matches $2 on display $1, polled every 50 ms
# (xdotool search --sync only looks every 0.5 s, too coarse to time a start-up).
wait_for_window() {
  local deadline id
  deadline=$(($(date +%s) + GUI_TIMEOUT))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    id=$(DISPLAY=$1 xdotool search --onlyvisible --name "$2" 2>/dev/null | head -1)
    if [ -n "$id" ]; then echo "$id"; return 0; fi
    kill -0 "$app_pid" 2>/dev/null || return 1  # the app died: no need to wait any longer
    sleep 0.05
  done
  return 1
}

if [ ! -x "$EXE" ]; then
  echo "smoke_test.sh: no bundle at $EXE; build it with packaging/build.sh" >&2
  exit 1
fi
echo "bundle: $(dirname "$EXE") ($(du -sh "$(dirname "$EXE")" | cut -f1))"

# 1. --version
version=$("$EXE" --version 2>"$OUT/version.err")
if [ $? -eq 0 ] && [[ "$version" == sonotag\ * ]]; then pass "--version: $version"
else fail "--version: '$version' $(tail -3 "$OUT/version.err")"; fi

# 2. info on a real recording (soundfile's bundled libsndfile, the audio/metadata code)
start=$(now)
if "$EXE" info "$RECORDING" >"$OUT/info.out" 2>"$OUT/info.err" && [ -s "$OUT/info.out" ]; then
  pass "info $(basename "$RECORDING") ($(since "$start") s):"
  sed 's/^/      /' "$OUT/info.out"
else
  fail "info $RECORDING: $(tail -3 "$OUT/info.err")"
fi

# 3. GUI, headless: first start on a fresh profile opens the demo project, then quits itself.
# Needs app/launch.py to honour SONOTAG_SMOKE_QUIT_AFTER_MS (quit that long after the window
# is shown); without it the app waits for a user and the timeout below ends it (FAIL).
fresh_profile
start=$(now)
QT_QPA_PLATFORM=offscreen SONOTAG_SMOKE_QUIT_AFTER_MS=$QUIT_AFTER_MS \
  timeout "$GUI_TIMEOUT" "$EXE" >"$OUT/gui-offscreen.log" 2>&1
rc=$?
wall=$(since "$start")
demo="$XDG_DATA_HOME/Sonotag/demo/demo.sonotag"
if [ $rc -eq 0 ] && [ -f "$demo" ]; then
  pass "GUI offscreen on the demo project: exit 0 after ${wall} s (includes ${QUIT_AFTER_MS} ms quit delay)"
elif [ $rc -eq 124 ]; then
  fail "GUI offscreen: still running after ${GUI_TIMEOUT} s (does app/launch.py honour SONOTAG_SMOKE_QUIT_AFTER_MS?)"
else
  fail "GUI offscreen: exit $rc, demo copied: $([ -f "$demo" ] && echo yes || echo no); $(tail -3 "$OUT/gui-offscreen.log")"
fi

# 4. GUI on an X server: the xcb plugin and its libraries; time to the first mapped window.
if command -v Xvfb >/dev/null && command -v xdotool >/dev/null; then
  # -displayfd: Xvfb picks a free display number and writes it, so the test never lands on
  # another session's X server.
  Xvfb -displayfd 3 -screen 0 1440x900x24 -nolisten tcp 3>"$OUT/xvfb.display" >"$OUT/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 100); do [ -s "$OUT/xvfb.display" ] && break; sleep 0.1; done
  display=:$(head -1 "$OUT/xvfb.display")
  fresh_profile
  start=$(now)
  DISPLAY=$display QT_QPA_PLATFORM=xcb "$EXE" >"$OUT/gui-xcb.log" 2>&1 &
  app_pid=$!
  window=$(wait_for_window "$display" 'Sonotag')
  first_window=$(since "$start")
  if [ -n "$window" ]; then
    # The window maps before the project opens; its title names the project once it has.
    wait_for_window "$display" '^demo' >/dev/null
    demo_open=$(since "$start")
    sleep 3  # let the demo project's spectrogram render before the screenshot
    DISPLAY=$display import -window root "$OUT/gui-xcb.png" 2>/dev/null
    title=$(DISPLAY=$display xdotool getwindowname "$window")
    DISPLAY=$display xdotool windowfocus --sync "$window" key ctrl+q
    for _ in $(seq 60); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$app_pid" 2>/dev/null; then
      kill "$app_pid"; wait "$app_pid" 2>/dev/null
      fail "GUI on X (xcb): window '$title' after ${first_window} s, but Ctrl+Q did not quit"
    else
      wait "$app_pid"; rc=$?
      if [ $rc -eq 0 ]; then
        pass "GUI on X (xcb): first window after ${first_window} s, '$title' after ${demo_open} s; Ctrl+Q, exit 0"
        echo "      screenshot: $OUT/gui-xcb.png"
      else
        fail "GUI on X (xcb): exit $rc after Ctrl+Q; $(tail -3 "$OUT/gui-xcb.log")"
      fi
    fi
  else
    kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null
    fail "GUI on X (xcb): no window within ${GUI_TIMEOUT} s; $(tail -3 "$OUT/gui-xcb.log")"
  fi
  kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null
else
  echo "SKIP  GUI on X (xcb): needs Xvfb and xdotool (apt-get install xvfb xdotool)"
fi

# 5. TensorFlow/Keras inside the bundle: one epoch on the demo project, random backbone weights
# (no 95 MB ImageNet download), into a scratch copy of the project.
if [ "${SONOTAG_SMOKE_ML:-1}" != 0 ]; then
  fresh_profile
  mkdir -p "$profile/ml"
  cp -r "$(dirname "$EXE")"/_internal/resources/demo/. "$profile/ml/" 2>/dev/null ||
    cp -r resources/demo/. "$profile/ml/"
  start=$(now)
  if "$EXE" train "$profile/ml/demo.sonotag" --untrained-backbone --epochs 1 --no-score \
      --offline >"$OUT/train.out" 2>"$OUT/train.err"; then
    pass "train (TensorFlow, 1 epoch, $(since "$start") s): $(grep -m1 '^model ' "$OUT/train.out" | cut -c1-60)..."
  else
    fail "train: $(tail -3 "$OUT/train.err")"
  fi
  # 6. The OpenVINO engine inside the bundle (its CPU plugin is loaded by path at run time):
  # the model just trained scores the recording with OpenVINO asked for by name, so a missing
  # plugin fails here instead of falling back to TensorFlow unnoticed.
  model=$(grep -m1 '^model ' "$OUT/train.out" | sed 's/^model .*): //')
  start=$(now)
  if [ -f "$model" ] && SONOTAG_ENGINE=openvino "$EXE" predict "$model" "$RECORDING" \
      --out "$profile/predict" >"$OUT/predict.out" 2>"$OUT/predict.err" &&
      grep -q '^engine: CPU (OpenVINO' "$OUT/predict.out"; then
    pass "predict (OpenVINO, $(since "$start") s): $(grep -m1 '^engine: ' "$OUT/predict.out")"
  else
    fail "predict with OpenVINO (model '$model'): $(tail -3 "$OUT/predict.err") $(tail -2 "$OUT/predict.out")"
  fi
  # 7. The clip explorer inside the bundle (umap-learn, pynndescent and numba's compiled code):
  # a map of the demo project from the features training just cached.
  start=$(now)
  if "$EXE" explore "$profile/ml/demo.sonotag" --backbone resnet50-untrained --offline \
      --out "$profile/explore" >"$OUT/explore.out" 2>"$OUT/explore.err" &&
      [ -s "$profile/explore/clips.csv" ] && [ -s "$profile/explore/map.png" ]; then
    pass "explore (UMAP map, $(since "$start") s): $(($(wc -l <"$profile/explore/clips.csv") - 1)) clips mapped"
  else
    fail "explore: $(tail -3 "$OUT/explore.err")"
  fi
fi

if [ $failures -eq 0 ]; then echo "smoke_test.sh: all steps passed"
else echo "smoke_test.sh: $failures step(s) FAILED (logs in $OUT)"; fi
[ $failures -eq 0 ]
