/**
 * Checks the kit's wasm training kernels (and the webgpu backend) against tfjs-backend-cpu in the same
 * process: each case is run on both backends from the same seeded inputs (switching with tf.setBackend,
 * reading back asynchronously, since webgpu cannot read synchronously in Node) and the previously active
 * backend is restored afterwards.
 *
 * Error measure: per output, maxAbsErr = max |wasm - cpu| and maxRelErr = maxAbsErr / max |cpu|
 * (normwise relative). float32 sums of up to ~10^4 products carry a random-walk rounding error of about
 * sqrt(n)·6e-8 ≈ 6e-6 of the magnitude, so a case is ok when maxRelErr <= 1e-4 (15x margin), or when
 * the reference is ~0 and maxAbsErr <= 1e-5. A wrong index or layout gives errors of order 1.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng';
import { buildModel } from '../models/build';
import { gelu } from '../models/layers/gelu';
import { pixelShuffle } from '../models/layers/pixel-shuffle';
import { relativePositionIndex } from '../models/layers/relative-position';
import { roll } from '../models/layers/roll';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import { activateCpuReference } from './kernel-check';
import { registerWasmTrainingKernels } from './wasm-kernels/index';

export interface KernelCheckRow {
  readonly kernel: string;
  /** e.g. "x 2x7x9x16 k3 s2 same -> 32". */
  readonly shape: string;
  readonly maxAbsErr: number;
  readonly maxRelErr: number;
  readonly ok: boolean;
}

export type CaseInput = {
  readonly shape: number[];
  readonly dtype: 'float32' | 'int32';
  readonly values: Float32Array | Int32Array;
};

/** One comparison: inputs as host data, and a computation that turns input tensors into outputs. */
export interface KernelCase {
  readonly kernel: string;
  readonly shape: string;
  readonly inputs: readonly CaseInput[];
  /** Runs inside tf.tidy on the active backend. */
  compute(inputs: tf.Tensor[]): tf.Tensor[];
}

export const REL_TOL = 1e-4;
export const ABS_TOL = 1e-5;

// ---------------------------------------------------------------- random data

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function randomInput(rng: Rng, shape: number[], scale = 1): CaseInput {
  const values = new Float32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() * scale;
  return { shape, dtype: 'float32', values };
}

export function intInput(rng: Rng, shape: number[], below: number): CaseInput {
  const values = new Int32Array(sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.int(below);
  return { shape, dtype: 'int32', values };
}

export function randomPermutation(rng: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

const dims = (s: readonly number[]): string => s.join('x');

// ---------------------------------------------------------------- kernel cases

type Pad = 'same' | 'valid';

type ConvPad = Pad | number;
type Shape4 = [number, number, number, number];

function convDesc(xShape: Shape4, k: number, stride: number, pad: ConvPad, cout: number): string {
  return `x ${dims(xShape)} k${k} s${stride} ${pad} -> ${cout}`;
}

/** dW of a conv with input `xShape` and filter `fShape` (HWIO), through the Conv2DBackpropFilter kernel; random x, dy. */
export function backpropFilterCase(rng: Rng, xShape: Shape4, fShape: Shape4, stride: number, pad: ConvPad): KernelCase {
  const dyShape = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad).outShape;
  return {
    kernel: 'Conv2DBackpropFilter',
    shape: convDesc(xShape, fShape[0], stride, pad, fShape[3]),
    inputs: [randomInput(rng, xShape), randomInput(rng, dyShape)],
    compute: ([x, dy]) => [
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: stride, pad, dataFormat: 'NHWC', filterShape: fShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ],
  };
}

/** dX of the same conv, through the Conv2DBackpropInput kernel; random dy and filter. */
export function backpropInputCase(rng: Rng, xShape: Shape4, fShape: Shape4, stride: number, pad: ConvPad): KernelCase {
  const dyShape = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, 1, pad).outShape;
  return {
    kernel: 'Conv2DBackpropInput',
    shape: convDesc(xShape, fShape[0], stride, pad, fShape[3]),
    inputs: [randomInput(rng, dyShape), randomInput(rng, fShape)],
    compute: ([dy, filter]) => [
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
        strides: stride, pad, dataFormat: 'NHWC', inputShape: xShape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ],
  };
}

