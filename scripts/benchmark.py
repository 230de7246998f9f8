#!/usr/bin/python3
"""Benchmarks Parallax against ONNX Runtime side by side and writes docs/benchmarks.md.

For each model (exported by scripts/export_models.py) and each thread count (1 and every core),
a parallax-run process and an ONNX Runtime process (onnxruntime-node, CPU, driven by
scripts/bench/ort_runner.mjs) run the same inputs: warm-ups, then batches of timed runs taken in
turn, A/B/A/B. Both runtimes' outputs are checked against PyTorch's in the same run; a row with
wrong numbers is VOID. The page (tables per thread count, machine, command, models that could
not run) and its chart (Parallax/ORT latency ratio per model, SVG) are written from what this
run measured; the same tables are printed.

Usage (scripts/benchmark.sh wraps this with setup and a Release build):
  benchmark.py --bin build-release/bin                      # every model -> docs/benchmarks.md
  benchmark.py --bin build/bin --models squeezenet1_1,transformer_encoder --runs 1 --warmup 1 \
      --out /tmp/bench/benchmarks.md --check                # the CI slice (tests/bench)

It installs onnxruntime-node with `npm install --ignore-scripts` in scripts/bench (the package
ships the CPU library; the skipped install script only fetches GPU binaries) and checks that
the binding loads. Exit status: 0 when the page was written (with --check: and every model ran
with correct numbers), 1 otherwise.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "scripts", "bench")
sys.path.insert(0, BENCH)

import report  # noqa: E402
from runners import (Runner, RunnerError, check_outputs, numbered, read_outputs,  # noqa: E402
                     read_pb, write_raw_inputs)

RTOL = 1e-4
REL_ATOL = 1e-4
MEMORY_LINE = re.compile(r"^memory arena=(\d+) lower_bound=(\d+) sequential=(\d+) naive=(\d+)")


def log(msg):
    print(msg, flush=True)


def capture(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


# ---- setup: ONNX Runtime install, model list and export ----

def install_ort(work):
    log("== npm install --ignore-scripts (scripts/bench) ==")
    if shutil.which("node") is None or shutil.which("npm") is None:
        sys.exit("benchmark: node and npm are needed (scripts/setup.sh installs them)")
    subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"],
                   cwd=BENCH, check=True)
    # Prove the CPU binding loads after an install that skipped the package's scripts.
    import onnx
    from onnx import TensorProto, helper
    probe = os.path.join(work, "probe_relu.onnx")
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "probe",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), probe)
    r = capture(["node", os.path.join(BENCH, "ort_runner.mjs"), "--probe", "--model", probe])
    if r.returncode != 0 or "probe output 1,0" not in r.stdout:
        sys.exit(f"benchmark: onnxruntime-node does not load:\n{r.stdout}{r.stderr}")
    log(r.stdout.strip())
    return re.search(r"onnxruntime-node (\S+)", r.stdout).group(1)


def list_models():
    """[{"name", "group", "description"}] from export_models.py (--list --json, else --list)."""
    exporter = os.path.join(ROOT, "scripts", "export_models.py")
    r = capture([sys.executable, exporter, "--list", "--json"])
    if r.returncode == 0:
        return json.loads(r.stdout)
    r = capture([sys.executable, exporter, "--list"], check=True)
    return [{"name": line.split(None, 1)[0], "group": "",
             "description": line.split(None, 1)[1].strip() if " " in line.strip() else ""}
            for line in r.stdout.splitlines() if line.strip()]


def select_models(spec, registry):
    names = []
    for token in filter(None, spec.split(",")):
        hits = [m["name"] for m in registry
                if token in ("all", m["name"], m.get("group"))]
        if not hits:
            sys.exit(f"benchmark: unknown model or group '{token}'; known: "
                     + ", ".join(m["name"] for m in registry))
        names += [h for h in hits if h not in names]
    return names


def export_models(names, models_dir):
    """Exports what is missing; returns {name: reason} for the models that failed."""
    log(f"== exporting models into {models_dir} ==")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export_models.py"),
                        "--out", models_dir, "--models", ",".join(names)],
                       stdout=sys.stdout, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(r.stderr)
    failed = {}
    for name in names:
        if os.path.isfile(os.path.join(models_dir, name, "test_data_set_0", "output_0.pb")):
            continue
        why = [l for l in r.stderr.splitlines() if l.startswith(name + ":")]
        failed[name] = why[-1][len(name) + 1:].strip() if why else "export failed"
    return failed


# ---- one model at one thread count ----

def arena_numbers(compile_exe, model, threads):
    r = capture([compile_exe, model, "--emit=plan", "--threads", str(threads)])
    # The memory planner's summary is the plan's last line; None until a plan reports one.
    found = [m for m in map(MEMORY_LINE.match, r.stdout.splitlines()) if m]
    if r.returncode != 0 or not found:
        return None
    m = found[-1]
    return dict(zip(("arena", "lower_bound", "sequential", "naive"), map(int, m.groups())))


def stats(times):
    if not times:
        return {"median": None, "min": None, "max": None}
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


def bench_pair(args, model, threads, work):
    model_dir = os.path.join(args.models_dir, model)
    data = os.path.join(model_dir, "test_data_set_0")
    onnx_path = os.path.join(model_dir, "model.onnx")
    pair = os.path.join(work, model, f"t{threads}")
    shutil.rmtree(pair, ignore_errors=True)
    os.makedirs(pair)
    raw = os.path.join(work, model, "ort_inputs")
    write_raw_inputs(data, raw)
    first = {k: os.path.join(pair, k, "first") for k in ("parallax", "ort")}
    for d in first.values():
        os.makedirs(d)
    commands = {
        "parallax": [os.path.join(args.bin, "parallax-run"), onnx_path, "--inputs", data,
                     "--outputs", first["parallax"], "--warmup", str(args.warmup),
                     "--threads", str(threads), "--serve"],
        "ort": ["node", os.path.join(BENCH, "ort_runner.mjs"), "--model", onnx_path,
                "--inputs", raw, "--outputs", first["ort"], "--warmup", str(args.warmup),
                "--threads", str(threads), "--mode", args.ort_mode],
    }
    results = {k: {"times": [], "error": None} for k in commands}
    runners = {}
    # Started one after the other so that neither's load and warm-ups compete with the other's.
    for key, cmd in commands.items():
        runner = Runner(key, cmd, os.path.join(pair, f"{key}.log"), args.timeout)
        try:
            runner.start()
            runners[key] = runner
        except RunnerError as e:
            runner.kill()
            results[key]["error"] = str(e).split(": ", 1)[1]
    # At least --runs timed runs each, and more (up to 4x) while either side has timed less than
    # --min-seconds: a fast model's 60 runs last a fraction of a second, too short a window for
    # its median to ride out a burst of noise from the rest of a shared machine.
    def short():
        return any(sum(results[k]["times"]) < 1000.0 * args.min_seconds
                   and len(results[k]["times"]) < 4 * args.runs for k in runners)

    left = args.runs
    while runners and (left > 0 or short()):
        count = min(args.batch, left) if left > 0 else args.batch
        for key in list(runners):
            try:
                results[key]["times"] += runners[key].run(count)
            except RunnerError as e:
                runners.pop(key).kill()
                results[key]["error"] = str(e).split(": ", 1)[1]
            time.sleep(args.pause)
        left -= count
    reference = [read_pb(p) for p in numbered(data, "output", "pb")]
    for key, runner in runners.items():
        r = results[key]
        try:
            last = os.path.join(pair, key, "last")
            runner.write_outputs(last)
            r["peak_rss_kb"] = runner.finish()["peak_rss_kb"]
        except RunnerError as e:
            runner.kill()
            r["error"] = str(e).split(": ", 1)[1]
            continue
        checks = [check_outputs(read_outputs(d), reference, RTOL, REL_ATOL)
                  for d in (first[key], last)]
        r["correct"] = all(ok for ok, _ in checks)
        r["check"] = next((f"{when} run: {text}" for (ok, text), when
                           in zip(checks, ("first", "last")) if not ok), checks[0][1])
    for r in results.values():
        r.update(stats(r["times"]))
    p, o = results["parallax"], results["ort"]
    void = p.get("correct") is False or o.get("correct") is False
    ran = p["median"] is not None and o["median"] is not None and not p["error"] and not o["error"]
    return {"model": model, "threads": threads, "parallax": p, "ort": o,
            "arena": arena_numbers(os.path.join(args.bin, "parallax-compile"), onnx_path, threads),
            "status": "void" if void else "ok" if ran else "failed",
            "ratio": p["median"] / o["median"] if ran and not void else None}


def summary_line(row):
    def side(r):
        if r["error"]:
            return f"failed ({r['error']})"
        return (f"{report.ms(r['median'])} ms [{report.ms(r['min'])}..{report.ms(r['max'])}] "
                f"rss {report.rss_cell(r)} MiB {'ok' if r.get('correct') else 'WRONG'}")
    return (f"{row['model']} threads={row['threads']}: parallax {side(row['parallax'])} | "
            f"ort {side(row['ort'])} | ratio {report.ratio_cell(row)}")


# ---- machine description ----

def simd_features(flags):
    """The widest vector instruction set Parallax's kernels pick on this CPU (nn/simd_level.h):
    it decides which tiles run and whether convolutions take XNNPACK or sgemm (docs/kernels.md)."""
    if "avx512f" in flags and "avx512vl" in flags:
        return "AVX-512"
    if "avx2" in flags and "fma" in flags:
        return "AVX2 + FMA, no AVX-512"
    return "no AVX2"


def machine(args, ort_version):
    lscpu = dict(l.split(":", 1) for l in capture(["lscpu"]).stdout.splitlines() if ":" in l)
    lscpu = {k.strip(): v.strip() for k, v in lscpu.items()}
    with open("/proc/meminfo") as f:
        mem_kib = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
    git = lambda *a: capture(["git", "-C", ROOT, *a]).stdout.strip()  # noqa: E731
    cache = os.path.join(os.path.dirname(os.path.abspath(args.bin)), "CMakeCache.txt")
    build_type = "unknown"
    if os.path.exists(cache):
        with open(cache) as f:
            m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(\w*)", f.read(), re.M)
            build_type = (m.group(1) if m else "") or "default"
    baseline = capture(["node", "--input-type=module", "-e",
                        "await import('onnxruntime-node'); const fs = await import('node:fs'); "
                        "console.log(fs.readFileSync('/proc/self/status', 'utf8')"
                        ".match(/^VmHWM:\\s+(\\d+)/m)[1])"], cwd=BENCH)
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_model": lscpu.get("Model name", platform.processor() or "unknown CPU"),
        "cores": len(os.sched_getaffinity(0)),
        "threads_per_core": lscpu.get("Thread(s) per core", "?"),
        "simd": simd_features(lscpu.get("Flags", "").split()),
        "hypervisor": (lscpu["Hypervisor vendor"] + " virtual machine"
                       if "Hypervisor vendor" in lscpu else ""),
        "kernel": platform.release(),
        "mem_gib": mem_kib / 1024 / 1024,
        "commit": git("rev-parse", "--short", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "parallax_build": build_type,
        "ort_version": ort_version,
        "node_version": capture(["node", "--version"]).stdout.strip().lstrip("v"),
        "node_baseline_mib": (f"{int(baseline.stdout) / 1024:.0f}"
                              if baseline.returncode == 0 else "n/a"),
        "command": os.environ.get("PARALLAX_BENCH_COMMAND")
        or shlex.join(["scripts/benchmark.py"] + sys.argv[1:]),
        "runs": args.runs, "warmup": args.warmup, "batch": args.batch, "pause_s": args.pause,
        "min_seconds": args.min_seconds,
        "ort_mode": args.ort_mode, "thread_counts": args.thread_counts,
    }


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_bin = os.path.join(ROOT, "build-release", "bin")
    p.add_argument("--bin", default=default_bin if os.path.isdir(default_bin)
                   else os.path.join(ROOT, "build", "bin"),
                   help="folder with parallax-run and parallax-compile")
    p.add_argument("--models", default="all", help="names and/or groups, comma-separated")
    p.add_argument("--models-dir", default=os.path.join(ROOT, "build", "models"))
    p.add_argument("--threads", default="1,all", help="thread counts; 'all' = every core")
    p.add_argument("--runs", type=int, default=20, help="timed runs per runtime")
    p.add_argument("--warmup", type=int, default=5, help="untimed runs first (>= 1)")
    p.add_argument("--batch", type=int, default=5, help="timed runs per turn")
    p.add_argument("--min-seconds", type=float, default=1.0,
                   help="keep taking turns (up to 4x --runs) until each runtime has timed this long")
    p.add_argument("--pause", type=float, default=0.1, help="seconds between turns")
    p.add_argument("--ort-mode", choices=("sequential", "parallel"), default="sequential")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per command")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    p.add_argument("--no-install", action="store_true", help="skip npm install (offline)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 unless every model ran with correct numbers")
    args = p.parse_args()
    cores = len(os.sched_getaffinity(0))
    args.thread_counts = sorted({cores if t == "all" else int(t)
                                 for t in args.threads.split(",")})
    if args.runs < 1 or args.warmup < 1 or args.batch < 1:
        p.error("--runs, --warmup and --batch must be at least 1")
    for tool in ("parallax-run", "parallax-compile"):
        if not os.access(os.path.join(args.bin, tool), os.X_OK):
            p.error(f"no {tool} in {args.bin} (build it, or pass --bin)")
    args.bin = os.path.abspath(args.bin)
    args.models_dir = os.path.abspath(args.models_dir)
    return args


def main():
    args = parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.no_install:
        ort_version = json.load(open(os.path.join(
            BENCH, "node_modules", "onnxruntime-node", "package.json")))["version"]
    else:
        ort_version = install_ort(args.work)
    registry = list_models()
    names = select_models(args.models, registry)
    failed = export_models(names, args.models_dir)
    meta = machine(args, ort_version)
    failures = [{"model": n, "reason": f"export: {why}"} for n, why in failed.items()]
    rows = []
    log(f"== benchmark: {len(names) - len(failed)} models x threads {args.thread_counts}, "
        f"{args.warmup} warm-ups + {args.runs} timed runs each ==")
    for threads in args.thread_counts:
        for name in names:
            if name in failed:
                continue
            rows.append(bench_pair(args, name, threads, args.work))
            log(summary_line(rows[-1]))
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "failures": failures}, f, indent=1)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    chart = os.path.splitext(os.path.basename(args.out))[0] + "-ratio.svg"
    os.makedirs(out_dir, exist_ok=True)
    page = report.markdown(meta, rows, failures, chart)
    with open(args.out, "w") as f:
        f.write(page)
    with open(os.path.join(out_dir, chart), "w") as f:
        f.write(report.ratio_chart(rows, args.thread_counts))
    log("\n" + page)
    log(f"wrote {args.out} and {os.path.join(out_dir, chart)}")
    bad = failures + [r for r in rows if r["status"] != "ok"]
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
