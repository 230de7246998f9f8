#!/usr/bin/env bash
# Full model-zoo check: exports every model (or a group) into the cache folder, then runs
# `parallax-run --compare` on each and prints a table: model, status, max_abs_err, err/scale,
# the scale-relative atol, wall time. Models already exported are not exported again.
#
#   scripts/check_zoo.sh                                   # all models, build/bin/parallax-run
#   scripts/check_zoo.sh --models paper --bin build-zoo/bin/parallax-run --out build/models
#
# Exit code 0 when every model exports and matches PyTorch. See docs/models.md.
set -euo pipefail
cd "$(dirname "$0")/.."

models=all
bin=build/bin/parallax-run
out=build/models
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models) models="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "check_zoo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ ! -x "$bin" ]]; then
  echo "check_zoo.sh: no parallax-run at '$bin' (build it, or pass --bin)" >&2
  exit 2
fi

source scripts/zoo_common.sh
zoo_export "$out" "$models"
check_status=0
$py scripts/zoo/check.py --parallax-run "$bin" --models-dir "$out" "${names[@]}" \
  || check_status=$?
[[ $export_status -eq 0 && $check_status -eq 0 ]]
