#!/usr/bin/env bash
# Full generated-code check over the model zoo (not run in CI; tests/codegen_zoo has the CI
# subset). Exports every model (or a group) into the cache folder, then for each one compiles
# it to C++ with `parallax-compile -o DIR --name NAME --weights embed --emit-runner`, builds
# the emitted runner project against a Parallax package, runs it on test_data_set_0 and prints
# a table: model, status, compile/build/total seconds (model to binary), run seconds, atol.
#
#   scripts/check_codegen.sh                                   # all models, build tree build/
#   scripts/check_codegen.sh --models cnn --build build-release --work /tmp/cg
#   scripts/check_codegen.sh --parallax-dir /opt/parallax/lib/cmake/Parallax --cxx clang++
#
# --build names the Parallax build tree: its bin/parallax-compile is used and, unless
# --parallax-dir says otherwise, the ParallaxConfig.cmake it exports. Exit code 0 when every
# model exports, compiles, builds and matches PyTorch. See docs/models.md.
set -euo pipefail
cd "$(dirname "$0")/.."

models=all
build=build
parallax_dir=
out=build/models
work=
cxx=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --parallax-dir) parallax_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --cxx) cxx="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "check_codegen.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
compile="$build/bin/parallax-compile"
parallax_dir="${parallax_dir:-$build}"
work="${work:-$build/codegen-zoo}"
if [[ ! -x "$compile" ]]; then
  echo "check_codegen.sh: no parallax-compile at '$compile' (build it, or pass --build)" >&2
  exit 2
fi
if [[ ! -f "$parallax_dir/ParallaxConfig.cmake" ]]; then
  echo "check_codegen.sh: no ParallaxConfig.cmake in '$parallax_dir' (build the tree, or pass" \
       "--parallax-dir <prefix>/lib/cmake/Parallax)" >&2
  exit 2
fi

source scripts/zoo_common.sh
zoo_export "$out" "$models"
check_status=0
args=(--compile "$compile" --parallax-dir "$parallax_dir" --models-dir "$out" --work "$work")
[[ -n "$cxx" ]] && args+=(--cxx "$cxx")
$py scripts/zoo/check_codegen.py "${args[@]}" "${names[@]}" || check_status=$?
[[ $export_status -eq 0 && $check_status -eq 0 ]]
