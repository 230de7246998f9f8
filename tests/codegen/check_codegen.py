#!/usr/bin/python3
"""Generated code end to end: compile models to C++, build them, run them, compare outputs.

For every case: `parallax-compile MODEL -o DIR --name NAME --weights MODE --emit-runner`, then
the emitted CMake project is configured against the build tree's Parallax package with each C++
compiler (g++, and clang++ when installed), built (-Wall -Wextra -Werror, C++17), and its
NAME_runner checks the model's test data (exit 0 = every output matches). Also:

  determinism   compiling the same model twice gives byte-identical files
  multi         two generated models linked into one executable (no symbol clashes), two
                instances of one model running concurrently from two threads
                (tests/codegen/multi/)

Control-flow models (If, Loop, Scan) come from onnx's own node-test generators (Debian's
python3-onnx), written into the work folder.

Usage:
  check_codegen.py --compile build/bin/parallax-compile --parallax-dir build --work build/cg \
      --source-dir . [--cxx g++ --cxx clang++] [--only NAME]
"""
import argparse
import filecmp
import os
import shutil
import subprocess
import sys


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    return p.returncode, p.stdout


def node_tests(work):
    """Generates onnx's If/Loop/Scan node tests into work/node; returns {test name: folder}."""
    import numpy as np
    for alias, typ in (("float", float), ("int", int), ("bool", bool), ("object", object)):
        if alias not in np.__dict__:
            setattr(np, alias, typ)
    from onnx import numpy_helper
    from onnx.backend.test.case import node as node_test
    wanted = {"test_if", "test_loop11", "test_scan9_sum"}
    out = {}
    for case in node_test.collect_testcases(None):
        if case.name not in wanted:
            continue
        d = os.path.join(work, "node", case.name)
        data = os.path.join(d, "test_data_set_0")
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        inputs, outputs = case.data_sets[0]
        for kind, values, protos in (("input", inputs, case.model.graph.input),
                                     ("output", outputs, case.model.graph.output)):
            for j, v in enumerate(values):
                with open(os.path.join(data, "%s_%d.pb" % (kind, j)), "wb") as f:
                    f.write(numpy_helper.from_array(np.asarray(v), protos[j].name).SerializeToString())
        out[case.name] = d
    missing = wanted - set(out)
    if missing:
        raise RuntimeError("onnx has no node tests " + ", ".join(sorted(missing)))
    return out


