#!/usr/bin/python3
"""Compiles exported zoo models to C++, builds each emitted runner and checks its outputs.

For every model: `parallax-compile MODEL -o WORK/NAME --name NAME --weights embed
--emit-runner`, then the emitted CMake project is configured against a Parallax package
(`-DParallax_DIR`, a build tree or an install prefix's lib/cmake/Parallax), built (Release,
Ninja, -j JOBS, no compiler cache, so the time is a cold build), and NAME_runner checks
test_data_set_0 with the tolerances of scripts/zoo/check.py: rtol 1e-4 and
atol = 1e-4 * min over the float outputs of max|reference|. One table row per model:

  status      ok, UNSUPPORTED (parallax-compile exit 2), BUILD FAILED, MISMATCH (runner exit 1),
              BAD INPUT (runner exit 2), NOT EXPORTED
  compile_s   parallax-compile (model -> C++ files)
  build_s     cmake configure + build of the emitted project (C++ files -> runner binary)
  total_s     compile_s + build_s: model to binary
  run_s       the runner: read the test data, one run, compare
  atol        the absolute tolerance the model had to meet

The reason for every failure follows the table. Exit code 0 only when every model is ok.

Usage: check_codegen.py --compile build/bin/parallax-compile --parallax-dir build
           --models-dir build/models --work build/codegen-zoo NAME...
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import REL, RTOL, read_tensors  # noqa: E402  (same tolerances as the zoo check)


def run(cmd):
    start = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout, time.time() - start


def c_identifier(name):
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name)
    return "m_" + ident if ident[:1].isdigit() else ident


def tolerance(data):
    import numpy as np
    want = read_tensors(data, "output")
    scales = [float(np.abs(y).max()) for y in want if y.dtype.kind == "f" and y.size]
    return REL * min([s for s in scales if s > 0] or [1.0])


def check(args, model, model_dir):
    """Returns a dict: status, compile_s, build_s, run_s, atol, message."""
    row = {"compile_s": float("nan"), "build_s": float("nan"), "run_s": float("nan"),
           "atol": float("nan"), "message": ""}
    name = c_identifier(model)
    out = os.path.join(args.work, name)
    shutil.rmtree(out, ignore_errors=True)
    rc, log, row["compile_s"] = run([args.compile, os.path.join(model_dir, "model.onnx"), "-o", out,
                                     "--name", name, "--weights", "embed", "--emit-runner"])
    if rc != 0:
        row.update(status="UNSUPPORTED" if rc == 2 else "COMPILE FAILED(%d)" % rc, message=log)
        return row
    build = os.path.join(out, "build")
    configure = ["cmake", "-S", out, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                 "-DParallax_DIR=" + os.path.abspath(args.parallax_dir)]
    if args.cxx:
        configure.append("-DCMAKE_CXX_COMPILER=" + args.cxx)
    rc, log, seconds = run(configure)
    row["build_s"] = seconds
    if rc == 0:
        rc, log2, seconds = run(["cmake", "--build", build, "-j", str(args.jobs)])
        log += log2
        row["build_s"] += seconds
    if rc != 0:
        row.update(status="BUILD FAILED", message=log)
        return row
    data = os.path.join(model_dir, "test_data_set_0")
    row["atol"] = tolerance(data)
    rc, log, row["run_s"] = run([os.path.join(build, name + "_runner"), data, "--rtol",
                                 "%g" % RTOL, "--atol", "%.6g" % row["atol"]])
    row["status"] = {0: "ok", 1: "MISMATCH", 2: "BAD INPUT"}.get(rc, "CRASH(%d)" % rc)
    row["message"] = "" if rc == 0 else log
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--compile", required=True, help="the parallax-compile executable")
    p.add_argument("--parallax-dir", required=True,
                   help="folder holding ParallaxConfig.cmake (build tree or installed package)")
    p.add_argument("--models-dir", required=True, help="where export_models.py wrote the models")
    p.add_argument("--work", required=True, help="generated code and runner builds go here")
    p.add_argument("--cxx", help="C++ compiler for the emitted projects (default: CMake's)")
    p.add_argument("--jobs", type=int, default=2, help="parallel build jobs per model")
    p.add_argument("--export", action="store_true",
                   help="export a model that is not in --models-dir yet (export_models.py)")
    p.add_argument("models", nargs="+")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)

    print("%-22s %-13s %9s %8s %8s %7s %9s" % ("model", "status", "compile_s", "build_s",
                                              "total_s", "run_s", "atol"), flush=True)
    failures = []
    for model in args.models:
        folder = os.path.join(args.models_dir, model)
        if args.export and not os.path.isfile(os.path.join(folder, "model.onnx")):
            export = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                  "export_models.py")
            run([sys.executable, export, "--out", args.models_dir, "--models", model])
        if not os.path.isfile(os.path.join(folder, "model.onnx")):
            print("%-22s %-13s" % (model, "NOT EXPORTED"), flush=True)
            failures.append((model, "no model.onnx in %s (export failed?)" % folder))
            continue
        r = check(args, model, folder)
        print("%-22s %-13s %9.2f %8.2f %8.2f %7.2f %9.3g" % (
            model, r["status"], r["compile_s"], r["build_s"], r["compile_s"] + r["build_s"],
            r["run_s"], r["atol"]), flush=True)
        if r["status"] != "ok":
            failures.append((model, r["message"].strip()[-4000:]))
    for model, message in failures:
        print("\n== %s\n%s" % (model, message))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
