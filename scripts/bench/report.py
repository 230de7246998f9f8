"""Writes the benchmark page (Markdown) and its ratio chart (SVG) from scripts/benchmark.py's
results. Pure formatting: nothing here measures anything.

    page = markdown(meta, rows, failures, "benchmarks-ratio.svg")
    svg = ratio_chart(rows, meta["thread_counts"])
"""
import html
import math

MIB = 1024 * 1024


def ms(x):
    if x is None:
        return "—"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def mib(n_bytes):
    if n_bytes is None:
        return "n/a"
    return f"{n_bytes / MIB:.3f}" if n_bytes < MIB else f"{n_bytes / MIB:.1f}"


def runner_cells(r):
    if r.get("median") is None:
        return "failed"
    return f"{ms(r['median'])} / {ms(r['min'])} / {ms(r['max'])}"


def ratio_cell(row):
    if row["status"] == "void":
        return "**VOID**"
    return "—" if row["ratio"] is None else f"{row['ratio']:.2f}"


def correct_cell(row):
    parts = []
    for label, key in (("Parallax", "parallax"), ("ORT", "ort")):
        r = row[key]
        if r.get("error"):
            parts.append(f"{label} failed")
        elif r.get("correct") is False:
            parts.append(f"{label} WRONG")
    return "yes" if not parts else ", ".join(parts)


def rss_cell(r):
    return "n/a" if r.get("peak_rss_kb") is None else f"{r['peak_rss_kb'] / 1024:.0f}"


def table(rows):
    head = ("| model | Parallax median / min / max (ms) | ORT median / min / max (ms) | "
            "Parallax / ORT | Parallax peak RSS (MiB) | ORT peak RSS (MiB) | arena (MiB) | "
            "lower bound (MiB) | one buffer per tensor (MiB) | correct? |")
    lines = [head, "|" + "---|" * 10]
    for row in rows:
        arena = row.get("arena") or {}
        lines.append(
            f"| {row['model']} | {runner_cells(row['parallax'])} | {runner_cells(row['ort'])} | "
            f"{ratio_cell(row)} | {rss_cell(row['parallax'])} | {rss_cell(row['ort'])} | "
            f"{mib(arena.get('arena'))} | {mib(arena.get('lower_bound'))} | "
            f"{mib(arena.get('naive'))} | {correct_cell(row)} |")
    return "\n".join(lines)