class Checker:
    def __init__(self, args):
        self.args = args
        self.failures = []

    def fail(self, what, log):
        self.failures.append(what)
        print("FAIL %s\n%s" % (what, log[-4000:]))

    def generate(self, model, out, name, weights, extra=()):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [self.args.compile, model, "-o", out, "--name", name, "--weights", weights,
               "--emit-runner"] + list(extra)
        rc, log = run(cmd)
        if rc != 0:
            self.fail("%s: parallax-compile (exit %d)" % (name, rc), log)
            return False
        return True

    def build(self, src, build, cxx, what):
        rc, log = run(["cmake", "-S", src, "-B", build, "-G", "Ninja",
                       "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=" + cxx,
                       "-DParallax_DIR=" + self.args.parallax_dir])
        if rc == 0:
            rc, log2 = run(["cmake", "--build", build, "-j", "2"])
            log += log2
        if rc != 0:
            self.fail("%s: build with %s" % (what, cxx), log)
            return False
        return True

    def case(self, name, model, data, weights="embed", rtol="1e-4", atol="1e-5", compilers=None):
        out = os.path.join(self.args.work, name + "-" + weights)
        if not self.generate(model, out, name, weights):
            return
        for cxx in compilers or self.args.cxx:
            what = "%s (--weights %s, %s)" % (name, weights, os.path.basename(cxx))
            build = os.path.join(out, "build-" + os.path.basename(cxx))
            if not self.build(out, build, cxx, what):
                continue
            runner = os.path.join(build, name + "_runner")
            rc, log = run([runner, data, "--rtol", rtol, "--atol", atol, "--runs", "2",
                           "--threads", "2"])
            print("%s: exit %d\n%s" % (what, rc, log.strip()))
            if rc != 0:
                self.fail(what + ": runner", log)

    def determinism(self, name, model, weights):
        a = os.path.join(self.args.work, "det-a")
        b = os.path.join(self.args.work, "det-b")
        if not (self.generate(model, a, name, weights) and self.generate(model, b, name, weights)):
            return
        files = sorted(os.listdir(a))
        match, mismatch, errors = filecmp.cmpfiles(a, b, files, shallow=False)
        if mismatch or errors or sorted(os.listdir(b)) != files:
            self.fail("determinism of %s (--weights %s)" % (name, weights),
                      "differ: %s %s" % (mismatch, errors))
        else:
            print("determinism %s (--weights %s): %d identical files" % (name, weights, len(files)))

    def multi(self, tiny, tiny_data, cond, cond_data):
        gen = os.path.join(self.args.work, "multi-gen")
        if not (self.generate(tiny, os.path.join(gen, "tiny"), "tiny", "embed") and
                self.generate(cond, os.path.join(gen, "cond"), "cond", "file")):
            return
        src = os.path.join(self.args.source_dir, "tests", "codegen", "multi")
        build = os.path.join(self.args.work, "multi-build")
        shutil.rmtree(build, ignore_errors=True)
        rc, log = run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                       "-DCMAKE_CXX_COMPILER=" + self.args.cxx[-1],
                       "-DParallax_DIR=" + self.args.parallax_dir, "-DGEN_DIR=" + gen])
        if rc == 0:
            rc, log2 = run(["cmake", "--build", build, "-j", "2"])
            log += log2
        if rc != 0:
            return self.fail("multi: build", log)
        rc, log = run([os.path.join(build, "two_models"), tiny_data, cond_data,
                       os.path.join(gen, "cond", "cond.weights.bin")])
        print("multi: exit %d\n%s" % (rc, log.strip()))
        if rc != 0:
            self.fail("multi: two_models", log)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compile", required=True, help="parallax-compile")
    ap.add_argument("--parallax-dir", required=True, help="folder with ParallaxConfig.cmake")
    ap.add_argument("--source-dir", required=True, help="the Parallax source tree")
    ap.add_argument("--work", required=True)
    ap.add_argument("--cxx", action="append", help="C++ compilers (default: g++, clang++ if any)")
    args = ap.parse_args()
    for a in ("compile", "parallax_dir", "source_dir", "work"):
        setattr(args, a, os.path.abspath(getattr(args, a)))
    if not args.cxx:
        args.cxx = ["g++"] + (["clang++"] if shutil.which("clang++") else [])
    os.makedirs(args.work, exist_ok=True)
    c = Checker(args)
    tiny = os.path.join(args.source_dir, "examples", "tiny_branchy")
    tiny_model, tiny_data = os.path.join(tiny, "model.onnx"), os.path.join(tiny, "test_data_set_0")

    c.case("tiny_branchy", tiny_model, tiny_data, "embed")
    c.case("tiny_branchy", tiny_model, tiny_data, "file", compilers=args.cxx[:1])
    c.case("tiny_branchy", tiny_model, tiny_data, "c-array", compilers=args.cxx[:1])
    nodes = node_tests(args.work)
    for test, folder in sorted(nodes.items()):
        c.case("node_" + test[len("test_"):], os.path.join(folder, "model.onnx"),
               os.path.join(folder, "test_data_set_0"))
    c.determinism("tiny_branchy", tiny_model, "embed")
    c.determinism("loop11", os.path.join(nodes["test_loop11"], "model.onnx"), "c-array")
    c.multi(tiny_model, tiny_data, os.path.join(nodes["test_if"], "model.onnx"),
            os.path.join(nodes["test_if"], "test_data_set_0"))

    if c.failures:
        print("\n%d failure(s):\n  %s" % (len(c.failures), "\n  ".join(c.failures)))
        return 1
    print("\nall generated-code checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
