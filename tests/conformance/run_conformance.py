#!/usr/bin/python3
"""Runs the ONNX backend node tests that ship with the installed onnx package through Parallax.

The test models and data are generated at run time with onnx's own generator (what
`backend-test-tools generate-data` does), so they always match the installed onnx version.
Each test_data_set of each test runs through `parallax-run --compare` in its own process and
is classified:

  pass         outputs match (parallax-run exit 0)
  fail         outputs differ or a kernel reported a run-time error (exit 1)
  unsupported  the model uses something Parallax does not implement, or is rejected (exit 2)
  crash        any other exit (a signal, a sanitizer report, an abort)
  hang         still running after --timeout seconds

With --report FILE it writes the Markdown report (docs/conformance.md). With --check it exits
non-zero when the pass rate is below --min-pass-rate, when anything crashed or hung, or when a
test fails that is not listed in --known-failures (a regression). Tests listed as known
failures that now pass are reported so the list can be trimmed (--update-known rewrites it).

Usage:
  run_conformance.py --parallax-run build/bin/parallax-run --work build/conformance \
      [--report docs/conformance.md] [--known-failures tests/conformance/known_failures.txt] \
      [--check] [--jobs 2] [--timeout 30] [--filter REGEX]
"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time


def generate_node_tests(work):
    """Generates onnx's node tests into work/data (once per onnx version); returns the folder."""
    import numpy as np
    # onnx 1.12's generators use aliases that numpy 1.24 removed.
    for alias, typ in (("float", float), ("int", int), ("bool", bool), ("object", object)):
        if alias not in np.__dict__:
            setattr(np, alias, typ)
    import onnx
    from onnx.backend.test.cmd_tools import generate_data

    out = os.path.join(work, "data-onnx-" + onnx.__version__)
    node_dir = os.path.join(out, "node")
    stamp = os.path.join(out, ".complete")
    if not os.path.exists(stamp):
        shutil.rmtree(out, ignore_errors=True)
        args = argparse.Namespace(output=out, op_type=None)
        generate_data(args)
        open(stamp, "w").close()
    return node_dir, onnx.__version__


def primary_op(test_name, op_types):
    """The operator a node test is about: the op whose snake_case name prefixes the test name."""
    name = test_name[len("test_"):]
    best = None
    for op in op_types:
        snake = re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", op).lower()
        for cand in (snake, op.lower()):
            if name.startswith(cand) and (best is None or len(cand) > len(best[1])):
                best = (op, cand)
    op = best[0] if best else (sorted(op_types)[0] if op_types else "?")
    return op + (" (expanded)" if test_name.endswith("_expanded") else "")


def model_op_types(model_path):
    import onnx
    m = onnx.load(model_path, load_external_data=False)
    return sorted({n.op_type for n in m.graph.node})


def first_reason(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    for l in lines:
        if "MISMATCH" in l or "error" in l.lower():
            return l[:300]
    return (lines[-1][:300] if lines else "")


def run_one(parallax_run, test_dir, data_dir, timeout):
    cmd = [parallax_run, os.path.join(test_dir, "model.onnx"), "--inputs", data_dir, "--compare"]
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           text=True, errors="replace")
    except subprocess.TimeoutExpired:
        return "hang", "timed out after %ss" % timeout, time.monotonic() - start
    out = p.stdout + "\n" + p.stderr
    if "runtime error:" in p.stderr or "Sanitizer" in p.stderr:  # UBSan / ASan reports
        return "crash", first_reason(p.stderr), time.monotonic() - start
    status = {0: "pass", 1: "fail", 2: "unsupported"}.get(p.returncode, "crash")
    reason = ""
    if status == "crash":
        reason = "exit code %d: %s" % (p.returncode, first_reason(p.stderr))
    elif status != "pass":
        reason = first_reason(p.stderr if p.stderr.strip() else out)
    return status, reason, time.monotonic() - start


def load_known(path):
    known = {}
    if path and os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            known[name] = reason.strip()
    return known


def write_known(path, results):
    with open(path, "w") as f:
        f.write("# ONNX node tests known not to pass, one per line: <test> <status>: <reason>.\n")
        f.write("# Regenerate with tests/conformance/run_conformance.py --update-known.\n")
        for name, (op, status, reason, _) in sorted(results.items()):
            if status in ("fail", "unsupported"):
                f.write("%s %s: %s\n" % (name, status, reason.replace("\n", " ")))


