#!/usr/bin/python3
"""Runs parallax-run --compare on exported zoo models and prints one table row per model.

Each model is checked like tests/e2e/compare_model.py does it: rtol 1e-4 and
atol = 1e-4 * min over the float outputs of max|reference|. The errors in the table are
measured here, from the outputs parallax-run writes (--outputs), so they do not depend on
parsing its messages:

  max_abs_err   largest |got - want| over all outputs
  err/scale     largest over outputs of max|got - want| / max|want|
  atol          the absolute tolerance the model had to meet
  time_s        wall time of the parallax-run call (import, compile, one run, compare)

Status is parallax-run's verdict: ok (exit 0), MISMATCH (1: mismatch or run-time error) or
UNSUPPORTED (2: the model uses an operator or feature Parallax lacks; the reason follows the
table). Exit code 0 only when every model is ok.

Usage: check.py --parallax-run build/bin/parallax-run --models-dir build/models NAME...
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from onnx import TensorProto, numpy_helper

RTOL = 1e-4
REL = 1e-4


def read_tensors(folder, kind):
    arrays = []
    for i in range(len(glob.glob(os.path.join(folder, f"{kind}_*.pb")))):
        t = TensorProto()
        with open(os.path.join(folder, f"{kind}_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        arrays.append(numpy_helper.to_array(t))
    return arrays


def check(parallax_run, model_dir):
    """Returns (status, max_abs_err, err_over_scale, atol, seconds, message)."""
    data = os.path.join(model_dir, "test_data_set_0")
    want = read_tensors(data, "output")
    scales = [float(np.abs(y).max()) for y in want if y.dtype.kind == "f" and y.size]
    atol = REL * min([s for s in scales if s > 0] or [1.0])
    with tempfile.TemporaryDirectory(prefix="parallax-zoo-") as out:
        cmd = [parallax_run, os.path.join(model_dir, "model.onnx"), "--inputs", data,
               "--compare", "--rtol", f"{RTOL:g}", "--atol", f"{atol:.6g}", "--outputs", out]
        start = time.time()
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
        except OSError as e:
            return "NOT RUN", float("nan"), float("nan"), atol, 0.0, f"{parallax_run}: {e}"
        seconds = time.time() - start
        got = read_tensors(out, "output")
    status = {0: "ok", 1: "MISMATCH", 2: "UNSUPPORTED"}.get(proc.returncode,
                                                            f"CRASH({proc.returncode})")
    message = "" if proc.returncode == 0 else proc.stdout.strip()
    if len(got) != len(want):
        return status, float("nan"), float("nan"), atol, seconds, message
    abs_err, rel_err = 0.0, 0.0
    for g, w in zip(got, want):
        if g.shape != w.shape:
            return "MISMATCH", float("nan"), float("nan"), atol, seconds, \
                f"output shape {list(g.shape)}, expected {list(w.shape)}"
        err = float(np.abs(g.astype(np.float64) - w.astype(np.float64)).max()) if w.size else 0.0
        abs_err = max(abs_err, err)
        peak = float(np.abs(w).max()) if w.size else 0.0
        rel_err = max(rel_err, err / peak if peak > 0 else err)
    return status, abs_err, rel_err, atol, seconds, message


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--parallax-run", required=True)
    p.add_argument("--models-dir", required=True)
    p.add_argument("models", nargs="+")
    args = p.parse_args()

    print(f"{'model':22} {'status':11} {'max_abs_err':>11} {'err/scale':>9} {'atol':>9} "
          f"{'time_s':>7}", flush=True)
    failures = []
    for name in args.models:
        folder = os.path.join(args.models_dir, name)
        if not os.path.isfile(os.path.join(folder, "model.onnx")):
            print(f"{name:22} {'NOT EXPORTED':11}", flush=True)
            failures.append((name, "no model.onnx (export failed?)"))
            continue
        status, abs_err, rel_err, atol, seconds, message = check(args.parallax_run, folder)
        print(f"{name:22} {status:11} {abs_err:11.3g} {rel_err:9.2g} {atol:9.3g} "
              f"{seconds:7.2f}", flush=True)
        if status != "ok":
            failures.append((name, message))
    for name, message in failures:
        print(f"\n== {name}\n{message}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
