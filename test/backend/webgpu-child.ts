/**
 * The webgpu checks, run by webgpu.test.ts in a process of their own (a crash inside Dawn must not take
 * the test runner down) with --expose-gc. Prints one JSON line: { unavailable } when no adapter can be
 * created, else the measurements that webgpu.test.ts asserts on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type BackendInfo, initBackend } from '../../lib/backend/index';
import { checkCases, groupNormCase, modelStepCases, vggBlockCase } from '../../lib/backend/gradient-check';
import { activateCpuReference, assertKernelsRegistered, backboneKernels, missingKernels } from '../../lib/backend/kernel-check';
import { gpuBufferCounts, gpuDispatchCount } from '../../lib/backend/webgpu';
import { upscaleFile } from '../../lib/cli/commands/upscale';
import { readImage } from '../../lib/data/decode';
import { evaluate } from '../../lib/eval/evaluate';
import { exactOverlap, upscaleTiledData } from '../../lib/eval/tiled';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig } from '../../lib/models/types';
import { emaUpdate, KitAdamOptimizer } from '../../lib/parallel/weight-updates';
import type { Scale } from '../../lib/types';
import { Rng } from '../../lib/util/rng';
import { sharedPath } from '../shared';

const ARCHS: ReadonlyArray<readonly [ArchConfig, Scale]> = [
  [{ arch: 'edsr', feats: 64, blocks: 16, resScale: 0.1 }, 4],
  [{ arch: 'rcan', feats: 64, groups: 10, blocks: 20, reduction: 16, resScale: 1 }, 3],
  [{ arch: 'swinir', embedDim: 180, depths: [6, 6, 6, 6, 6, 6], heads: [6, 6, 6, 6, 6, 6], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64 }, 2],
  [{ arch: 'swinir', embedDim: 60, depths: [6, 6, 6, 6], heads: [6, 6, 6, 6], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64 }, 4],
];

const SWIN_TINY: ArchConfig = {
  arch: 'swinir', embedDim: 12, depths: [2], heads: [3], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8,
};

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

type StepTrace = { losses: number[]; numTensors: number[]; gpuBuffersUsed: number[]; gpuBytesAllocated: number[] };

/**
 * Four Adam steps of a tiny SwinIR on fixed data, the loss read back asynchronously (as a training loop
 * logs it); returns per-step losses and, on webgpu, the live tensor and GPU buffer counts.
 */
async function trainSteps(): Promise<StepTrace> {
  const net = buildModel(SWIN_TINY, 2, { seed: 3 });
  const rng = new Rng(5);
  const lr = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 * 3 }, () => rng.next()), [2, 8, 8, 3]);
  const hr = tf.tensor4d(Float32Array.from({ length: 2 * 16 * 16 * 3 }, () => rng.next()), [2, 16, 16, 3]);
  const adam = tf.train.adam(1e-3);
  const trace: StepTrace = { losses: [], numTensors: [], gpuBuffersUsed: [], gpuBytesAllocated: [] };
  try {
    const vars = [...net.params.values()];
    for (let step = 0; step < 4; step++) {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.forward(lr, { taps: [] }).out, hr))) as tf.Scalar, vars);
      adam.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      tf.dispose(grads);
      trace.losses.push((await value.data())[0]);
      value.dispose();
      trace.numTensors.push(tf.memory().numTensors);
      const b = gpuBufferCounts();
      trace.gpuBuffersUsed.push(b ? b.used : -1);
      trace.gpuBytesAllocated.push(b ? b.bytesAllocated : -1);
    }
  } finally {
    adam.dispose();
    tf.dispose([lr, hr]);
    net.dispose();
  }
  return trace;
}

/**
 * A one-image benchmark set (Set5 butterfly, 64x64 LR) through `evaluate`, and a tiled upscale (`upscaleFile`
 * and the raw tiled output of a random image), with a tiny EDSR x4.
 */
