#!/usr/bin/env bash
# Configures and builds Parallax into build/ (tools land in build/bin/).
# Extra arguments are passed to cmake's configure step, e.g. -DPARALLAX_SANITIZE=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
