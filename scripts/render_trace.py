#!/usr/bin/python3
"""Renders a parallax-run --trace file as an SVG timeline and measures its overlap.

parallax-run --trace FILE writes the last run's steps as Chrome trace JSON: one row (tid) per
executor worker, one complete ("X") event per step with args {step, branch}, plus one event per
stretch a worker spent running another worker's intra-op tiles (args.help = 1, named after the
step it helped). This draws one row per worker, one box per step coloured by branch
(neighbouring branch ids get different colours, so branches of one inception block stand apart;
help boxes are paler, in the colour of the step they helped), with the op name inside where it
fits, and prints what the picture shows in numbers:

  wall        first step's start to last step's end
  busy        per worker, the time it spent in steps or helping (and its share of the wall)
  overlap     the time at least two workers were busy at once, and its share of the wall; and
              the part of it where two workers ran steps of their own (branch parallelism)

  build-rel/bin/parallax-run build/models/yolov8n/model.onnx \\
      --inputs build/models/yolov8n/test_data_set_0 --threads 2 --runs 1 --trace /tmp/y.json
  scripts/render_trace.py /tmp/y.json --out docs/timeline-yolov8n.svg \\
      --title "yolov8n, 2 threads" --zoom 340:437

--zoom A:B (milliseconds from the first step) adds a second panel showing only that window.
Standard library only (Debian's /usr/bin/python3 has no matplotlib).
"""

import argparse
import html
import json
import sys

# Colour-blind-friendly-ish qualitative palette; branch b gets PALETTE[b % len].
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac"]

ROW_H = 34          # pixels per worker row
LABEL_W = 230       # left column with row names
CHAR_W = 6.2        # approximate width of one 10px sans-serif character


def load(path):
    with open(path) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {}
    steps = []
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
        elif e.get("ph") == "X":
            steps.append({
                "name": e.get("name", "?"),
                "op": e.get("cat", ""),
                "tid": e["tid"],
                "start": float(e["ts"]) / 1000.0,  # trace times are microseconds
                "dur": float(e["dur"]) / 1000.0,
                "branch": int(e.get("args", {}).get("branch", -1)),
                "help": bool(e.get("args", {}).get("help", 0)),
            })
    if not steps:
        sys.exit(f"render_trace: {path} has no step events (\"ph\": \"X\")")
    t0 = min(s["start"] for s in steps)
    for s in steps:
        s["start"] -= t0
    tids = sorted(set(names) | {s["tid"] for s in steps})
    return steps, tids, names


def measure(steps, tids):
    """Wall time, per-row busy time, and time with >= 2 rows busy (all in ms)."""
    wall = max(s["start"] + s["dur"] for s in steps)
    busy = {t: 0.0 for t in tids}
    for s in steps:
        busy[s["tid"]] += s["dur"]
    return wall, busy, overlap_of(steps, tids)


def overlap_of(steps, tids):
    """Time (ms) with at least two rows inside one of `steps`."""
    # Sweep over start/end points; per row, steps never overlap themselves, but count depth per
    # row anyway so a malformed trace cannot inflate the overlap.
    points = []
    for s in steps:
        points.append((s["start"], 1, s["tid"]))
        points.append((s["start"] + s["dur"], -1, s["tid"]))
    points.sort(key=lambda p: (p[0], p[1]))  # ends before starts at the same instant
    depth = {t: 0 for t in tids}
    active = 0
    overlap = 0.0
    last = 0.0
    for at, delta, tid in points:
        if active >= 2:
            overlap += at - last
        last = at
        before = depth[tid] > 0
        depth[tid] += delta
        after = depth[tid] > 0
        active += int(after) - int(before)
    return overlap


def short_name(name):
    """'/inception4a/branch2/branch2.1/conv/Conv' -> 'branch2.1/conv'."""
    parts = [p for p in name.split("/") if p]
    if len(parts) >= 3:
        return "/".join(parts[-3:-1])
    return "/".join(parts) or name


def nice_step(span, ticks=10):
    """The smallest 1, 2 or 5 x 10^k at least span / ticks."""
    raw = span / ticks
    for e in range(-3, 7):
        for m in (1, 2, 5):
            if m * 10 ** e >= raw:
                return m * 10 ** e
    return raw


