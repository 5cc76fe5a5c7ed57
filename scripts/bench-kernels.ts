/**
 * GFLOP/s (or GB/s for data movement) of the kit's wasm training kernels against the stock ones,
 * single thread, on the spec's reference shapes (NHWC 16x48x48x64, 3x3 'same').
 *   node bin/run-ts.js scripts/bench-kernels.ts [--quick]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend/index';
import { stockConfig } from '../lib/backend/wasm-kernels/backend-ops';

type Info = tf.TensorInfo;

const quick = process.argv.includes('--quick');

/**
 * Best of `reps` after a warm-up: the machine is shared, and the minimum is the least disturbed run.
 * Every run gets fresh copies of its inputs (untimed): XNNPACK caches packed weights by tensor id, so
 * re-using one tensor would time a cache hit that a training step (new dy every step) never gets.
 */
function timeMs(run: (inputs: tf.NamedTensorInfoMap) => void, inputs: tf.NamedTensorInfoMap, reps: number): number {
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

function disposeInfo(out: Info | Info[]): void {
  const backend = tf.backend();
  for (const o of Array.isArray(out) ? out : [out]) backend.disposeData(o.dataId);
}

type Bench = { run: (inputs: tf.NamedTensorInfoMap) => void; inputs: tf.NamedTensorInfoMap };

/** The stock wasm kernel (if the kit overrode it) called directly, or null when the stock backend lacks it. */
function stock(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Bench | null {
  const config = stockConfig(name) ?? null;
  if (!config) return null;
  return { inputs, run: (xs) => disposeInfo(config.kernelFunc({ inputs: xs, backend: tf.backend(), attrs }) as Info) };
}

function kit(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): Bench {
  return { inputs, run: (xs) => tf.dispose(tf.engine().runKernel(name, xs as tf.NamedTensorMap, attrs) as tf.Tensor) };
}

function row(label: string, work: number, unit: 'GFLOP/s' | 'GB/s', stockRun: Bench | null, kitRun: Bench, reps: number): void {
  const kitMs = timeMs(kitRun.run, kitRun.inputs, reps);
  const stockMs = stockRun ? timeMs(stockRun.run, stockRun.inputs, Math.max(1, Math.min(reps, 2))) : NaN;
  const rate = (ms: number): string => (Number.isFinite(ms) ? (work / (ms * 1e6)).toFixed(2) : 'missing');
  console.log(
    `${label.padEnd(52)} stock ${rate(stockMs).padStart(7)}  kit ${rate(kitMs).padStart(7)} ${unit}` +
      `   (${Number.isFinite(stockMs) ? stockMs.toFixed(0) : '-'} ms -> ${kitMs.toFixed(0)} ms)`,
  );
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm' });
  const reps = quick ? 2 : 5;
  const [n, h, w, c] = quick ? [4, 48, 48, 64] : [16, 48, 48, 64];
  const k = 3;
  const x = tf.randomNormal([n, h, w, c]);
  const dy = tf.randomNormal([n, h, w, c]);
  const filter = tf.randomNormal([k, k, c, c]);
  const convFlop = 2 * n * h * w * k * k * c * c;
  const shape = `${n}x${h}x${w}x${c} 3x3 same`;

  const fwdAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 } as unknown as tf.NamedAttrMap;
  row(`Conv2D forward ${shape}`, convFlop, 'GFLOP/s', stock('Conv2D', { x, filter }, fwdAttrs), kit('Conv2D', { x, filter }, fwdAttrs), reps);
  const filter3 = tf.randomNormal([k, k, c, 3]);
  row(`Conv2D forward ${n}x${h}x${w} ${c}->3 (output conv)`, (convFlop * 3) / c, 'GFLOP/s', stock('Conv2D', { x, filter: filter3 }, fwdAttrs),
    kit('Conv2D', { x, filter: filter3 }, fwdAttrs), reps);
  const dwAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, c, c] } as unknown as tf.NamedAttrMap;
  row(`Conv2DBackpropFilter ${shape}`, convFlop, 'GFLOP/s', stock('Conv2DBackpropFilter', { x, dy }, dwAttrs),
    kit('Conv2DBackpropFilter', { x, dy }, dwAttrs), reps);
  const dxAttrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [n, h, w, c] } as unknown as tf.NamedAttrMap;
  row(`Conv2DBackpropInput ${shape}`, convFlop, 'GFLOP/s', stock('Conv2DBackpropInput', { dy, filter }, dxAttrs),
    kit('Conv2DBackpropInput', { dy, filter }, dxAttrs), reps);

  // Tail conv 64 -> 3 (dW with Cout < Cin takes the swapped layout).
  const dy3 = tf.randomNormal([n, h, w, 3]);
  const dw3Attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, c, 3] } as unknown as tf.NamedAttrMap;
  row(`Conv2DBackpropFilter ${n}x${h}x${w} 64->3`, 2 * n * h * w * k * k * c * 3, 'GFLOP/s',
    stock('Conv2DBackpropFilter', { x, dy: dy3 }, dw3Attrs), kit('Conv2DBackpropFilter', { x, dy: dy3 }, dw3Attrs), reps);

  // Upsampler conv 64 -> 256 (dW in dy row bands).
  const dy256 = tf.randomNormal([n, h, w, 4 * c]);
  const dw256Attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [k, k, c, 4 * c] } as unknown as tf.NamedAttrMap;
  row(`Conv2DBackpropFilter ${n}x${h}x${w} 64->256`, 4 * convFlop, 'GFLOP/s',
    stock('Conv2DBackpropFilter', { x, dy: dy256 }, dw256Attrs), kit('Conv2DBackpropFilter', { x, dy: dy256 }, dw256Attrs), reps);

  // Swin attention: [576,64,32] x [576,32,64] and its gradient shapes (transpose flags).
  const bt = quick ? 144 : 576;
  const q = tf.randomNormal([bt, 64, 32]);
  const kk = tf.randomNormal([bt, 32, 64]);
  const kT = tf.randomNormal([bt, 64, 32]);
  const mmFlop = 2 * bt * 64 * 32 * 64;
  row(`BatchMatMul [${bt},64,32]x[${bt},32,64]`, mmFlop, 'GFLOP/s',
    stock('BatchMatMul', { a: q, b: kk }, { transposeA: false, transposeB: false }),
    kit('BatchMatMul', { a: q, b: kk }, { transposeA: false, transposeB: false }), reps);
  row(`BatchMatMul [${bt},64,32]x[${bt},64,32]^T`, mmFlop, 'GFLOP/s',
    stock('BatchMatMul', { a: q, b: kT }, { transposeA: false, transposeB: true }),
    kit('BatchMatMul', { a: q, b: kT }, { transposeA: false, transposeB: true }), reps);
  // Dense weight gradient: x^T dy over all pixels, [1,P,60]^T x [1,P,180].
  const p = (quick ? 4 : 16) * 48 * 48;
  const xa = tf.randomNormal([1, p, 60]);
  const ya = tf.randomNormal([1, p, 180]);
  row(`BatchMatMul dense dW [1,${p},60]^T x [1,${p},180]`, 2 * p * 60 * 180, 'GFLOP/s',
    stock('BatchMatMul', { a: xa, b: ya }, { transposeA: true, transposeB: false }),
    kit('BatchMatMul', { a: xa, b: ya }, { transposeA: true, transposeB: false }), reps);

  // Swin qkv split: [144,64,3,6,10] perm [2,0,3,1,4] (bytes moved: read + write).
  const t5 = tf.randomNormal([144, 64, 3, 6, 10]);
  row('Transpose [144,64,3,6,10] perm [2,0,3,1,4]', 2 * 4 * t5.size, 'GB/s',
    stock('Transpose', { x: t5 }, { perm: [2, 0, 3, 1, 4] }), kit('Transpose', { x: t5 }, { perm: [2, 0, 3, 1, 4] }), reps);
  // Pixel shuffle: [N,H,W,C,2,2] perm [0,1,4,2,5,3].
  const t6 = tf.randomNormal([n, h, w, c, 2, 2]);
  row(`Transpose pixel shuffle ${n}x${h}x${w}x${c}x2x2`, 2 * 4 * t6.size, 'GB/s',
    stock('Transpose', { x: t6 }, { perm: [0, 1, 4, 2, 5, 3] }), kit('Transpose', { x: t6 }, { perm: [0, 1, 4, 2, 5, 3] }), reps);

  // Bias gradient: Sum over the leading axes of dy.
  const sumAttrs = { axis: [0, 1, 2], keepDims: false };
  row(`Sum over N,H,W of ${shape.split(' ')[0]} (bias grad)`, 4 * dy.size, 'GB/s',
    stock('Sum', { x: dy }, sumAttrs), kit('Sum', { x: dy }, sumAttrs), reps);

  tf.dispose([x, dy, filter, dy3, dy256, q, kk, kT, xa, ya, t5, t6]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