async function evalRun(tmp: string): Promise<{ psnr: number[]; tiled: Float32Array; tensorsBefore: number; tensorsAfter: number }> {
  const arch: ArchConfig = { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 };
  const net = buildModel(arch, 4, { seed: 7 });
  try {
    const tensorsBefore = tf.memory().numTensors;
    const result = await evaluate(net, { sets: [path.join(tmp, 'Mini')], scale: 4 });
    const lr = tf.tidy(() => tf.randomUniform([1, 30, 26, 3], 0, 1, 'float32', 11)) as tf.Tensor4D;
    const tiled = await upscaleTiledData(net, lr, { tile: 20, overlap: exactOverlap(arch, 4)! });
    lr.dispose();
    await upscaleFile(net, path.join(tmp, 'Mini/LR_bicubic/X4/butterflyx4.png'), path.join(tmp, `butterfly-${tf.getBackend()}.png`), { tile: 32, overlap: 8 });
    return { psnr: result.rows.map((r) => r.psnr), tiled: tiled.data, tensorsBefore, tensorsAfter: tf.memory().numTensors };
  } finally {
    net.dispose();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Variable shapes for the fused Adam and EMA updates: a filter, a bias, one value, and a tensor whose
 * dispatch passes WebGPU's 65,535 workgroups in x (tfjs spreads it over y). */
const UPDATE_SHAPES: readonly number[][] = [[3, 3, 5, 7], [7], [1], [3000, 3001]];

export type UpdateTrace = {
  fused: boolean; values: number[][]; ema: number[][]; slots: number[][]; slotNames: string[];
  kernels: number; kernelNames: string[]; dispatches: number | null; numTensors: number[]; gpuBytesAllocated: number[];
  /** The adapter has timestamp queries: tf.profile then times each kernel through 16-byte query buffers. */
  timestampQuery: boolean;
};

/**
 * Four Adam + EMA updates of UPDATE_SHAPES through the trainer's optimiser (KitAdamOptimizer, emaUpdate) with
 * a learning rate that changes per step; the last under tf.profile (whose timestamp buffers join the pool). Returns the values, EMA and Adam slots
 * (sampled: every 997th element, so the JSON stays small), the kernels of one update, and per-step counts.
 */
async function weightUpdates(): Promise<UpdateTrace> {
  const rng = new Rng(31);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.next() - 0.5), shape);
  const vars = UPDATE_SHAPES.map((s, i) => tf.variable(rand(s), true, `upd${tf.getBackend()}${i}`));
  const emas = vars.map((v) => tf.variable(tf.clone(v), false));
  const adam = new KitAdamOptimizer(0, 0.9, 0.99, 1e-8);
  const trace: UpdateTrace = { fused: KitAdamOptimizer.fused(), values: [], ema: [], slots: [], slotNames: [], kernels: 0, kernelNames: [], dispatches: null, numTensors: [], gpuBytesAllocated: [],
    timestampQuery: (tf.backend() as unknown as { supportTimestampQuery?: boolean }).supportTimestampQuery === true };
  const sample = async (t: tf.Tensor): Promise<number[]> => Array.from(await t.data()).filter((_, i) => i % 997 === 0);
  try {
    for (let step = 0; step < 4; step++) {
      (adam as unknown as { learningRate: number }).learningRate = 1e-2 * (step + 1);
      const grads = tf.tidy(() => UPDATE_SHAPES.map((s) => tf.mul(rand(s), step + 1)));
      const update = (): tf.Tensor[] => {
        adam.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
        vars.forEach((v, i) => emaUpdate(emas[i], v, 0.999));
        return [];
      };
      if (step === 3) {
        const before = gpuDispatchCount();
        const info = await tf.profile(update);
        trace.dispatches = before === null ? null : gpuDispatchCount()! - before;
        trace.kernels = info.kernels.length;
        trace.kernelNames = [...new Set(info.kernels.map((k) => k.name))].sort();
      } else update();
      tf.dispose(grads);
      await vars[0].data();
      trace.numTensors.push(tf.memory().numTensors);
      trace.gpuBytesAllocated.push(gpuBufferCounts()?.bytesAllocated ?? -1);
    }
    const slots = await adam.getWeights();
    trace.values = await Promise.all(vars.map(sample));
    trace.ema = await Promise.all(emas.map(sample));
    trace.slots = await Promise.all(slots.map((w) => sample(w.tensor)));
    trace.slotNames = slots.map((w) => w.name.replace(tf.getBackend(), ''));
  } finally {
    adam.dispose();
    tf.dispose([...vars, ...emas]);
  }
  return trace;
}

/** Shapes that exercise the kit's webgpu Conv2DBackpropFilter: several 64-wide tiles with ragged ends, strides,
 * 'valid' padding, 1x1 filters, and a position count that splits into ragged chunks (2700 = 11 x 246 + ...). */
