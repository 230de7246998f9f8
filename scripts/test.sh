#!/usr/bin/env bash
# README command (b): set up, build, and run the whole test suite (unit, compiler, ONNX
# conformance, end-to-end models). Exit code 0 only when every test passes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
