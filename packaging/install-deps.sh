#!/usr/bin/env bash
# Installs every Debian package Lepton Workbench needs to build, test and benchmark.
# Idempotent: packages already present are skipped by apt; safe to run on every CI start.
# Usage: packaging/install-deps.sh [--bench]   (--bench adds the Python peers for benchmarks)
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libsqlite3-dev sqlite3
    libeigen3-dev libnlopt-cxx-dev libnlopt-dev
    libdnnl-dev libopenblas-dev
    zlib1g-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev libqt6svg6 libgl-dev
    xvfb xauth
)
if [[ "${1:-}" == "--bench" ]]; then
    packages+=(python3-torch python3-optuna python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages present"
    exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
