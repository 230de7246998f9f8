"""The two benchmark processes and the output check used by scripts/benchmark.py.

A Runner owns one long-lived process that speaks the benchmark's stdin protocol: either
`parallax-run MODEL --serve ...` or `node ort_runner.mjs ...`. The process loads the model,
writes its first run's outputs, does its warm-ups, prints "ready" and then answers one line per
command (`run K` -> `times_ms ...`, `outputs DIR` -> `written`, `quit` -> the `latency_ms ...`
summary with `peak_rss_kb=`). Keeping both processes alive lets the benchmark alternate batches
of timed runs between them while paying model load and warm-up once.

    r = Runner("parallax", [exe, model, "--serve", ...], log_path, timeout_s=600)
    r.start()                # raises RunnerError with the process's own error message
    times = r.run(5)
    r.write_outputs(dir)
    summary = r.finish()     # {"peak_rss_kb": ..., ...}
"""
import glob
import json
import os
import re
import select
import subprocess
import time

import numpy as np
from onnx import TensorProto, numpy_helper


class RunnerError(Exception):
    pass


class Runner:
    def __init__(self, label, cmd, log_path, timeout_s, cwd=None):
        self.label = label
        self.cmd = cmd
        self.log_path = log_path
        self.timeout_s = timeout_s
        self.cwd = cwd
        self.proc = None
        self._buf = b""

    def start(self):
        self._log = open(self.log_path, "wb")
        try:
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._log, cwd=self.cwd)
        except OSError as e:
            self._log.close()
            raise RunnerError(f"{self.label}: cannot start {self.cmd[0]}: {e.strerror}")
        # parallax-run prints its output summaries first; everything up to "ready" is skipped.
        while self._read_line() != "ready":
            pass

    def run(self, count):
        answer = self._ask(f"run {count}", "times_ms")
        times = [float(t) for t in answer.split()[1:]]
        if len(times) != count:
            raise RunnerError(f"{self.label}: asked for {count} runs, got '{answer}'")
        return times

    def write_outputs(self, folder):
        os.makedirs(folder, exist_ok=True)
        self._ask(f"outputs {folder}", "written")

    def finish(self):
        """Sends quit; returns the fields of the final latency_ms line (numbers as floats)."""
        line = self._ask("quit", "latency_ms")
        self.proc.stdin.close()
        self._wait()
        fields = dict(kv.split("=", 1) for kv in line.split()[1:])
        return {k: v if k == "times" else float(v) for k, v in fields.items()}

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self._log.close()

    def _wait(self):
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
        self._log.close()

    def _ask(self, command, answer_prefix):
        try:
            self.proc.stdin.write((command + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise RunnerError(self._died())
        line = self._read_line()
        if not line.startswith(answer_prefix):
            raise RunnerError(f"{self.label}: unexpected answer to '{command}': '{line}'")
        return line

    def _read_line(self):
        deadline = time.monotonic() + self.timeout_s
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RunnerError(f"{self.label}: no answer within {self.timeout_s} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RunnerError(self._died())
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def _died(self):
        """The reason a process ended early: its last error line, else its exit status."""
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        with open(self.log_path, errors="replace") as f:
            lines = [l.strip() for l in f if l.strip()]
        errors = [l for l in lines if "error" in l.lower()]
        reason = (errors or lines or [f"exited with status {code}"])[-1]
        return f"{self.label}: {reason}"


# ---- inputs and outputs ----

def read_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def numbered(folder, kind, ext):
    """folder/kind_0.ext, kind_1.ext, ... in numeric order."""
    paths = glob.glob(os.path.join(folder, f"{kind}_*.{ext}"))
    return sorted(paths, key=lambda p: int(re.search(r"_(\d+)\.", os.path.basename(p)).group(1)))


def write_raw_inputs(data_dir, out_dir):
    """Converts data_dir/input_N.pb to out_dir/input_N.bin + inputs.json for ort_runner.mjs."""
    os.makedirs(out_dir, exist_ok=True)
    specs = []
    for i, path in enumerate(numbered(data_dir, "input", "pb")):
        a = np.ascontiguousarray(read_pb(path))
        file = f"input_{i}.bin"
        a.astype(a.dtype.newbyteorder("<")).tofile(os.path.join(out_dir, file))
        specs.append({"file": file, "dtype": a.dtype.name, "dims": list(a.shape)})
    with open(os.path.join(out_dir, "inputs.json"), "w") as f:
        json.dump(specs, f)
    return len(specs)


def read_outputs(folder):
    """A runner's outputs: output_N.pb (parallax-run) or outputs.json + .bin (ort_runner)."""
    manifest = os.path.join(folder, "outputs.json")
    if not os.path.exists(manifest):
        return [read_pb(p) for p in numbered(folder, "output", "pb")]
    with open(manifest) as f:
        specs = json.load(f)
    return [np.fromfile(os.path.join(folder, s["file"]), dtype=np.dtype(s["dtype"]))
            .reshape(s["dims"]) for s in specs]


def check_outputs(actual, expected, rtol, rel):
    """Returns (ok, text). Floats pass when |a - b| <= atol + rtol * |b| with
    atol = rel * min over float outputs of max|b| (as tests/e2e/compare_model.py); NaN equals
    NaN; other types must match exactly."""
    if len(actual) != len(expected):
        return False, f"{len(actual)} outputs, reference has {len(expected)}"
    peaks = [float(np.abs(b).max()) for b in expected if b.dtype.kind == "f" and b.size]
    peaks = [p for p in peaks if p > 0]
    atol = rel * (min(peaks) if peaks else 1.0)
    worst = 0.0
    for i, (a, b) in enumerate(zip(actual, expected)):
        if a.shape != b.shape:
            return False, f"output {i}: shape {list(a.shape)}, reference {list(b.shape)}"
        if b.dtype.kind == "f":
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            err = np.abs(a64 - b64)
            nan_ok = np.isnan(a64) == np.isnan(b64)
            bad = ~nan_ok | (~np.isnan(b64) & (err > atol + rtol * np.abs(b64)))
            if bad.any():
                return False, (f"output {i}: {int(bad.sum())} of {b.size} elements off, "
                               f"max_abs_err {np.nanmax(err):.3g} (atol {atol:.3g})")
            if err.size:
                worst = max(worst, float(np.nanmax(err)))
        elif not np.array_equal(a, b):
            return False, f"output {i}: {int((a != b).sum())} of {b.size} elements differ"
    return True, f"max_abs_err {worst:.3g} (atol {atol:.3g}, rtol {rtol:g})"
