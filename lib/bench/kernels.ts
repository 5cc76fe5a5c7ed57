/**
 * Single-thread speed of the kit's wasm training kernels against what they replace, on the shapes that matter
 * (an EDSR-baseline step's 48x48x64 3x3 convs, the x4 student's 16->3 output conv and 64->256 up-conv, Swin's
 * matmuls and transposes, the bias gradient). Three columns per kernel: the stock tfjs-backend-wasm kernel
 * (null where it has none), the kit with its SIMD kernels off (SRKD_SIMD_KERNELS=off: the XNNPACK/JS routes),
 * and the kit as it runs. `npm run bench:kernels` prints them; notebook 00 plots them.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend/index';
import { stockConfig } from '../backend/wasm-kernels/backend-ops';

export interface KernelBenchRow {
  readonly kernel: string;
  readonly shape: string;
  readonly unit: 'GFLOP/s' | 'GB/s';
  /** Stock tfjs-backend-wasm kernel, null where the stock backend lacks it. */
  readonly stock: number | null;
  /** The kit without its SIMD kernels; null where none applies (then it equals `kit`). */
  readonly kitNoSimd: number | null;
  readonly kit: number;
  readonly kitMs: number;
}

type Info = tf.TensorInfo;
type Run = (inputs: tf.NamedTensorInfoMap) => void;

/**
 * Best of `reps` after a warm-up: the machine is shared, and the minimum is the least disturbed run.
 * Every run gets fresh copies of its inputs (untimed): XNNPACK caches packed weights by tensor id, so
 * re-using one tensor would time a cache hit that a training step (new dy every step) never gets.
 */
function timeMs(run: Run, inputs: tf.NamedTensorInfoMap, reps: number): number {
  let best = Infinity;
  for (let i = 0; i <= reps; i++) {
    const fresh: tf.NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(inputs)) fresh[name] = tf.clone(t as tf.Tensor);
    const t0 = performance.now();
    run(fresh);
    if (i > 0) best = Math.min(best, performance.now() - t0); // run 0 is the warm-up
    tf.dispose(Object.values(fresh) as tf.Tensor[]);
  }
  return best;
}

function withoutSimd<T>(fn: () => T): T {
  const before = process.env.SRKD_SIMD_KERNELS;
  process.env.SRKD_SIMD_KERNELS = 'off';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.SRKD_SIMD_KERNELS;
    else process.env.SRKD_SIMD_KERNELS = before;
  }
}

interface Case {
  readonly kernel: string;
  readonly shape: string;
  readonly unit: KernelBenchRow['unit'];
  /** FLOPs or bytes moved. */
  readonly work: number;
  readonly inputs: tf.NamedTensorInfoMap;
  readonly attrs: tf.NamedAttrMap;
  /** Whether a SIMD kernel of the kit serves this case (then the no-SIMD route is timed too). */
  readonly simd: boolean;
}