const FILTER_GRAD_CASES: readonly { x: number[]; filter: number[]; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 9, 9, 70], filter: [3, 3, 70, 66], stride: 1, pad: 'same' },
  { x: [1, 8, 8, 4], filter: [3, 3, 4, 5], stride: 2, pad: 'same' },
  { x: [2, 7, 7, 3], filter: [3, 3, 3, 8], stride: 1, pad: 'valid' },
  { x: [1, 6, 6, 5], filter: [1, 1, 5, 7], stride: 1, pad: 'same' },
  { x: [3, 30, 30, 4], filter: [3, 3, 4, 3], stride: 1, pad: 'same' },
];

/** The active backend's Conv2DBackpropFilter against the cpu backend's on FILTER_GRAD_CASES: max |diff| / max |cpu|. */
async function filterGradRows(): Promise<{ shape: string; relErr: number }[]> {
  const rows: { shape: string; relErr: number }[] = [];
  const rng = new Rng(11);
  for (const c of FILTER_GRAD_CASES) {
    const out = c.pad === 'same' ? Math.ceil(c.x[1] / c.stride) : Math.ceil((c.x[1] - c.filter[0] + 1) / c.stride);
    const xData = Float32Array.from({ length: c.x.reduce((a, d) => a * d, 1) }, () => rng.next() - 0.5);
    const dyShape = [c.x[0], out, out, c.filter[3]];
    const dyData = Float32Array.from({ length: dyShape.reduce((a, d) => a * d, 1) }, () => rng.next() - 0.5);
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter } as never;
    const run = async (): Promise<Float32Array> => {
      const [x, dy] = [tf.tensor(xData, c.x), tf.tensor(dyData, dyShape)];
      const g = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor;
      const data = (await g.data()) as Float32Array;
      tf.dispose([x, dy, g]);
      return data;
    };
    const gpu = await run();
    await activateCpuReference();
    const cpu = await run();
    await tf.setBackend('webgpu');
    rows.push({ shape: `x ${c.x.join('x')}, filter ${c.filter.join('x')}, stride ${c.stride}, ${c.pad}`, relErr: maxAbsDiff(gpu, cpu) / maxAbsDiff(cpu, new Float32Array(cpu.length)) });
  }
  return rows;
}

