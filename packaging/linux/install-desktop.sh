#!/usr/bin/env bash
# Adds Sonotag to the desktop for the current user (no root): menu entry, icon in the usual
# sizes, and the application/x-sonotag-project MIME type so double-clicking a .sonotag opens it.
#   packaging/linux/install-desktop.sh [EXE]      install (EXE: the sonotag to start)
#   packaging/linux/install-desktop.sh --uninstall
# EXE defaults to the built bundle (packaging/dist/sonotag/sonotag), else the dev venv's
# .venv/bin/sonotag. Files go under ${XDG_DATA_HOME:-~/.local/share}; the desktop caches are
# refreshed when update-desktop-database / update-mime-database / gtk-update-icon-cache exist.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ICONS="$ROOT/resources/icons"
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
SIZES=(16 32 48 64 128 256 512)
MIME_TYPE=application/x-sonotag-project

refresh_caches() {
  if command -v update-desktop-database >/dev/null; then
    update-desktop-database -q "$DATA/applications" || true
  fi
  if command -v update-mime-database >/dev/null; then
    update-mime-database "$DATA/mime" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$DATA/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$DATA/applications/sonotag.desktop" "$DATA/mime/packages/sonotag-mime.xml" \
    "$DATA/icons/hicolor/scalable/apps/sonotag.svg"
  for size in "${SIZES[@]}"; do rm -f "$DATA/icons/hicolor/${size}x${size}/apps/sonotag.png"; done
  mimeapps=${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list
  if [ -f "$mimeapps" ]; then
    sed -i "\|^$MIME_TYPE=sonotag.desktop;\{0,1\}\$|d" "$mimeapps"
  fi
  refresh_caches
  echo "install-desktop.sh: removed Sonotag's menu entry, icons and MIME type from $DATA"
  exit 0
fi

if [ -n "${1:-}" ]; then
  EXE=$(realpath "$1")
elif [ -x "$ROOT/packaging/dist/sonotag/sonotag" ]; then
  EXE="$ROOT/packaging/dist/sonotag/sonotag"
elif [ -x "$ROOT/.venv/bin/sonotag" ]; then
  EXE="$ROOT/.venv/bin/sonotag"
else
  echo "install-desktop.sh: no sonotag found; build it (packaging/build.sh) or pass its path" >&2
  exit 1
fi
if [ ! -x "$EXE" ]; then
  echo "install-desktop.sh: $EXE is not an executable" >&2
  exit 1
fi

# Icons: one PNG per size plus the SVG, in the hicolor theme every desktop falls back to.
for size in "${SIZES[@]}"; do
  install -D -m 644 "$ICONS/sonotag-$size.png" "$DATA/icons/hicolor/${size}x${size}/apps/sonotag.png"
done
install -D -m 644 "$ICONS/sonotag.svg" "$DATA/icons/hicolor/scalable/apps/sonotag.svg"
# gtk-update-icon-cache only indexes a user theme folder that has an index.theme.
if [ ! -f "$DATA/icons/hicolor/index.theme" ] && [ -f /usr/share/icons/hicolor/index.theme ]; then
  cp /usr/share/icons/hicolor/index.theme "$DATA/icons/hicolor/index.theme"
fi

# MIME type for *.sonotag.
install -D -m 644 "$HERE/sonotag-mime.xml" "$DATA/mime/packages/sonotag-mime.xml"

# Menu entry, pointing at this EXE. The desktop spec wants paths with spaces quoted in Exec.
quoted_exe=$EXE
case "$EXE" in *[[:space:]]*) quoted_exe="\"$EXE\"" ;; esac
mkdir -p "$DATA/applications"
sed -e "s|^Exec=sonotag |Exec=${quoted_exe//|/\\|} |" -e "s|^TryExec=sonotag$|TryExec=${EXE//|/\\|}|" \
  "$HERE/sonotag.desktop" >"$DATA/applications/sonotag.desktop"
chmod 644 "$DATA/applications/sonotag.desktop"

refresh_caches
# Make Sonotag the default for its projects (mimeapps.list), where xdg-utils is installed.
if command -v xdg-mime >/dev/null; then
  xdg-mime default sonotag.desktop "$MIME_TYPE" || true
fi
echo "install-desktop.sh: installed Sonotag ($EXE) into $DATA:"
echo "  applications/sonotag.desktop, icons/hicolor/{16..512}/apps/sonotag.png,"
echo "  mime/packages/sonotag-mime.xml ($MIME_TYPE, *.sonotag)"
