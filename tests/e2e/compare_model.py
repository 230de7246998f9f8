#!/usr/bin/python3
"""Checks one exported model with parallax-run at a tolerance relative to its outputs' scale.

A model's outputs can be logits of size ~1 or ~100; a fixed absolute tolerance is too loose for
one and too tight for the other. This wrapper reads the reference outputs
(DIR/test_data_set_0/output_N.pb), sets

  atol = rel * min over outputs of max|reference|     (the strictest output decides)

and runs `parallax-run DIR/model.onnx --inputs DIR/test_data_set_0 --compare --rtol RTOL
--atol ATOL`, so an element passes when |got - want| <= ATOL + RTOL * |want|. The exit code is
parallax-run's: 0 match, 1 mismatch or run-time error, 2 unsupported or invalid model.

Usage:
  compare_model.py --parallax-run build/bin/parallax-run --model-dir build/models/resnet18 \
      [--rtol 1e-4] [--rel 1e-4] [-- extra parallax-run arguments]
"""
import argparse
import glob
import os
import subprocess
import sys

import numpy as np
from onnx import TensorProto, numpy_helper


def output_scale(data_dir):
    """min over the reference outputs of max|y| (outputs that are all zero are skipped)."""
    scales = []
    for path in sorted(glob.glob(os.path.join(data_dir, "output_*.pb"))):
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        y = numpy_helper.to_array(t)
        if y.dtype.kind == "f" and y.size:
            peak = float(np.abs(y).max())
            print(f"{os.path.basename(path)} ({t.name}): shape {list(y.shape)} max|y| {peak:.6g}")
            if peak > 0:
                scales.append(peak)
    if not glob.glob(os.path.join(data_dir, "output_*.pb")):
        sys.exit(f"compare_model: no output_*.pb in {data_dir}")
    return min(scales) if scales else 1.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parallax-run", required=True)
    p.add_argument("--model-dir", required=True)
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--rel", type=float, default=1e-4, help="atol as a fraction of the scale")
    p.add_argument("extra", nargs="*", help="more parallax-run arguments (after --)")
    args = p.parse_args()

    data = os.path.join(args.model_dir, "test_data_set_0")
    atol = args.rel * output_scale(data)
    cmd = [args.parallax_run, os.path.join(args.model_dir, "model.onnx"), "--inputs", data,
           "--compare", "--rtol", f"{args.rtol:g}", "--atol", f"{atol:.6g}"] + args.extra
    print("+", " ".join(cmd), flush=True)
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