/**
 * The forward conv: FusedConv2D (tf.fused.conv2d) when `bias` or a ReLU is asked for, or `fused` says so,
 * else Conv2D; random inputs.
 */
export function forwardConvCase(
  rng: Rng, xShape: Shape4, fShape: Shape4, stride: number, pad: ConvPad,
  opts: { readonly bias?: boolean; readonly activation?: 'linear' | 'relu'; readonly dilation?: number; readonly fused?: boolean } = {},
): KernelCase {
  const activation = opts.activation ?? 'linear';
  const fused = opts.fused ?? ((opts.bias ?? false) || activation === 'relu');
  const dilation = opts.dilation ?? 1;
  const inputs = [randomInput(rng, xShape), randomInput(rng, fShape)];
  if (opts.bias) inputs.push(randomInput(rng, [fShape[3]]));
  return {
    kernel: fused ? 'FusedConv2D' : 'Conv2D',
    shape: `${convDesc(xShape, fShape[0], stride, pad, fShape[3])}${dilation > 1 ? ` d${dilation}` : ''}${opts.bias ? ' +bias' : ''}${fused ? ` ${activation}` : ''}`,
    inputs,
    compute: ([x, filter, bias]) => [
      fused
        ? tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, bias, strides: stride, pad, dilations: dilation, activation })
        : tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, stride, pad, 'NHWC', dilation),
    ],
  };
}

/** Conv2DBackpropFilter and Conv2DBackpropInput, cycling through k 1/3 x same/valid x stride 1/2. */
export function convCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 2 === 0 ? 3 : 1;
    const pad: Pad = (i >> 1) % 2 === 0 ? 'same' : 'valid';
    const stride = (i >> 2) % 2 === 0 ? 1 : 2;
    const n = pick(rng, [1, 2, 3]);
    const h = k + rng.int(9);
    const w = k + rng.int(9);
    const cin = pick(rng, [3, 4, 8, 13, 16, 32, 64]);
    const cout = pick(rng, [3, 5, 8, 16, 32, 64]);
    const xShape: Shape4 = [n, h, w, cin];
    const fShape: Shape4 = [k, k, cin, cout];
    out.push(backpropFilterCase(rng, xShape, fShape, stride, pad), backpropInputCase(rng, xShape, fShape, stride, pad));
  }
  return out;
}

/**
 * Conv2D and FusedConv2D (bias, ReLU), cycling through k 1/3/5, same/valid/explicit pads, stride 1/2,
 * and output channel counts that take each SIMD tiling (Cout % 4 == 0, Cout == 3) or the XNNPACK fallback.
 */
export function forwardConvCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = [3, 1, 5][i % 3];
    const pads: ConvPad[] = ['same', 'valid', Math.floor(k / 2)];
    const pad = pads[(i >> 1) % 3];
    const stride = (i >> 2) % 2 === 0 ? 1 : 2;
    const n = pick(rng, [1, 2]);
    const h = k + rng.int(9);
    const w = k + rng.int(9);
    const cin = pick(rng, [3, 4, 8, 13, 16, 32, 64]);
    const cout = pick(rng, [3, 4, 5, 8, 12, 16, 64]);
    const fused = i % 2 === 0;
    out.push(forwardConvCase(rng, [n, h, w, cin], [k, k, cin, cout], stride, pad,
      fused ? { bias: true, activation: i % 4 === 0 ? 'relu' : 'linear' } : {}));
  }
  return out;
}