def threads_title(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def markdown(meta, rows, failures, chart_file):
    m = meta
    vm = ", " + m["hypervisor"] if m["hypervisor"] else ""
    out = [
        "# Benchmarks: Parallax vs ONNX Runtime",
        "",
        "This page is generated; do not edit it by hand. The command that wrote it (rerun it to "
        "regenerate the page and the chart):",
        "",
        f"    {m['command']}",
        "",
        f"Measured **{m['date_utc']}** on **{m['cpu_model']}**, {m['cores']} cores available "
        f"({m['threads_per_core']} thread(s) per core{vm}; {m.get('simd', 'SIMD unknown')}), "
        f"{m['mem_gib']:.0f} GiB RAM, Linux {m['kernel']}. Parallax at commit `{m['commit']}`"
        f"{' with uncommitted changes' if m['dirty'] else ''}, {m['parallax_build']} build; "
        f"ONNX Runtime {m['ort_version']} (onnxruntime-node, CPU execution provider) on "
        f"Node.js {m['node_version']}.",
        "",
        "## Method",
        "",
        f"- Every model and thread count gets a fresh pair of processes: `parallax-run --serve` "
        f"and `scripts/bench/ort_runner.mjs`. Each loads the model once and does "
        f"{m['warmup']} untimed warm-up run(s) (the first run's outputs are checked), then the "
        f"two take turns: {m['batch']} timed run(s) in Parallax, {m['batch']} in ONNX Runtime, "
        f"and so on (A/B/A/B) until each has {m['runs']} timed run(s) and, for fast models, "
        f"{m.get('min_seconds', 0):g} s of timed runs (at most {4 * m['runs']} runs). Between "
        "batches the "
        f"benchmark waits {m['pause_s']:g} s so that one runtime's spinning worker threads "
        "do not overlap the other's batch; the idle process is blocked reading its stdin.",
        "- Both read the same input tensors (`test_data_set_0/input_N.pb`, bound once) and time "
        "each inference with a monotonic clock around one call: `Executor::run()` in Parallax, "
        "`await session.run(feeds)` in ONNX Runtime (this includes wrapping the outputs as "
        "JavaScript tensors). Median, min and max are over all timed runs; the ratio is "
        "Parallax's median over ONNX Runtime's (below 1: Parallax is faster).",
        f"- Threads: Parallax `--threads N`; ONNX Runtime `intraOpNumThreads = N`, "
        f"`executionMode = '{m['ort_mode']}'`, `interOpNumThreads = "
        f"{'N' if m['ort_mode'] == 'parallel' else '1'}`, `graphOptimizationLevel = 'all'`, "
        "default CPU arena and memory patterns.",
        "- Peak RSS is each process's own resident high-water mark at the end (`VmHWM` of "
        "`/proc/self/status`; not `getrusage`, whose figure keeps the spawning Python process's "
        "size across exec): model load, "
        "compilation (Parallax compiles at load) or session optimization, and every run. ONNX "
        "Runtime's figure includes the Node.js runtime: a Node process that only loads "
        f"onnxruntime-node peaks at {m['node_baseline_mib']} MiB on this machine.",
        "- Arena, lower bound and one buffer per tensor come from the last line of "
        "`parallax-compile MODEL --emit=plan --threads N` (the memory planner's intermediate "
        "arena, the most bytes live at once in the schedule, and the sum of all intermediate "
        "tensors); `n/a` where the plan does not report them.",
        "- Correctness is checked in the same run: the outputs of the first and the last run of "
        "both runtimes are compared with PyTorch's (`output_N.pb`): "
        "`|got - want| <= atol + rtol * |want|` with rtol 1e-4 and atol 1e-4 times the "
        "largest |want| (the smallest such scale over the outputs), the end-to-end tests' rule. "
        "A row where either runtime's numbers are wrong is **VOID**: no ratio.",
        "",
    ]
    for n in m["thread_counts"]:
        out += [f"## {threads_title(n)}", "", table([r for r in rows if r["threads"] == n]), ""]
    out += ["## Latency ratio per model", "",
            f"![Parallax / ONNX Runtime median latency per model]({chart_file})", ""]
    problems = list(failures)
    for row in rows:
        for label, key in (("Parallax", "parallax"), ("ONNX Runtime", "ort")):
            r = row[key]
            why = r.get("error") or (r.get("check") if r.get("correct") is False else None)
            if why:
                problems.append({"model": f"{row['model']} ({threads_title(row['threads'])})",
                                 "reason": f"{label}: {why}"})
    out += ["## Models that could not run or gave wrong numbers", ""]
    out += [f"- {p['model']}: {p['reason']}" for p in problems] or ["None."]
    out += [""]
    return "\n".join(out)


# ---- chart ----

COLORS = ["#3b6ea8", "#e08a2c", "#5a9e4b", "#a04a9a"]


def ratio_chart(rows, thread_counts):
    """Horizontal bars of Parallax/ORT median latency per model, one bar per thread count,
    drawn from the parity line (ratio 1) on a log2 axis."""
    models = list(dict.fromkeys(r["model"] for r in rows))
    by_key = {(r["model"], r["threads"]): r for r in rows}
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    # An extra octave on the left leaves room for the value printed left of a short bar.
    lo = 2.0 ** (math.floor(math.log2(min(ratios + [0.5]) / 1.15)) - 1)
    hi = 2.0 ** math.ceil(math.log2(max(ratios + [2.0]) * 1.15))
    left, right, top, bar, gap = 190, 40, 60, 14, 10
    width = 800
    plot_w = width - left - right
    group_h = bar * len(thread_counts) + gap
    height = top + group_h * len(models) + 40

    def x(r):
        return left + plot_w * (math.log2(r) - math.log2(lo)) / (math.log2(hi) - math.log2(lo))

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">Parallax / ONNX '
           'Runtime median latency (log scale; left of 1 = Parallax faster)</text>']
    for i, n in enumerate(thread_counts):
        lx = left + i * 110
        svg.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{COLORS[i % 4]}"/>'
                   f'<text x="{lx + 16}" y="42">{threads_title(n)}</text>')
    bottom = top + group_h * len(models)
    tick = lo
    while tick <= hi * 1.0001:
        tx = x(tick)
        label = f"{tick:g}" if tick >= 1 else f"1/{1 / tick:g}"
        svg.append(f'<line x1="{tx:.1f}" y1="{top - 6}" x2="{tx:.1f}" y2="{bottom}" '
                   f'stroke="{"#333" if tick == 1 else "#ddd"}"/>'
                   f'<text x="{tx:.1f}" y="{bottom + 16}" text-anchor="middle">{label}</text>')
        tick *= 2
    for gi, model in enumerate(models):
        y0 = top + gi * group_h
        label_y = y0 + bar * len(thread_counts) / 2 + 4
        svg.append(f'<text x="{left - 8}" y="{label_y:.1f}" text-anchor="end">'
                   f'{html.escape(model)}</text>')
        for i, n in enumerate(thread_counts):
            row = by_key.get((model, n))
            y = y0 + i * bar
            if row is None:
                continue
            if row["ratio"] is None or row["status"] != "ok":
                text = "VOID" if row["status"] == "void" else "n/a"
                svg.append(f'<text x="{x(1) + 4:.1f}" y="{y + bar - 3}" fill="#b00">{text}</text>')
                continue
            x1, x2 = sorted((x(1), x(row["ratio"])))
            svg.append(f'<rect class="bar" x="{x1:.1f}" y="{y + 1}" '
                       f'width="{max(x2 - x1, 1):.1f}" height="{bar - 2}" fill="{COLORS[i % 4]}"/>')
            tx, anchor = (x2 + 4, "start") if row["ratio"] >= 1 else (x1 - 4, "end")
            svg.append(f'<text x="{tx:.1f}" y="{y + bar - 3}" text-anchor="{anchor}" '
                       f'font-size="10">{row["ratio"]:.2f}</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"
