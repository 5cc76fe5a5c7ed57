/**
 * The kit's speed benchmark (the cases used to choose the backend: x4, batch 16, 48x48 LR patches): EDSR training
 * steps through the data-parallel pool and an EDSR forward, each timed against the same case in PyTorch in the same
 * run when a Python with torch is available (scripts/bench_torch.py). GFLOP counts are analytic
 * (lib/models/complexity.ts): 2 FLOPs per MAC for a forward, 3 forwards per training step.
 */
import type { SimdBuild } from '../backend/simd/index';
import { execFile, spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { kitModulePath } from '../util/module-path';
import * as tf from '@tensorflow/tfjs';
import { backendInfo, type BackendName, describeBackend, initBackend } from '../backend/index';
import { gpuBufferCounts } from '../backend/webgpu';
import { buildModel } from '../models/build';
import { analyticMacs } from '../models/archs/index';
import type { EdsrConfig } from '../models/types';
import { DataParallelTrainer, type HostArray } from '../parallel/data-parallel';
import type { Scale } from '../types';
import { Rng } from '../util/rng';
import { describeProfile } from './flop-count';
import { type MethodStepResult, paperMethodCase, timeMethodStep } from './method-step';
import { type DckdStepResult, dckdBenchCase, timeDckdStep } from './dckd-step';

export type BenchCaseName = 'edsr-train' | 'student16-train' | 'edsr-infer';
export const BENCH_CASES: readonly BenchCaseName[] = ['edsr-train', 'student16-train', 'edsr-infer'];
/**
 * Whole method iterations: 'dukd-paper' is one DUKD iteration of the paper preset at x4 (method-step.ts);
 * 'dckd-swinir' one DCKD iteration of its SwinIR pair at x4, batch 16, 48 px, with the share of the VQGAN passes
 * (dckd-step.ts). Run by default on GPU backends (in-process), on request elsewhere (a CPU takes minutes to an
 * hour per iteration; --quick shrinks them).
 */
export type MethodCaseName = 'dukd-paper' | 'dckd-swinir';
export const METHOD_CASES: readonly MethodCaseName[] = ['dukd-paper', 'dckd-swinir'];

export interface BenchCase {
  readonly name: BenchCaseName;
  readonly mode: 'train' | 'infer';
  readonly arch: EdsrConfig;
  readonly scale: Scale;
  readonly batch: number;
  /** LR patch (train) or LR image (infer) side, pixels. */
  readonly sizeLr: number;
}

const EDSR_BASELINE: EdsrConfig = { arch: 'edsr', feats: 64, blocks: 16, resScale: 1 };
const STUDENT16: EdsrConfig = { arch: 'edsr', feats: 16, blocks: 4, resScale: 1 };

/** The full-size cases: x4 EDSR-baseline and a 16-channel student, batch 16 of 48x48 LR; one 128x128 LR forward. */
export const BENCH_CASE_DEFS: Readonly<Record<BenchCaseName, BenchCase>> = {
  'edsr-train': { name: 'edsr-train', mode: 'train', arch: EDSR_BASELINE, scale: 4, batch: 16, sizeLr: 48 },
  'student16-train': { name: 'student16-train', mode: 'train', arch: STUDENT16, scale: 4, batch: 16, sizeLr: 48 },
  'edsr-infer': { name: 'edsr-infer', mode: 'infer', arch: EDSR_BASELINE, scale: 4, batch: 1, sizeLr: 128 },
};

export interface BenchOptions {
  /** Default: all of BENCH_CASES. */
  readonly cases?: readonly string[];
  /** Timed iterations per case after one warm-up (default 3). */
  readonly repeats?: number;
  /** Small batches/patches for notebooks (rows say so in `note`). */
  readonly quick?: boolean;
  /** Data-parallel workers for training, and torch's thread count (default os.availableParallelism()). */
  readonly workers?: number;
  /** Compare against PyTorch when a Python with torch is found (default true). */
  readonly torch?: boolean;
  /** Progress lines (default: stderr). */
  readonly log?: (line: string) => void;
  /** Called with each row as soon as its case is done (a run stopped by a time limit keeps the rows so far). */
  readonly onRow?: (row: BenchRow) => void;
  /**
   * 'webgpu' (also SRKD_BACKEND=webgpu): every case on the main thread's webgpu backend, training steps
   * in-process (one GPU device, no worker split). Default: training through the data-parallel wasm pool.
   */
  readonly backend?: BackendName;
}

export interface BenchRow {
  readonly case: BenchCaseName | MethodCaseName;
  readonly backend: string;
  /** Worker count x threads per worker. */
  readonly threads: number;
  /** Build of the kit's SIMD kernels (plain or relaxed SIMD; SRKD_RELAXED_SIMD), null when off or not wasm. */
  readonly simd: SimdBuild | null;
  /** Median seconds per training step / per image. */
  readonly secondsMedian: number;
  /** Achieved GFLOP/s (analytic work / secondsMedian). */
  readonly gflops: number;
  /** Analytic work of one iteration, GFLOP. */
  readonly gflopPerIteration: number;
  readonly batch: number;
  readonly sizeLr: number;
  readonly repeats: number;
  readonly torch?: { readonly secondsMedian: number; readonly gflops: number; readonly layout: string; readonly threads: number; readonly version: string };
  /** Kit speed / torch speed = torch seconds / kit seconds (1 = parity). */
  readonly ratio?: number;
  readonly note?: string;
  /** Method cases: effective TFLOP/s, fraction of the GPU's FP32 peak, GPU memory, projected run time. */
  readonly method?: MethodStepResult;
  /** The DCKD case: step time and the VQGAN passes' share of it. */
  readonly dckd?: DckdStepResult;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function uniform(shape: number[], rng: Rng): HostArray {
  const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng.next();
  return { shape, data };
}

/** The case as run: `quick` shrinks the batch and patch. */
export function resolveCase(name: string, quick: boolean, workers: number): BenchCase {
  if (!(BENCH_CASES as readonly string[]).includes(name)) throw new Error(`unknown bench case '${name}'; known: ${BENCH_CASES.join(', ')}`);
  const c = BENCH_CASE_DEFS[name as BenchCaseName];
  if (!quick) return c;
  return c.mode === 'train' ? { ...c, batch: Math.max(2 * workers, 4), sizeLr: 24 } : { ...c, sizeLr: 48 };
}

/** Analytic GFLOP of one iteration (training step = 3 forwards). */
export function caseGflop(c: BenchCase): number {
  const forward = (2 * c.batch * analyticMacs(c.arch, c.scale, c.sizeLr, c.sizeLr)) / 1e9;
  return c.mode === 'train' ? 3 * forward : forward;
}

const TASK_MODULE = kitModulePath(path.join(__dirname, '..', 'parallel'), 'sr-l1-task');

async function timeTrain(c: BenchCase, workers: number, repeats: number): Promise<{ seconds: number; backend: string; threads: number; simd: BenchRow['simd'] }> {
  const pool = await DataParallelTrainer.start({
    taskModule: TASK_MODULE, taskConfig: { arch: c.arch, scale: c.scale, seed: 0 }, workers,
  });
  try {
    const rng = new Rng(1);
    const inputs = {
      lr: uniform([c.batch, c.sizeLr, c.sizeLr, 3], rng),
      hr: uniform([c.batch, c.sizeLr * c.scale, c.sizeLr * c.scale, 3], rng),
    };
    const times: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const r = await pool.step(inputs, { learningRate: 1e-4 });
      if (i > 0) times.push(r.seconds); // the first step creates optimiser slots and warms kernels
    }
    const sums = await pool.checksums();
    if (sums.some((x) => x !== sums[0])) throw new Error(`data-parallel workers diverged: checksums ${sums.join(', ')}`);
    return { seconds: median(times), backend: pool.backend, threads: pool.threads, simd: pool.simd };
  } finally {
    await pool.dispose();
  }
}

/**
 * Training steps on the main thread's backend (webgpu: one device, no worker split): forward, L1, gradients
 * and an Adam update per step, inputs uploaded once. A step is timed until a value computed after its
 * update has been read back, so all of its GPU work is included.
 */
async function timeTrainInProcess(c: BenchCase, repeats: number): Promise<{ seconds: number; backend: string; threads: number; simd: BenchRow['simd']; path: string }> {
  const info = backendInfo() ?? (await initBackend());
  const net = buildModel(c.arch, c.scale, { seed: 0 });
  const adam = tf.train.adam(1e-4);
  const lr = tf.randomUniform([c.batch, c.sizeLr, c.sizeLr, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const hr = tf.randomUniform([c.batch, c.sizeLr * c.scale, c.sizeLr * c.scale, 3], 0, 1, 'float32', 2);
  const vars = [...net.params.values()];
  const last = vars[vars.length - 1];
  try {
    const times: number[] = [];
    let buffers = '';
    for (let i = 0; i < repeats + 1; i++) {
      const t0 = performance.now();
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.forward(lr, { taps: [] }).out, hr))) as tf.Scalar, vars);
      adam.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      const done = tf.tidy(() => tf.slice(tf.reshape(last, [-1]), 0, 1));
      await done.data();
      tf.dispose([value, grads, done]);
      if (i > 0) times.push((performance.now() - t0) / 1000); // the first step creates Adam slots and compiles shaders
      const b = gpuBufferCounts();
      if (b) buffers = `, GPU memory held ${(b.bytesAllocated / 2 ** 20).toFixed(0)} MiB`;
    }
    return { seconds: median(times), backend: info.name, threads: 1, simd: info.simd, path: `in-process training on the main thread${buffers}` };
  } finally {
    adam.dispose();
    tf.dispose([lr, hr]);
    net.dispose();
  }
}