/** Depthwise conv gradients (dx, dw) through tf.grads: multiplier 1/2, k 1/3, same/valid, stride 1/2 (tfjs-core's gradient rejects dilation > 1). */
export function depthwiseCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 2 === 0 ? 3 : 1;
    const pad: Pad = (i >> 1) % 2 === 0 ? 'same' : 'valid';
    const stride = (i >> 2) % 2 === 0 ? 1 : 2;
    const dilation = 1;
    const mult = 1 + rng.int(2);
    const c = pick(rng, [3, 4, 8, 16]);
    const xShape: [number, number, number, number] = [1 + rng.int(2), 5 + rng.int(6), 5 + rng.int(6), c];
    const fShape: [number, number, number, number] = [k, k, c, mult];
    const outShape = tf.backend_util.computeConv2DInfo(xShape, fShape, stride, dilation, pad, undefined, true).outShape;
    out.push({
      kernel: 'DepthwiseConv2dNativeBackprop',
      shape: `x ${dims(xShape)} k${k} x${mult} s${stride} d${dilation} ${pad}`,
      inputs: [randomInput(rng, xShape), randomInput(rng, fShape), randomInput(rng, outShape)],
      compute: ([x, f, w]) => tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad, 'NHWC', dilation), w)))([x, f]),
    });
  }
  return out;
}

export type MatMulBatching = 'batch1' | 'rhs2d' | 'lhs1' | 'equal';

/** BatchMatMul with every flag combination for each batching kind (16 cases per round). */
export function batchMatMulCases(rng: Rng, rounds = 1): KernelCase[] {
  const out: KernelCase[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['batch1', 'rhs2d', 'lhs1', 'equal'] as const) {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const m = 1 + rng.int(24);
        const k = 1 + rng.int(24);
        const n = 1 + rng.int(24);
        const bt = 2 + rng.int(5);
        const outerA = kind === 'batch1' ? [1] : kind === 'lhs1' ? [] : kind === 'equal' ? [2, bt] : [bt];
        const outerB = kind === 'batch1' ? [1] : kind === 'rhs2d' ? [] : kind === 'equal' ? [2, bt] : [bt];
        const aShape = [...outerA, ...(ta ? [k, m] : [m, k])];
        const bShape = [...outerB, ...(tb ? [n, k] : [k, n])];
        out.push({
          kernel: 'BatchMatMul',
          shape: `${kind} a ${dims(aShape)}${ta ? 'ᵀ' : ''} b ${dims(bShape)}${tb ? 'ᵀ' : ''}`,
          inputs: [randomInput(rng, aShape), randomInput(rng, bShape)],
          compute: ([a, b]) => [
            tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA: ta, transposeB: tb }) as tf.Tensor,
          ],
        });
      }
    }
  }
  return out;
}

/** Rank-5 and rank-6 transposes of random shapes (sizes 1..5) and permutations. */
export function transposeCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const rank = i % 2 === 0 ? 5 : 6;
    const shape = Array.from({ length: rank }, () => 1 + rng.int(5));
    const perm = randomPermutation(rng, rank);
    out.push({
      kernel: 'Transpose',
      shape: `${dims(shape)} perm ${perm.join(',')}`,
      inputs: [randomInput(rng, shape)],
      compute: ([x]) => [tf.transpose(x, perm)],
    });
  }
  return out;
}

/** UnsortedSegmentSum directly and as the gradient of gather (axis 0 and 1). */
export function segmentSumCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const v = 2 + rng.int(30);
    const d = 1 + rng.int(8);
    const t = 1 + rng.int(60);
    out.push({
      kernel: 'UnsortedSegmentSum',
      shape: `x ${t}x${d} ids ${t} -> ${v}`,
      inputs: [randomInput(rng, [t, d]), intInput(rng, [t], v)],
      compute: ([x, ids]) => [tf.unsortedSegmentSum(x, ids as tf.Tensor1D, v)],
    });
    const axis = i % 2;
    const pShape = axis === 0 ? [v, d] : [d, v];
    const gShape = axis === 0 ? [t, d] : [d, t];
    out.push({
      kernel: 'UnsortedSegmentSum',
      shape: `grad gather params ${dims(pShape)} axis ${axis} ids ${t}`,
      inputs: [randomInput(rng, pShape), intInput(rng, [t], v), randomInput(rng, gShape)],
      compute: ([p, ids, wt]) => [tf.grad((q: tf.Tensor) => tf.sum(tf.mul(tf.gather(q, ids as tf.Tensor1D, axis), wt)))(p)],
    });
  }
  return out;
}

