#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: runs `lepton-workbench --screenshots` under Xvfb, which
# opens a study, visits every page (timeline zoomed and searched, a kernel selected, a comparison,
# an export, a multi-objective study in the dark theme) and saves one PNG per view.
# Usage: tools/screenshots.sh [BUILD_DIR] [STUDY]   (defaults: build/release, the demo study)
# Until the workbench service drives the GUI, the pictures show the demo controller's synthetic
# study; pass a STUDY (e.g. a finished `lwb tune` study file) once the service is connected.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
study=${2:-}
gui=$build/app/lepton-workbench
if [[ ! -x $gui ]]; then
    echo "error: $gui not found; build it first: cmake --build $build --target lepton-workbench" >&2
    exit 1
fi
command -v xvfb-run >/dev/null || { echo "error: xvfb-run not found (Debian package xvfb)" >&2; exit 1; }
out=$root/docs/screenshots
mkdir -p "$out"
export LANG=C.UTF-8 LC_ALL=C.UTF-8 LWB_THEME=light
args=(--screenshots "$out")
[[ -n $study ]] && args+=(--open "$study")
# A fixed screen and DPI so the pictures do not change with the machine that makes them.
xvfb-run -a -s "-screen 0 1920x1200x24 -dpi 96" "$gui" "${args[@]}"
echo "screenshots in $out"
