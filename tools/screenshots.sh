#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: runs `lepton-workbench --screenshots` under Xvfb, which
# opens a study, visits every page (timeline zoomed and searched, a kernel selected, a comparison,
# an export, a multi-objective study in the dark theme) and saves one PNG per view.
# Usage: tools/screenshots.sh [BUILD_DIR] [STUDY [PARETO_STUDY]]
#   (defaults: build/release, the demo controller's synthetic studies)
# With STUDY (a finished `lwb tune` study file with captured traces, e.g. from
# tools/screenshot-studies.sh) the pictures show real data through the workbench service;
# PARETO_STUDY (a multi-objective study) adds the dark Pareto view.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
study=${2:-}
pareto=${3:-}
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
[[ -n $pareto ]] && args+=(--open-pareto "$pareto")
# A fixed screen and DPI so the pictures do not change with the machine that makes them.
xvfb-run -a -s "-screen 0 1920x1200x24 -dpi 96" "$gui" "${args[@]}"
echo "screenshots in $out"
