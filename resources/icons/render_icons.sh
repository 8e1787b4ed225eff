#!/usr/bin/env bash
# Renders sonotag.svg into the PNG sizes desktops ask for, plus .ico (Windows) and .icns (macOS).
# Needs rsvg-convert (apt-get install librsvg2-bin) and Pillow (in the dev venv).
# The rendered files are committed, so a build never needs these tools.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PY=${PYTHON:-../../.venv/bin/python}
for size in 16 32 48 64 128 256 512 1024; do
  rsvg-convert -w "$size" -h "$size" sonotag.svg -o "sonotag-$size.png"
done
"$PY" - <<'PYEOF'
from PIL import Image

sizes = [16, 32, 48, 64, 128, 256]
images = {s: Image.open(f"sonotag-{s}.png").convert("RGBA") for s in sizes + [512, 1024]}
# .ico: one frame per size, each rendered from the SVG at that size (sharper than downscaling).
images[256].save("sonotag.ico", sizes=[(s, s) for s in sizes],
                 append_images=[images[s] for s in sizes if s != 256])
# .icns: Pillow takes the largest image and the extra sizes it should embed as they are.
images[1024].save("sonotag.icns", append_images=[images[s] for s in (16, 32, 64, 128, 256, 512)])
PYEOF
rm -f sonotag-1024.png  # only needed for the .icns
echo "render_icons.sh: wrote sonotag-{16..512}.png, sonotag.ico, sonotag.icns"