/** Runs the cases; `quick` uses a batch of 4 instead of 16. Initialises the wasm backend if needed. */
export async function benchKernels(opts: { readonly quick?: boolean; readonly reps?: number } = {}): Promise<KernelBenchRow[]> {
  await initBackend({ backend: 'wasm', announce: false });
  const quick = opts.quick ?? false;
  const reps = opts.reps ?? (quick ? 2 : 5);
  const [n, h, w, c] = quick ? [4, 48, 48, 64] : [16, 48, 48, 64];
  const k = 3;
  const made: tf.Tensor[] = [];
  const rnd = (shape: number[]): tf.Tensor => {
    const t = tf.randomNormal(shape, 0, 1, 'float32', made.length + 1);
    made.push(t);
    return t;
  };
  const x = rnd([n, h, w, c]);
  const dy = rnd([n, h, w, c]);
  const filter = rnd([k, k, c, c]);
  const filter3 = rnd([k, k, c, 3]);
  const dy3 = rnd([n, h, w, 3]);
  const dy256 = rnd([n, h, w, 4 * c]);
  const conv = 2 * n * h * w * k * k * c * c;
  const geo = `${n}x${h}x${w}`;
  const same = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const attrs = (a: object): tf.NamedAttrMap => a as unknown as tf.NamedAttrMap;
  const bt = quick ? 144 : 576;
  const p = n * h * w;
  const mm = 2 * bt * 64 * 32 * 64;
  const t5 = rnd([144, 64, 3, 6, 10]);
  const ps = rnd([n * h, w, c, 2, 2]); // PixelShuffle(2) of a [n,h,w,4c] conv output, as the model lays it out
  const cases: Case[] = [
    { kernel: 'Conv2D', shape: `${geo}x${c} 3x3 ${c}->${c}`, unit: 'GFLOP/s', work: conv, inputs: { x, filter }, attrs: attrs(same), simd: true },
    { kernel: 'Conv2D', shape: `${geo}x${c} 3x3 ${c}->3 (output conv)`, unit: 'GFLOP/s', work: (conv * 3) / c, inputs: { x, filter: filter3 }, attrs: attrs(same), simd: true },
    { kernel: 'Conv2DBackpropInput', shape: `${geo}x${c} 3x3 ${c}->${c}`, unit: 'GFLOP/s', work: conv, inputs: { dy, filter },
      attrs: attrs({ ...same, inputShape: [n, h, w, c] }), simd: true },
    { kernel: 'Conv2DBackpropFilter', shape: `${geo}x${c} 3x3 ${c}->${c}`, unit: 'GFLOP/s', work: conv, inputs: { x, dy },
      attrs: attrs({ ...same, filterShape: [k, k, c, c] }), simd: true },
    { kernel: 'Conv2DBackpropFilter', shape: `${geo}x${c} 3x3 ${c}->3`, unit: 'GFLOP/s', work: (conv * 3) / c, inputs: { x, dy: dy3 },
      attrs: attrs({ ...same, filterShape: [k, k, c, 3] }), simd: true },
    { kernel: 'Conv2DBackpropFilter', shape: `${geo}x${c} 3x3 ${c}->${4 * c}`, unit: 'GFLOP/s', work: 4 * conv, inputs: { x, dy: dy256 },
      attrs: attrs({ ...same, filterShape: [k, k, c, 4 * c] }), simd: true },
    { kernel: 'BatchMatMul', shape: `[${bt},64,32]x[${bt},32,64]`, unit: 'GFLOP/s', work: mm, inputs: { a: rnd([bt, 64, 32]), b: rnd([bt, 32, 64]) },
      attrs: attrs({ transposeA: false, transposeB: false }), simd: false },
    { kernel: 'BatchMatMul', shape: `dense dW [1,${p},60]^T x [1,${p},180]`, unit: 'GFLOP/s', work: 2 * p * 60 * 180,
      inputs: { a: rnd([1, p, 60]), b: rnd([1, p, 180]) }, attrs: attrs({ transposeA: true, transposeB: false }), simd: false },
    { kernel: 'Transpose', shape: 'Swin qkv [144,64,3,6,10] perm [2,0,3,1,4]', unit: 'GB/s', work: 8 * t5.size, inputs: { x: t5 },
      attrs: attrs({ perm: [2, 0, 3, 1, 4] }), simd: false },
    { kernel: 'Transpose', shape: `pixel shuffle [${n * h},${w},${c},2,2] perm [0,3,1,4,2]`, unit: 'GB/s', work: 8 * ps.size, inputs: { x: ps },
      attrs: attrs({ perm: [0, 3, 1, 4, 2] }), simd: true },
    { kernel: 'Sum', shape: `bias grad: ${geo}x${c} over N,H,W`, unit: 'GB/s', work: 4 * dy.size, inputs: { x: dy }, attrs: attrs({ axis: [0, 1, 2], keepDims: false }), simd: true },
  ];
  const rows: KernelBenchRow[] = [];
  try {
    for (const cs of cases) {
      const viaKit: Run = (xs) => tf.dispose(tf.engine().runKernel(cs.kernel, xs as tf.NamedTensorMap, cs.attrs) as tf.Tensor);
      const stockCfg = stockConfig(cs.kernel) ?? null;
      const viaStock: Run | null = stockCfg
        ? (xs) => {
          const out = stockCfg.kernelFunc({ inputs: xs, backend: tf.backend(), attrs: cs.attrs }) as Info | Info[];
          for (const o of Array.isArray(out) ? out : [out]) tf.backend().disposeData(o.dataId);
        }
        : null;
      const rate = (ms: number): number => cs.work / (ms * 1e6);
      const kitMs = timeMs(viaKit, cs.inputs, reps);
      const noSimdMs = cs.simd ? withoutSimd(() => timeMs(viaKit, cs.inputs, Math.max(1, Math.min(reps, 2)))) : null;
      const stockMs = viaStock ? timeMs(viaStock, cs.inputs, Math.max(1, Math.min(reps, 2))) : null;
      rows.push({
        kernel: cs.kernel, shape: cs.shape, unit: cs.unit, stock: stockMs === null ? null : rate(stockMs),
        kitNoSimd: noSimdMs === null ? null : rate(noSimdMs), kit: rate(kitMs), kitMs,
      });
    }
  } finally {
    tf.dispose(made);
  }
  return rows;
}
