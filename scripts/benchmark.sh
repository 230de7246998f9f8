#!/usr/bin/env bash
# README command: the side-by-side benchmark against ONNX Runtime. Regenerates
# docs/benchmarks.md and docs/benchmarks-ratio.svg from what it measures on this machine:
#   1. scripts/setup.sh (Debian packages, Node.js and npm included),
#   2. a Release build of parallax-run and parallax-compile in build-release/ (BUILD_DIR),
#   3. scripts/benchmark.py, which installs onnxruntime-node (npm install --ignore-scripts),
#      exports the models, runs both runtimes side by side and writes the page.
# Arguments go to benchmark.py, e.g. `scripts/benchmark.sh --models resnet18 --runs 50`.
# Not part of the test suite; tests/bench runs a two-model slice of it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build-release}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARALLAX_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" --target parallax-run parallax-compile
# The page quotes the command as typed, not benchmark.py's arguments.
prefix=""
if [ "$BUILD_DIR" != build-release ]; then prefix="BUILD_DIR=$BUILD_DIR "; fi
command="${prefix}scripts/benchmark.sh"
for arg in "$@"; do
  if [[ "$arg" =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then
    command+=" $arg"
  else
    command+=" $(printf '%q' "$arg")"
  fi
done
export PARALLAX_BENCH_COMMAND="$command"
exec /usr/bin/python3 scripts/benchmark.py --bin "$BUILD_DIR/bin" "$@"
