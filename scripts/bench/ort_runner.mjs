// ONNX Runtime side of scripts/benchmark.py: runs one model with onnxruntime-node (CPU) and
// speaks the same stdin protocol as `parallax-run --serve`, so the benchmark can keep both
// processes alive and alternate batches of timed runs between them.
//
//   node ort_runner.mjs --model M.onnx --inputs DIR --threads N [--mode sequential|parallel]
//                       [--warmup W] [--outputs DIR]
//   node ort_runner.mjs --probe --model relu.onnx   # install check: y = Relu(x), x float32[2]
//
// DIR/inputs.json lists the graph inputs in order, [{"file", "dtype", "dims"}], each file the
// raw little-endian bytes of the tensor; benchmark.py writes them from test_data_set_0's
// input_N.pb so both runtimes get the same tensors. Inputs are bound by position, as
// parallax-run binds input_N.pb to the N-th graph input.
//
// After loading, the first run's outputs are written to --outputs (output_N.bin plus
// outputs.json) for benchmark.py to check, W-1 more untimed runs follow, then "ready" is printed
// and commands are answered one line each:
//   run K        "times_ms T1 ... TK" (wall time of each awaited session.run, milliseconds)
//   outputs DIR  writes the latest run's outputs to DIR, answers "written"
//   quit or EOF  prints "latency_ms median= min= max= runs= peak_rss_kb=" and exits
// Errors go to stderr and exit with status 1.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';

const ARRAYS = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array, bool: Uint8Array, float16: Uint16Array,
};

function parseArgs(argv) {
  const args = { mode: 'sequential', warmup: 5, threads: 1 };
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i];
    if (key === '--probe') { args.probe = true; continue; }
    if (!key.startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument '${key}'`);
    args[key.slice(2)] = argv[++i];
  }
  args.threads = Number(args.threads);
  args.warmup = Math.max(1, Number(args.warmup));
  if (!['sequential', 'parallel'].includes(args.mode)) throw new Error(`bad --mode '${args.mode}'`);
  return args;
}

function loadInputs(ort, dir) {
  const specs = JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json'), 'utf8'));
  return specs.map((spec) => {
    const Array = ARRAYS[spec.dtype];
    if (!Array) throw new Error(`input ${spec.file}: dtype ${spec.dtype} is not supported here`);
    const bytes = fs.readFileSync(path.join(dir, spec.file));
    // Copy into a fresh ArrayBuffer: a Buffer's offset need not be aligned for the element type.
    const data = new Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    return new ort.Tensor(spec.dtype, data, spec.dims);
  });
}

function writeOutputs(session, results, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const specs = session.outputNames.map((name, i) => {
    const t = results[name];
    const file = `output_${i}.bin`;
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    fs.writeFileSync(path.join(dir, file), bytes);
    return { name, file, dtype: t.type, dims: t.dims };
  });
  fs.writeFileSync(path.join(dir, 'outputs.json'), JSON.stringify(specs));
}

// This process's resident high-water mark (VmHWM, KiB), as parallax-run reports it. Not
// getrusage's maxRSS: that keeps the peak of the process image before exec, so a runner spawned
// by a large Python process would report at least the Python process's size.
function peakRssKib() {
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+)/m);
  return m ? Number(m[1]) : process.resourceUsage().maxRSS;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = await import('onnxruntime-node');
  if (args.probe) {
    const s = await ort.InferenceSession.create(args.model);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, -2]), [2]) });
    const y = Array.from(r.y.data);
    console.log(`onnxruntime-node ${ort.env.versions.node} loaded; probe output ${y}`);
    return;
  }
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: args.mode,
    intraOpNumThreads: args.threads,
    // Sequential mode runs one node at a time, so an inter-op pool would stay idle.
    interOpNumThreads: args.mode === 'parallel' ? args.threads : 1,
  });
  const tensors = loadInputs(ort, args.inputs);
  if (tensors.length !== session.inputNames.length) {
    throw new Error(
      `model has ${session.inputNames.length} inputs, ${args.inputs} has ${tensors.length}`);
  }
  const feeds = Object.fromEntries(session.inputNames.map((name, i) => [name, tensors[i]]));

  let results = await session.run(feeds);
  if (args.outputs) writeOutputs(session, results, args.outputs);
  for (let k = 1; k < args.warmup; ++k) results = await session.run(feeds);
  console.log('ready');

  const all = [];
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    if (line === 'quit') break;
    if (line.startsWith('run ')) {
      const ms = [];
      for (let k = Number(line.slice(4)); k > 0; --k) {
        const t0 = performance.now();
        results = await session.run(feeds);
        ms.push(performance.now() - t0);
      }
      all.push(...ms);
      console.log(`times_ms ${ms.map((t) => t.toFixed(4)).join(' ')}`);
    } else if (line.startsWith('outputs ')) {
      writeOutputs(session, results, line.slice(8));
      console.log('written');
    } else {
      throw new Error(`unknown command '${line}'`);
    }
  }
  rl.close();
  if (all.length) {
    const sorted = [...all].sort((a, b) => a - b);
    const n = sorted.length;
    const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    console.log(`latency_ms median=${median.toFixed(4)} min=${sorted[0].toFixed(4)} ` +
                `max=${sorted[n - 1].toFixed(4)} runs=${n} peak_rss_kb=${peakRssKib()}`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`ort_runner: error: ${e.message}`);
  process.exit(1);
});
