#!/usr/bin/env bash
# README command (a): set up, build, then run the bundled example model through Parallax,
# compare with its reference outputs and time it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
MODEL=examples/tiny_branchy
echo
echo "== parallax-compile $MODEL/model.onnx (import, verify, pass pipeline; IR in build/tiny_branchy.ir) =="
build/bin/parallax-compile "$MODEL/model.onnx" --emit=ir --time-passes > build/tiny_branchy.ir
grep '^pass ' build/tiny_branchy.ir
echo "IR: $(grep -c "^  %" build/tiny_branchy.ir) nodes; first lines:"
grep -v '^pass ' build/tiny_branchy.ir | head -4
echo
echo "== parallax-run $MODEL/model.onnx (outputs checked against $MODEL/test_data_set_0) =="
build/bin/parallax-run "$MODEL/model.onnx" --inputs "$MODEL/test_data_set_0" --compare --runs 50