/** Slice of random rank 1..5 tensors at random offsets, and its gradient (a pad). */
export function sliceCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const rank = 1 + (i % 5);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(6));
    const begin = shape.map((d) => rng.int(d));
    const size = shape.map((d, j) => (rng.bernoulli(0.3) ? d - begin[j] : 1 + rng.int(d - begin[j])));
    out.push({
      kernel: 'Slice',
      shape: `${dims(shape)} begin ${begin.join(',')} size ${size.join(',')}`,
      inputs: [randomInput(rng, shape), randomInput(rng, size)],
      compute: ([x, w]) => [tf.slice(x, begin, size), tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.slice(z, begin, size), w)))(x)],
    });
  }
  return out;
}

/** Sum over leading axes (the bias gradient; kit path) and over other axes (stock path), with keepDims. */
export function sumCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const rank = 2 + rng.int(3);
    const shape = Array.from({ length: rank }, () => 1 + rng.int(9));
    const lead = 1 + rng.int(rank - 1);
    const axes = i % 3 === 2 ? [rank - 1] : Array.from({ length: lead }, (_, j) => j);
    const keepDims = i % 2 === 1;
    out.push({
      kernel: 'Sum',
      shape: `${dims(shape)} axes ${axes.join(',')}${keepDims ? ' keepDims' : ''}`,
      inputs: [randomInput(rng, shape)],
      compute: ([x]) => [tf.sum(x, axes, keepDims)],
    });
  }
  // Many rows and a width that is not a multiple of 8: several row tiles, column blocks and a remainder.
  const big = [37, 29, 21];
  out.push({
    kernel: 'Sum',
    shape: `${dims(big)} axes 0,1`,
    inputs: [randomInput(rng, big)],
    compute: ([x]) => [tf.sum(x, [0, 1])],
  });
  return out;
}

/**
 * Identity (tf.clone; zero-copy on wasm): clones of clones, of a reshaped view and of a variable,
 * read after the inputs they share data with are disposed.
 */
export function identityCases(rng: Rng, count: number): KernelCase[] {
  const out: KernelCase[] = [];
  for (let i = 0; i < count; i++) {
    const shape = Array.from({ length: 1 + (i % 4) }, () => 1 + rng.int(7));
    out.push({
      kernel: 'Identity',
      shape: dims(shape),
      inputs: [randomInput(rng, shape)],
      compute: ([x]) => {
        const v = tf.variable(tf.mul(x, 2), false);
        const fromVar = tf.clone(v);
        v.assign(tf.zerosLike(v)); // must not change the clone
        v.dispose();
        return [tf.clone(tf.clone(x)), tf.clone(tf.reshape(x, [-1])), fromVar, tf.grad((z: tf.Tensor) => tf.sum(tf.clone(z)))(x)];
      },
    });
  }
  return out;
}

// ---------------------------------------------------------------- small networks

type Params = Record<string, tf.Tensor>;
type ParamSpec = Record<string, { shape: number[]; scale: number }>;

/** A network case: loss = sum(net(x) * w); outputs are the loss and tf.variableGrads of every parameter. */
function networkCase(
  rng: Rng,
  kernel: string,
  shape: string,
  xShape: number[],
  outShape: number[],
  spec: ParamSpec,
  net: (p: Params, x: tf.Tensor) => tf.Tensor,
): KernelCase {
  const names = Object.keys(spec).sort();
  const inputs = [
    randomInput(rng, xShape),
    randomInput(rng, outShape),
    ...names.map((n) => randomInput(rng, spec[n].shape, spec[n].scale)),
  ];
  return {
    kernel,
    shape,
    inputs,
    compute: ([x, w, ...ps]) => {
      const vars = ps.map((p) => tf.variable(p, true));
      try {
        const params: Params = {};
        names.forEach((n, i) => (params[n] = vars[i]));
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(net(params, x), w)) as tf.Scalar, vars);
        return [value, ...vars.map((v) => grads[v.name])];
      } finally {
        vars.forEach((v) => v.dispose());
      }
    },
  };
}