async function main(): Promise<void> {
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string): void => {
    seconds[name] = (performance.now() - t) / 1000;
    t = performance.now();
  };
  let info: BackendInfo;
  try {
    info = await initBackend({ backend: 'webgpu', announce: false });
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ unavailable: e instanceof Error ? e.message : String(e) })}\n`);
    return;
  }
  lap('init');
  gc(); // a collected Dawn instance used to abort the process a few ops later (webgpu.ts keeps them alive)

  const missing: Record<string, string[]> = {};
  for (const [arch, scale] of ARCHS) {
    const names = await backboneKernels(arch, scale);
    missing[`${arch.arch} x${scale}`] = missingKernels(names, 'webgpu');
  }
  let missingError = '';
  try {
    assertKernelsRegistered(['Conv2D', 'NoSuchKernel', 'AlsoMissing'], 'the test graph');
  } catch (e) {
    missingError = (e as Error).message;
  }
  const filterGrads = await filterGradRows();
  lap('kernels');

  const gradRows = await checkCases(modelStepCases(new Rng(2026)), 'webgpu');
  const featureRows = await checkCases([vggBlockCase(new Rng(7)), groupNormCase(new Rng(8))], 'webgpu');
  lap('gradients');
  gc();

  const gpuSteps = await trainSteps();
  await activateCpuReference();
  const cpuSteps = await trainSteps();
  await tf.setBackend('webgpu');
  const gpuUpdates = await weightUpdates();
  await activateCpuReference();
  const cpuUpdates = await weightUpdates();
  await tf.setBackend('webgpu');
  lap('train');

  // the same 40 short-lived tensors, unprofiled and under tf.profile: what the buffer pool grows by each time
  const poolGrowth = async (profiled: boolean): Promise<number> => {
    const x = tf.randomNormal([256, 256], 0, 1, 'float32', 7);
    await x.data();
    const before = gpuBufferCounts()?.bytesAllocated ?? 0;
    const run = async (): Promise<tf.Tensor[]> => {
      for (let i = 0; i < 40; i++) tf.dispose(tf.tidy(() => tf.add(tf.mul(x, i), 1)));
      await x.data();
      return [];
    };
    if (profiled) await tf.profile(run); else await run();
    x.dispose();
    return (gpuBufferCounts()?.bytesAllocated ?? 0) - before;
  };
  const profiledPool = { plain: await poolGrowth(false), profiled: await poolGrowth(true), tensorBytes: 256 * 256 * 4 };

  // what the dispatch counter counts: a shader run per element-wise op; nothing for a reshape or a clone
  const probe = tf.randomNormal([64, 64]); // above tfjs-webgpu's size for running small ops on the CPU
  const dispatchesOf = (f: () => tf.Tensor): number => {
    const before = gpuDispatchCount()!;
    tf.dispose(f());
    return gpuDispatchCount()! - before;
  };
  const dispatchProbe = {
    addMul: dispatchesOf(() => tf.tidy(() => tf.mul(tf.add(probe, 1), 2))),
    reshape: dispatchesOf(() => tf.reshape(probe, [4096])),
    clone: dispatchesOf(() => tf.clone(probe)),
  };
  probe.dispose();

  let readSyncError = '';
  const big = tf.matMul(tf.randomNormal([64, 64]), tf.randomNormal([64, 64]));
  try {
    big.dataSync();
  } catch (e) {
    readSyncError = (e as Error).message;
  }
  tf.dispose(big);

  // two commands WebGPU rejects (buffers with usages it forbids together): the next read fails naming the first
  // and counting both, the one after reads again
  const gpuError = { message: '', afterwards: [] as number[] };
  const device = (tf.backend() as unknown as { device: { createBuffer(d: { size: number; usage: number }): { destroy(): void } } }).device;
  const G = globalThis as unknown as { GPUBufferUsage: { MAP_READ: number; STORAGE: number } };
  const invalid = [4, 8].map((size) => device.createBuffer({ size, usage: G.GPUBufferUsage.MAP_READ | G.GPUBufferUsage.STORAGE }));
  const sum = tf.add(tf.ones([64, 64]), 1);
  try {
    await sum.data();
  } catch (e) {
    gpuError.message = (e as Error).message;
  }
  gpuError.afterwards = Array.from(await sum.data()).slice(0, 2);
  tf.dispose(sum);
  for (const b of invalid) b.destroy();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-webgpu-'));
  for (const [from, to] of [['HR/butterfly.png', 'HR/butterfly.png'], ['LR_bicubic/X4/butterflyx4.png', 'LR_bicubic/X4/butterflyx4.png']]) {
    fs.mkdirSync(path.dirname(path.join(tmp, 'Mini', to)), { recursive: true });
    fs.copyFileSync(sharedPath('data/benchmark/Set5', from), path.join(tmp, 'Mini', to));
  }
  const gpuEval = await evalRun(tmp);
  await activateCpuReference();
  const cpuEval = await evalRun(tmp);
  await tf.setBackend('webgpu');
  // 8-bit outputs: float differences may flip a rounding tie, so count values that differ (and by how much).
  const [pngGpu, pngCpu] = await Promise.all(['webgpu', 'cpu'].map((b) => readImage(path.join(tmp, `butterfly-${b}.png`))));
  const pngDiff = { values: pngGpu.data.length, differing: pngGpu.data.filter((v, i) => v !== pngCpu.data[i]).length, max: maxAbsDiff(pngGpu.data, pngCpu.data) };
  fs.rmSync(tmp, { recursive: true, force: true });
  lap('eval');

  process.stdout.write(`${JSON.stringify({
    backend: info.name, adapter: info.adapter, kitKernels: info.kitKernels, filterGrads, missing, missingError, gradRows, featureRows, gpuSteps, cpuSteps, gpuUpdates, cpuUpdates, dispatchProbe, readSyncError, gpuError, profiledPool,
    eval: {
      psnrGpu: gpuEval.psnr, psnrCpu: cpuEval.psnr, tiledMaxAbsDiff: maxAbsDiff(gpuEval.tiled, cpuEval.tiled),
      tensorsBefore: gpuEval.tensorsBefore, tensorsAfter: gpuEval.tensorsAfter, pngDiff,
    },
    finalBuffers: gpuBufferCounts(), seconds,
  })}\n`);
}

main().catch((e) => {
  process.stderr.write(`webgpu-child failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