/**
 * One image through the fastest inference path: the main thread's wasm backend on tfjs's threaded SIMD
 * build with `threads` XNNPACK threads (SRKD_WASM_THREADS overrides; if the backend was already
 * initialised in this process, it is used as it is). Conv + bias (+ ReLU) run as single FusedConv2D
 * kernels (lib/models/layers/conv.ts).
 */
async function timeInfer(c: BenchCase, repeats: number, threads: number): Promise<{ seconds: number; backend: string; threads: number; simd: BenchRow['simd']; path: string }> {
  const info = backendInfo() ?? (await initBackend(process.env.SRKD_WASM_THREADS ? {} : { threads }));
  const net = buildModel(c.arch, c.scale, { seed: 0 });
  try {
    const lr = tf.randomUniform([c.batch, c.sizeLr, c.sizeLr, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const times: number[] = [];
    for (let i = 0; i < repeats + 1; i++) {
      const t0 = performance.now();
      const out = net.forward(lr, { taps: [] }).out;
      await out.data(); // wait for the result (asynchronously: webgpu has no synchronous read in Node)
      tf.dispose(out);
      if (i > 0) times.push((performance.now() - t0) / 1000);
    }
    tf.dispose(lr);
    const build = info.name !== 'wasm' ? info.name : info.threads > 1 ? `wasm threaded-simd build, ${info.threads} threads` : 'wasm simd build, 1 thread';
    return { seconds: median(times), backend: info.name, threads: info.threads, simd: info.simd, path: `one image on the main thread: ${build}, fused conv+bias+relu` };
  } finally {
    net.dispose();
  }
}

/** A Python that imports torch: SRKD_TORCH_PYTHON, else python3, else /usr/bin/python3; null if none. */
export function findTorchPython(): string | null {
  const candidates = [process.env.SRKD_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

type TorchResult = { secondsMedian: number; layout: string; layouts: Record<string, number>; threads: number; torch: string };

function runTorch(python: string, c: BenchCase, threads: number, repeats: number): Promise<TorchResult> {
  const script = path.join(__dirname, '..', '..', 'scripts', 'bench_torch.py');
  const args = [
    script, '--mode', c.mode, '--feats', String(c.arch.feats), '--blocks', String(c.arch.blocks),
    '--res-scale', String(c.arch.resScale), '--scale', String(c.scale), '--batch', String(c.batch),
    '--patch', String(c.sizeLr), '--threads', String(threads), '--repeats', String(repeats),
  ];
  // OpenMP threads must not spin-wait into the next case; pin the pool size too.
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  return new Promise((resolve, reject) => {
    execFile(python, args, { env, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`bench_torch.py failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as TorchResult);
      } catch (e) {
        reject(new Error(`bench_torch.py printed no JSON: ${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs the cases one after another (never concurrently, so each gets every core). */
export async function runBenchmarks(opts: BenchOptions = {}): Promise<BenchRow[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const workers = opts.workers ?? os.availableParallelism();
  const repeats = opts.repeats ?? 3;
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`repeats must be an integer >= 1 (got ${repeats})`);
  const quick = opts.quick ?? false;
  const inProcess = (opts.backend ?? process.env.SRKD_BACKEND) === 'webgpu';
  const names = opts.cases && opts.cases.length ? opts.cases : inProcess ? [...BENCH_CASES, ...METHOD_CASES] : BENCH_CASES;
  const methodCases = names.filter((n): n is MethodCaseName => (METHOD_CASES as readonly string[]).includes(n));
  const cases = names.filter((n) => !(METHOD_CASES as readonly string[]).includes(n)).map((n) => resolveCase(n, quick, workers));
  if (inProcess) log(`bench: ${describeBackend(await initBackend({ backend: 'webgpu', announce: false }))}`);
  const python = opts.torch === false ? null : findTorchPython();
  if (opts.torch !== false && !python) log('bench: no Python with torch found (SRKD_TORCH_PYTHON, python3, /usr/bin/python3); kit only');

  const rows: BenchRow[] = [];
  for (const c of cases) {
    const gflop = caseGflop(c);
    log(`bench: ${c.name}: ${c.mode === 'train' ? `batch ${c.batch}, ${c.sizeLr}x${c.sizeLr} LR patches` : `${c.sizeLr}x${c.sizeLr} LR image`}, ${gflop.toFixed(1)} GFLOP per iteration, ${repeats} timed + 1 warm-up`);
    const kit: { seconds: number; backend: string; threads: number; simd: BenchRow['simd']; path?: string } = c.mode === 'infer' ? await timeInfer(c, repeats, workers)
      : inProcess ? await timeTrainInProcess(c, repeats) : await timeTrain(c, workers, repeats);
    const notes: string[] = [];
    if (quick) notes.push(`quick: batch ${c.batch}, ${c.sizeLr}x${c.sizeLr} LR`);
    if (kit.path) notes.push(python ? `${kit.path}; torch gets ${workers} threads` : kit.path);
    if (inProcess && python) notes.push('the torch columns are PyTorch on the CPU');
    let row: BenchRow = {
      case: c.name, backend: kit.backend, threads: kit.threads, simd: kit.simd, secondsMedian: kit.seconds, gflops: gflop / kit.seconds,
      gflopPerIteration: gflop, batch: c.batch, sizeLr: c.sizeLr, repeats,
    };
    if (python) {
      const t = await runTorch(python, c, workers, repeats);
      row = {
        ...row,
        torch: { secondsMedian: t.secondsMedian, gflops: gflop / t.secondsMedian, layout: t.layout, threads: t.threads, version: t.torch },
        ratio: t.secondsMedian / kit.seconds,
      };
    }
    if (notes.length) row = { ...row, note: notes.join('; ') };
    rows.push(row);
    opts.onRow?.(row);
  }
  for (const name of methodCases) {
    if (name === 'dckd-swinir') {
      const c = dckdBenchCase(quick);
      log(`bench: ${name}: one DCKD iteration, SwinIR pair x${c.scale}, batch ${c.batch}, ${c.sizeLr} px LR${quick ? ' (quick)' : ''}, 1 warm-up, ${repeats} timed, 1 profiled (work and kernel times)`);
      if (!backendInfo()) await initBackend(process.env.SRKD_WASM_THREADS ? { announce: false } : { threads: workers, announce: false });
      const d = await timeDckdStep(c, repeats, { log });
      const info = backendInfo();
      const row: BenchRow = {
        case: name, backend: d.backend, threads: info?.threads ?? 1, simd: info?.simd ?? null, secondsMedian: d.secondsMedian,
        gflops: d.gflopPerIteration / d.secondsMedian, gflopPerIteration: d.gflopPerIteration, batch: c.batch, sizeLr: c.sizeLr, repeats, note: d.note, dckd: d,
      };
      rows.push(row);
      opts.onRow?.(row);
      continue;
    }
    const cfg = paperMethodCase(quick);
    log(`bench: ${name}: one ${cfg.method.kind} iteration of the ${quick ? 'quick' : 'paper'} preset at x${cfg.scale}, 1 warm-up, ${repeats} timed, 1 profiled (work and kernel times)`);
    const m = await timeMethodStep(cfg, repeats);
    const info = backendInfo();
    const row: BenchRow = {
      case: name, backend: m.backend, threads: info?.threads ?? 1, simd: info?.simd ?? null, secondsMedian: m.secondsMedian,
      gflops: m.tflops * 1000, gflopPerIteration: m.gflopPerIteration, batch: cfg.data.batchSize, sizeLr: cfg.data.patchSizeLr, repeats,
      note: [
        m.note,
        m.fractionOfPeak === null ? 'FP32 peak unknown (SRKD_GPU_PEAK_TFLOPS)' : `${(100 * m.fractionOfPeak).toFixed(1)} % of ${m.peakTflops} TFLOP/s FP32 peak`,
        m.gpuMemoryMiB === null ? '' : `GPU memory ${m.gpuMemoryMiB.toFixed(0)} MiB`,
        `${m.totalSteps} steps ≈ ${m.projectedHours.toFixed(1)} h`,
        `ops issued in ${m.hostSecondsMedian.toFixed(3)} s of it`,
        describeProfile(m.profile),
      ].filter(Boolean).join('; '),
      method: m,
    };
    rows.push(row);
    opts.onRow?.(row);
  }
  return rows;
}

/** A plain-text table of bench rows. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const head = ['case', 'backend', 'simd', 'threads', 's/iter', 'GFLOP/s', 'torch s/iter', 'torch GFLOP/s', 'torch layout', 'ratio', 'note'];
  const body = rows.map((r) => [
    r.case, r.backend, r.simd ?? '-', String(r.threads), r.secondsMedian.toFixed(3), r.gflops.toFixed(1),
    r.torch ? r.torch.secondsMedian.toFixed(3) : '-', r.torch ? r.torch.gflops.toFixed(1) : '-',
    r.torch ? `${r.torch.layout} (${r.torch.threads} thr)` : '-', r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '-', r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