const conv = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
  tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b) as tf.Tensor4D;

/** EDSR-like: head conv, one residual block (scaled 0.1), x2 pixel-shuffle upsampler, tail conv 64->3. */
export function edsrCase(rng: Rng, feats = 16, batch = 2, size = 7): KernelCase {
  const c = feats;
  const he = (fanIn: number): number => Math.sqrt(2 / fanIn);
  const spec: ParamSpec = {
    headW: { shape: [3, 3, 3, c], scale: he(27) }, headB: { shape: [c], scale: 0.1 },
    b1W: { shape: [3, 3, c, c], scale: he(9 * c) }, b1B: { shape: [c], scale: 0.1 },
    b2W: { shape: [3, 3, c, c], scale: he(9 * c) }, b2B: { shape: [c], scale: 0.1 },
    upW: { shape: [3, 3, c, 4 * c], scale: he(9 * c) }, upB: { shape: [4 * c], scale: 0.1 },
    tailW: { shape: [3, 3, c, 3], scale: he(9 * c) }, tailB: { shape: [3], scale: 0.1 },
  };
  return networkCase(rng, 'net:edsr-block', `x ${batch}x${size}x${size}x3, ${c} feats, x2`,
    [batch, size, size, 3], [batch, 2 * size, 2 * size, 3], spec, (p, x) => {
      const h = conv(x, p.headW, p.headB);
      const r = conv(tf.relu(conv(h, p.b1W, p.b1B)), p.b2W, p.b2B);
      const body = tf.add(h, tf.mul(r, 0.1));
      const up = pixelShuffle(conv(body, p.upW, p.upB), 2);
      return conv(up, p.tailW, p.tailB);
    });
}

/** RCAN residual channel-attention block: conv-relu-conv, global mean pool, 1x1 convs, sigmoid, channel multiply. */
export function rcabCase(rng: Rng, feats = 16, reduction = 4, batch = 2, size = 7): KernelCase {
  const c = feats;
  const m = Math.max(1, c / reduction);
  const spec: ParamSpec = {
    c1W: { shape: [3, 3, c, c], scale: Math.sqrt(2 / (9 * c)) }, c1B: { shape: [c], scale: 0.1 },
    c2W: { shape: [3, 3, c, c], scale: Math.sqrt(2 / (9 * c)) }, c2B: { shape: [c], scale: 0.1 },
    dW: { shape: [1, 1, c, m], scale: Math.sqrt(2 / c) }, dB: { shape: [m], scale: 0.1 },
    uW: { shape: [1, 1, m, c], scale: Math.sqrt(1 / m) }, uB: { shape: [c], scale: 0.1 },
  };
  return networkCase(rng, 'net:rcab', `x ${batch}x${size}x${size}x${c}, r${reduction}`,
    [batch, size, size, c], [batch, size, size, c], spec, (p, x) => {
      const r = conv(tf.relu(conv(x, p.c1W, p.c1B)), p.c2W, p.c2B);
      const pooled = tf.mean(r, [1, 2], true);
      const s = tf.sigmoid(conv(tf.relu(conv(pooled, p.dW, p.dB)), p.uW, p.uB));
      return tf.add(x, tf.mul(r, s));
    });
}

function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const mu = tf.mean(x, -1, true);
  const d = tf.sub(x, mu);
  const v = tf.mean(tf.square(d), -1, true);
  return tf.add(tf.mul(tf.mul(d, tf.rsqrt(tf.add(v, 1e-5))), gamma), beta);
}

function dense2d(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const lead = x.shape.slice(0, -1);
  const y = tf.add(tf.matMul(tf.reshape(x, [-1, x.shape[x.shape.length - 1]]) as tf.Tensor2D, w as tf.Tensor2D), b);
  return tf.reshape(y, [...lead, w.shape[1] as number]);
}

