#!/usr/bin/python3
"""CI slice of the benchmark: runs scripts/benchmark.py on a few models with one warm-up and one
timed run, at 1 thread and at every core, writing WORK/benchmarks.md and its chart, then checks
what it wrote: every (model, thread count) row is in the page with correct numbers from both
runtimes and a ratio, and the chart has one bar per row. Speed is never asserted.

Usage: run_slice.py --bin build/bin --models a,b --models-dir build/models --work DIR
"""
import argparse
import os
import subprocess
import sys
import xml.dom.minidom

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--models-dir", required=True)
    p.add_argument("--work", required=True)
    args = p.parse_args()
    page = os.path.join(args.work, "benchmarks.md")
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "benchmark.py"), "--bin", args.bin,
           "--models", args.models, "--models-dir", args.models_dir, "--runs", "1",
           "--warmup", "1", "--batch", "1", "--pause", "0", "--threads", "1,all",
           "--work", os.path.join(args.work, "runs"), "--out", page, "--check"]
    print("+", " ".join(cmd), flush=True)
    if subprocess.call(cmd) != 0:
        return "benchmark.py --check failed (a model did not run or gave wrong numbers)"

    with open(page) as f:
        text = f.read()
    rows = [line for line in text.splitlines()
            if any(line.startswith(f"| {m} |") for m in args.models.split(","))]
    cores = len(os.sched_getaffinity(0))
    want = len(args.models.split(",")) * (1 if cores == 1 else 2)
    if len(rows) != want:
        return f"page has {len(rows)} model rows, want {want}:\n{text}"
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if cells[-1] != "yes" or not cells[3].replace(".", "", 1).isdigit():
            return f"row without correct numbers or ratio: {row}"
    svg = xml.dom.minidom.parse(os.path.join(args.work, "benchmarks-ratio.svg"))
    bars = [r for r in svg.getElementsByTagName("rect") if r.getAttribute("class") == "bar"]
    if len(bars) != want:
        return f"chart has {len(bars)} bars, want {want}"
    print(f"bench slice: {len(rows)} rows, {len(bars)} chart bars, all correct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