def panel(steps, tids, names, lo, hi, width, y0, title):
    """SVG elements of one timeline panel covering [lo, hi] ms; returns (elements, height)."""
    out = []
    plot_w = width - LABEL_W - 20
    scale = plot_w / (hi - lo)
    x_of = lambda t: LABEL_W + (t - lo) * scale
    out.append(f'<text x="{LABEL_W}" y="{y0 + 14}" class="h">{html.escape(title)}</text>')
    top = y0 + 24
    for i, tid in enumerate(tids):
        y = top + i * ROW_H
        out.append(f'<rect x="{LABEL_W}" y="{y}" width="{plot_w}" height="{ROW_H - 4}" '
                   f'fill="#f4f4f4"/>')
        out.append(f'<text x="{LABEL_W - 6}" y="{y + ROW_H / 2}" class="row">row {tid}</text>')
        out.append(f'<text x="{LABEL_W - 6}" y="{y + ROW_H / 2 + 11}" class="sub">'
                   f'{html.escape(names.get(tid, ""))}</text>')
    for s in steps:
        a, b = max(s["start"], lo), min(s["start"] + s["dur"], hi)
        if b <= a:
            continue
        row = tids.index(s["tid"])
        x, w = x_of(a), max((b - a) * scale, 0.6)
        y = top + row * ROW_H
        colour = PALETTE[s["branch"] % len(PALETTE)] if s["branch"] >= 0 else "#888888"
        tip = (f'{"helping " if s["help"] else ""}{s["name"]} ({s["op"]}) branch {s["branch"]}: '
               f'{s["dur"]:.3f} ms')
        out.append(f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{ROW_H - 4}" '
                   f'fill="{colour}" fill-opacity="{0.4 if s["help"] else 1}" stroke="#ffffff" '
                   f'stroke-width="0.4"><title>{html.escape(tip)}</title></rect>')
        label = short_name(s["name"])
        if len(label) * CHAR_W + 4 > w:
            label = s["op"]
        if len(label) * CHAR_W + 4 <= w:
            out.append(f'<text x="{x + w / 2:.2f}" y="{y + ROW_H / 2 + 1}" class="box">'
                       f'{html.escape(label)}</text>')
    axis_y = top + len(tids) * ROW_H + 2
    step = nice_step(hi - lo)
    t = (int(lo / step) + (lo % step > 1e-9)) * step
    while t <= hi + 1e-9:
        x = x_of(t)
        out.append(f'<line x1="{x:.2f}" y1="{top}" x2="{x:.2f}" y2="{axis_y}" class="grid"/>')
        out.append(f'<text x="{x:.2f}" y="{axis_y + 12}" class="tick">{t:g}</text>')
        t += step
    out.append(f'<text x="{LABEL_W + plot_w}" y="{axis_y + 26}" class="unit">ms</text>')
    return out, axis_y + 32 - y0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace", help="Chrome trace JSON written by parallax-run --trace")
    ap.add_argument("--out", help="SVG file to write (default: only print the numbers)")
    ap.add_argument("--title", default="", help="heading of the picture")
    ap.add_argument("--zoom", help="A:B, milliseconds: add a panel showing only that window")
    ap.add_argument("--width", type=int, default=1400, help="picture width in pixels")
    ap.add_argument("--note", action="append", default=[],
                    help="a line of text under the picture (repeatable), e.g. the command")
    args = ap.parse_args()

    steps, tids, names = load(args.trace)
    wall, busy, overlap = measure(steps, tids)
    lines = [f"wall {wall:.2f} ms, {len(steps)} steps, "
             f"{len({s['branch'] for s in steps})} branches, {len(tids)} workers"]
    for tid in tids:
        lines.append(f"  {names.get(tid, tid)}: busy {busy[tid]:.2f} ms "
                     f"({100 * busy[tid] / wall:.1f}%)")
    own = overlap_of([s for s in steps if not s["help"]], tids)
    lines.append(f"two or more workers busy: {overlap:.2f} ms ({100 * overlap / wall:.1f}% "
                 f"of the run); running branches side by side: {own:.2f} ms "
                 f"({100 * own / wall:.1f}%)")
    print("\n".join(lines))
    if not args.out:
        return

    body, y = [], 8
    elems, h = panel(steps, tids, names, 0.0, wall, args.width, y,
                     f"{args.title} — whole run ({wall:.1f} ms)")
    body += elems
    y += h
    if args.zoom:
        lo, hi = (float(v) for v in args.zoom.split(":"))
        if not 0 <= lo < hi:
            sys.exit(f"render_trace: --zoom {args.zoom}: need 0 <= A < B")
        elems, h = panel(steps, tids, names, lo, min(hi, wall), args.width, y,
                         f"zoom: {lo:g} to {min(hi, wall):g} ms")
        body += elems
        y += h
    for text in [lines[0].replace("  ", ""), *[l.strip() for l in lines[1:]], *args.note]:
        body.append(f'<text x="{LABEL_W}" y="{y + 12}" class="note">{html.escape(text)}</text>')
        y += 15
    y += 8
    style = (".h{font:bold 13px sans-serif}.row{font:12px sans-serif;text-anchor:end}"
             ".sub{font:9px sans-serif;text-anchor:end;fill:#666}"
             ".box{font:10px sans-serif;text-anchor:middle;dominant-baseline:middle;fill:#fff}"
             ".tick{font:10px sans-serif;text-anchor:middle;fill:#444}"
             ".unit{font:10px sans-serif;text-anchor:end;fill:#444}"
             ".grid{stroke:#ccc;stroke-width:0.5}.note{font:11px monospace;fill:#222}")
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{args.width}" height="{y}" '
           f'viewBox="0 0 {args.width} {y}">', f"<style>{style}</style>",
           f'<rect width="{args.width}" height="{y}" fill="#ffffff"/>', *body, "</svg>"]
    with open(args.out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # piped into head
        sys.exit(0)