/** Shifted-window Swin block: LN, window attention with a gathered relative bias table, LN, GELU MLP. */
export function swinCase(rng: Rng, c = 12, heads = 3, ws = 4, size = 8, batch = 2): KernelCase {
  const shift = ws / 2;
  const hd = c / heads;
  const t = ws * ws;
  const spec: ParamSpec = {
    ln1G: { shape: [c], scale: 1 }, ln1B: { shape: [c], scale: 0.1 },
    qkvW: { shape: [c, 3 * c], scale: Math.sqrt(1 / c) }, qkvB: { shape: [3 * c], scale: 0.1 },
    table: { shape: [(2 * ws - 1) * (2 * ws - 1), heads], scale: 0.5 },
    projW: { shape: [c, c], scale: Math.sqrt(1 / c) }, projB: { shape: [c], scale: 0.1 },
    ln2G: { shape: [c], scale: 1 }, ln2B: { shape: [c], scale: 0.1 },
    fc1W: { shape: [c, 2 * c], scale: Math.sqrt(1 / c) }, fc1B: { shape: [2 * c], scale: 0.1 },
    fc2W: { shape: [2 * c, c], scale: Math.sqrt(1 / (2 * c)) }, fc2B: { shape: [c], scale: 0.1 },
  };
  const relIdx = relativePositionIndex(ws);
  const nw = (size / ws) * (size / ws);
  const bw = batch * nw;
  return networkCase(rng, 'net:swin-block', `x ${batch}x${size}x${size}x${c}, win ${ws}, shift ${shift}, ${heads} heads`,
    [batch, size, size, c], [batch, size, size, c], spec, (p, x) => {
      const n1 = layerNorm(x, p.ln1G, p.ln1B);
      const shifted = roll(roll(n1, -shift, 1), -shift, 2);
      const win = tf.reshape(
        tf.transpose(tf.reshape(shifted, [batch, size / ws, ws, size / ws, ws, c]), [0, 1, 3, 2, 4, 5]),
        [bw, t, c],
      );
      const qkv = tf.transpose(tf.reshape(dense2d(win, p.qkvW, p.qkvB), [bw, t, 3, heads, hd]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(qkv, 0).map((z) => tf.reshape(z, [bw * heads, t, hd]));
      const logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd));
      const bias = tf.transpose(tf.reshape(tf.gather(p.table, tf.tensor1d(relIdx, 'int32')), [t, t, heads]), [2, 0, 1]);
      const attn = tf.softmax(tf.add(tf.reshape(logits, [bw, heads, t, t]), bias));
      const o = tf.matMul(tf.reshape(attn, [bw * heads, t, t]), tf.reshape(v, [bw * heads, t, hd]));
      const merged = tf.reshape(tf.transpose(tf.reshape(o, [bw, heads, t, hd]), [0, 2, 1, 3]), [bw, t, c]);
      const proj = dense2d(merged, p.projW, p.projB);
      const unwin = tf.reshape(
        tf.transpose(tf.reshape(proj, [batch, size / ws, size / ws, ws, ws, c]), [0, 1, 3, 2, 4, 5]),
        [batch, size, size, c],
      );
      const y = tf.add(x, roll(roll(unwin, shift, 1), shift, 2));
      const mlp = dense2d(gelu(dense2d(layerNorm(y, p.ln2G, p.ln2B), p.fc1W, p.fc1B)), p.fc2W, p.fc2B);
      return tf.add(y, mlp);
    });
}

/** VGG-style feature block (3x3 conv, ReLU, 2x2 max pool, conv, ReLU), as in perceptual-loss networks. */
export function vggBlockCase(rng: Rng, c = 8, batch = 2, size = 8): KernelCase {
  const spec: ParamSpec = {
    c1W: { shape: [3, 3, 3, c], scale: Math.sqrt(2 / 27) }, c1B: { shape: [c], scale: 0.1 },
    c2W: { shape: [3, 3, c, 2 * c], scale: Math.sqrt(2 / (9 * c)) }, c2B: { shape: [2 * c], scale: 0.1 },
  };
  return networkCase(rng, 'net:vgg-block', `x ${batch}x${size}x${size}x3, ${c} feats, max pool 2`,
    [batch, size, size, 3], [batch, size / 2, size / 2, 2 * c], spec, (p, x) => {
      const pooled = tf.maxPool(tf.relu(conv(x, p.c1W, p.c1B)) as tf.Tensor4D, 2, 2, 'valid');
      return tf.relu(conv(pooled, p.c2W, p.c2B));
    });
}