def write_report(path, results, onnx_version, command, elapsed):
    counts = collections.Counter(status for (_, status, _, _) in results.values())
    total = len(results)
    per_op = collections.defaultdict(collections.Counter)
    for name, (op, status, _, _) in results.items():
        per_op[op][status] += 1
    pct = 100.0 * counts["pass"] / total if total else 0.0
    lines = [
        "# ONNX conformance",
        "",
        "The backend node tests of the installed onnx package (version %s), generated at test"
        % onnx_version,
        "time and run one by one through `parallax-run --compare` (rtol 1e-3, atol 1e-7, the",
        "onnx backend defaults). Generated by:",
        "",
        "    " + command,
        "",
        "| total | pass | fail | unsupported | crash | hang | pass rate |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        "| %d | %d | %d | %d | %d | %d | %.1f%% |" % (
            total, counts["pass"], counts["fail"], counts["unsupported"], counts["crash"],
            counts["hang"], pct),
        "",
        "Wall time of the run: %.0f s. The test command (`scripts/test.sh`) also runs this suite" % elapsed,
        "with `parallax-run` built with AddressSanitizer and UndefinedBehaviorSanitizer, and",
        "fails on any crash, hang or sanitizer report. Opset 1-6 models are refused by design",
        "(supported default-domain opsets: 7-17); sequence, optional and string values are not",
        "supported.",
        "",
        "## Per operator",
        "",
        "| operator | tests | pass | fail | unsupported | crash | hang |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in sorted(per_op):
        c = per_op[op]
        lines.append("| %s | %d | %d | %d | %d | %d | %d |" % (
            op, sum(c.values()), c["pass"], c["fail"], c["unsupported"], c["crash"], c["hang"]))
    lines += ["", "## Tests that do not pass", "",
              "Each is listed once with the reason parallax-run gave.", "",
              "| test | status | reason |", "|---|---|---|"]
    for name, (op, status, reason, _) in sorted(results.items()):
        if status != "pass":
            lines.append("| %s | %s | %s |" % (name, status, reason.replace("|", "\\|")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parallax-run", required=True)
    ap.add_argument("--work", required=True, help="folder for generated test data")
    ap.add_argument("--report")
    ap.add_argument("--known-failures")
    ap.add_argument("--update-known", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--min-pass-rate", type=float, default=0.75)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--filter", help="only tests whose name matches this regex")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    started = time.monotonic()
    os.makedirs(args.work, exist_ok=True)
    node_dir, onnx_version = generate_node_tests(args.work)
    tests = sorted(d for d in os.listdir(node_dir) if d.startswith("test_"))
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t)]

    jobs = []
    for t in tests:
        tdir = os.path.join(node_dir, t)
        sets = sorted(d for d in os.listdir(tdir) if d.startswith("test_data_set_"))
        for s in sets:
            name = t if len(sets) == 1 else "%s/%s" % (t, s)
            jobs.append((name, t, tdir, os.path.join(tdir, s)))

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futs = {pool.submit(run_one, args.parallax_run, tdir, ddir, args.timeout): (name, t, tdir)
                for (name, t, tdir, ddir) in jobs}
        for fut in concurrent.futures.as_completed(futs):
            name, t, tdir = futs[fut]
            status, reason, secs = fut.result()
            # An *_expanded test no longer contains its operator: name it after its sibling.
            sibling = os.path.join(node_dir, t[:-len("_expanded")], "model.onnx")
            ops_from = sibling if t.endswith("_expanded") and os.path.exists(sibling) else \
                os.path.join(tdir, "model.onnx")
            op = primary_op(t, model_op_types(ops_from))
            results[name] = (op, status, reason, secs)
            if args.verbose:
                print("%-60s %-11s %s" % (name, status, reason))
    elapsed = time.monotonic() - started

    counts = collections.Counter(s for (_, s, _, _) in results.values())
    total = len(results)
    rate = counts["pass"] / total if total else 0.0
    print("conformance: %d tests: %d pass, %d fail, %d unsupported, %d crash, %d hang "
          "(pass rate %.1f%%)" % (total, counts["pass"], counts["fail"], counts["unsupported"],
                                  counts["crash"], counts["hang"], 100 * rate))

    if args.report:
        cmd = "tests/conformance/run_conformance.py --parallax-run build/bin/parallax-run " \
              "--work build/conformance --report docs/conformance.md " \
              "--known-failures tests/conformance/known_failures.txt --update-known"
        write_report(args.report, results, onnx_version, cmd, elapsed)
        print("conformance: wrote", args.report)
    if args.update_known and args.known_failures:
        write_known(args.known_failures, results)
        print("conformance: wrote", args.known_failures)

    problems = []
    for name, (op, status, reason, _) in sorted(results.items()):
        if status in ("crash", "hang"):
            problems.append("%s: %s (%s)" % (name, status, reason))
    if rate < args.min_pass_rate:
        problems.append("pass rate %.1f%% is below %.1f%%" % (100 * rate, 100 * args.min_pass_rate))
    if args.known_failures and not args.update_known:
        known = load_known(args.known_failures)
        for name, (op, status, reason, _) in sorted(results.items()):
            if status in ("fail", "unsupported") and name not in known:
                problems.append("%s: %s, not a known failure: %s" % (name, status, reason))
        fixed = [n for n in known if n in results and results[n][1] == "pass"]
        for n in fixed:
            print("conformance: %s now passes; remove it from %s" % (n, args.known_failures))
        if fixed:
            problems.append("%d known failures now pass (update the list)" % len(fixed))
    if args.check and problems:
        for p in problems:
            print("conformance: FAILED:", p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
