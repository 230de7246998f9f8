#!/usr/bin/env bash
# README command (b): set up, build, and run the whole test suite:
#   1. under AddressSanitizer + UndefinedBehaviorSanitizer (a separate -O0 build in
#      build-asan/; any crash, hang or sanitizer report fails): the ONNX node conformance suite,
#      then the unit and compiler test programs, then
#   2. ctest in build/: unit, compiler and error-case tests, conformance, end-to-end models.
# Exit code 0 only when everything passes. Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

echo "== sanitizer build (address,undefined) and conformance under it =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  -DPARALLAX_SANITIZE=address,undefined -DPARALLAX_BUILD_TESTS=ON >/dev/null
cmake --build build-asan -j "$(nproc)" --target parallax-run parallax_unit_tests \
  parallax_compiler_tests
/usr/bin/python3 tests/conformance/run_conformance.py --parallax-run build-asan/bin/parallax-run \
  --work build/conformance --known-failures tests/conformance/known_failures.txt \
  --check --timeout 120

echo "== unit and compiler tests under the sanitizers =="
build-asan/bin/parallax_unit_tests
build-asan/bin/parallax_compiler_tests

echo "== ctest =="
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