/**
 * A 1x1 conv, then GroupNorm (each group of channels normalised over H, W and the group, eps 1e-5), affine
 * and SiLU; the conv puts the normalisation itself on the gradient path of a parameter.
 */
export function groupNormCase(rng: Rng, c = 8, groups = 2, batch = 2, size = 6): KernelCase {
  const spec: ParamSpec = {
    inW: { shape: [1, 1, c, c], scale: Math.sqrt(1 / c) }, inB: { shape: [c], scale: 0.1 },
    gamma: { shape: [c], scale: 1 }, beta: { shape: [c], scale: 0.1 },
  };
  return networkCase(rng, 'net:group-norm', `x ${batch}x${size}x${size}x${c}, ${groups} groups`,
    [batch, size, size, c], [batch, size, size, c], spec, (p, x) => {
      const g = tf.reshape(conv(x, p.inW, p.inB), [batch, size, size, groups, c / groups]);
      const { mean, variance } = tf.moments(g, [1, 2, 4], true);
      const normed = tf.reshape(tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, 1e-5))), [batch, size, size, c]);
      const y = tf.add(tf.mul(normed, p.gamma), p.beta);
      return tf.mul(y, tf.sigmoid(y));
    });
}

/**
 * A full training step's gradients of a real kit network (lib/models): L1 loss against a random target,
 * gradient of every variable. Weights come from the seeded builder, so both backends see the same net.
 */
export function modelStepCase(rng: Rng, arch: ArchConfig, scale: Scale, batch = 2, size = 8): KernelCase {
  const seed = rng.int(1 << 30);
  const lr = randomInput(rng, [batch, size, size, 3], 0.25);
  const hr = randomInput(rng, [batch, size * scale, size * scale, 3], 0.25);
  return {
    kernel: `step:${arch.arch}`,
    shape: `${JSON.stringify(arch)} x${scale}, lr ${batch}x${size}x${size}x3`,
    inputs: [lr, hr],
    compute: ([x, y]) => {
      const net = buildModel(arch, scale, { seed });
      try {
        const vars = [...net.params.values()];
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.abs(tf.sub(net.forward(x as tf.Tensor4D).out, y))) as tf.Scalar,
          vars,
        );
        return [value, ...vars.map((v) => grads[v.name])];
      } finally {
        net.dispose();
      }
    },
  };
}

/** Tiny EDSR, RCAN and SwinIR: every kernel a training step of each backbone needs, end to end. */
export function modelStepCases(rng: Rng): KernelCase[] {
  return [
    modelStepCase(rng, { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }, 2),
    modelStepCase(rng, { arch: 'edsr', feats: 8, blocks: 1, resScale: 1 }, 4, 1, 7),
    modelStepCase(rng, { arch: 'rcan', feats: 16, groups: 2, blocks: 2, reduction: 4, resScale: 1 }, 3),
    modelStepCase(rng, {
      arch: 'swinir', embedDim: 12, depths: [2, 2], heads: [3, 3], windowSize: 4, mlpRatio: 2,
      upsampler: 'pixelshuffle', upsampleFeats: 8,
    }, 2, 2, 8),
    modelStepCase(rng, {
      arch: 'swinir', embedDim: 12, depths: [2], heads: [2], windowSize: 4, mlpRatio: 2,
      upsampler: 'pixelshuffledirect', upsampleFeats: 8,
    }, 3, 1, 6),
  ];
}

export function networkCases(rng: Rng): KernelCase[] {
  return [edsrCase(rng), rcabCase(rng), swinCase(rng), ...modelStepCases(rng)];
}

/** All randomised cases; `cases` scales how many of each kernel family. */
export function allCases(rng: Rng, cases: number): KernelCase[] {
  return [
    ...convCases(rng, Math.max(8, cases)),
    ...forwardConvCases(rng, Math.max(6, cases)),
    ...batchMatMulCases(rng, Math.max(1, Math.ceil(cases / 8))),
    ...transposeCases(rng, Math.max(2, cases)),
    ...segmentSumCases(rng, Math.max(2, Math.ceil(cases / 2))),
    ...sliceCases(rng, Math.max(5, cases)),
    ...sumCases(rng, Math.max(3, cases)),
    ...identityCases(rng, Math.max(2, Math.ceil(cases / 2))),
    ...depthwiseCases(rng, Math.max(4, Math.ceil(cases / 2))),
    ...networkCases(rng),
  ];
}

// ---------------------------------------------------------------- running and comparing

/** Runs a case on the active backend and reads every output to host memory. */
export async function runCase(c: KernelCase): Promise<Float32Array[]> {
  const outputs = tf.tidy(() => {
    const xs = c.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype));
    return c.compute(xs);
  });
  try {
    const values: Float32Array[] = [];
    for (const o of outputs) values.push(Float32Array.from(await o.data()));
    return values;
  } finally {
    tf.dispose(outputs);
  }
}

export function compareArrays(ref: Float32Array, got: Float32Array): { maxAbsErr: number; maxRelErr: number; ok: boolean } {
  if (ref.length !== got.length) return { maxAbsErr: Infinity, maxRelErr: Infinity, ok: false };
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(ref[i] - got[i]);
    if (!(e <= maxAbs)) maxAbs = e; // NaN propagates as a failure
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  const maxRelErr = maxRef > 0 ? maxAbs / maxRef : maxAbs === 0 ? 0 : Infinity;
  const ok = Number.isFinite(maxAbs) && (maxRelErr <= REL_TOL || maxAbs <= ABS_TOL * Math.max(1, maxRef));
  return { maxAbsErr: maxAbs, maxRelErr, ok };
}

/** Runs each case on `backend` and on cpu; one row per case (worst output). Restores the active backend. */
export async function checkCases(cases: readonly KernelCase[], backend = 'wasm'): Promise<KernelCheckRow[]> {
  const previous = tf.getBackend();
  const results: Float32Array[][] = [];
  const refs: Float32Array[][] = [];
  const errors: (string | null)[] = [];
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`backend '${backend}' failed to initialise`);
    for (const c of cases) {
      try {
        results.push(await runCase(c));
        errors.push(null);
      } catch (e) {
        results.push([]);
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    await activateCpuReference(); // the reference, not a choice: without its "install tfjs-node" banner
    for (const c of cases) refs.push(await runCase(c));
  } finally {
    if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  }
  return cases.map((c, i) => {
    const error = errors[i];
    if (error !== null) {
      return { kernel: c.kernel, shape: `${c.shape} (error: ${error})`, maxAbsErr: Infinity, maxRelErr: Infinity, ok: false };
    }
    let maxAbsErr = 0;
    let maxRelErr = 0;
    let ok = refs[i].length === results[i].length;
    refs[i].forEach((ref, j) => {
      const r = compareArrays(ref, results[i][j]);
      maxAbsErr = Math.max(maxAbsErr, r.maxAbsErr);
      maxRelErr = Math.max(maxRelErr, r.maxRelErr);
      ok = ok && r.ok;
    });
    return { kernel: c.kernel, shape: c.shape, maxAbsErr, maxRelErr, ok };
  });
}

/**
 * Randomised cases of every kit kernel plus full gradients of small EDSR / RCAB / Swin blocks, on wasm
 * and cpu. `cases` (default 8) sets how many conv cases (and proportionally others); `seed` defaults to 0.
 */
export async function checkKernelsAgainstCpu(opts: { cases?: number; seed?: number } = {}): Promise<KernelCheckRow[]> {
  registerWasmTrainingKernels(); // idempotent; a no-op after initBackend
  const rng = new Rng(opts.seed ?? 0);
  return checkCases(allCases(rng, opts.cases ?? 8), 'wasm');
}
