/**
 * MATLAB-compatible bicubic `imresize` (BasicSR `matlab_functions.py`): cubic kernel a = -0.5, stretched to
 * 4/scale taps when shrinking (antialiasing), weights normalised per output, borders mirrored repeating the edge.
 *
 * - `imresizeUint8`: MATLAB on uint8 input, i.e. how the benchmark and DIV2K LR files were made:
 *   height pass, round half away from zero + clip, width pass, round + clip. Bit-exact with the
 *   shipped Set5/Set14 LR_bicubic files.
 * - `imresizeTensor`: BasicSR's float `imresize` on NHWC tensors (DUKD zoom-out): same weights, no
 *   rounding or clipping; each pass is one matMul with a dense (out x in) weight matrix, so it is
 *   differentiable and fast on every backend.
 *
 * `scale` is MATLAB's multiplier: 0.5 halves, 1/3 shrinks by 3, 2 doubles. Output length is
 * ceil(n * scale).
 */
import * as tf from '@tensorflow/tfjs';
import { createImage, cropImage, type RgbImage } from './image';
import { resizeSeparable } from './separable-resize';

/** Keys cubic convolution kernel, a = -0.5 (MATLAB `cubic`). */
export function cubicKernel(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/** Per-output tap weights and 0-based source indices for one dimension (MATLAB `contributions`). */
export type Contributions = {
  nIn: number;
  nOut: number;
  scale: number;
  /** Taps per output after dropping all-zero columns. */
  taps: number;
  /** nOut x taps, row-major; each row sums to 1. */
  weights: Float64Array;
  /** nOut x taps, row-major, 0-based, boundary-mirrored. */
  indices: Int32Array;
};

/** Output length MATLAB gives for `n * scale`, guarded against 1/3-style representation error. */
export function outputLength(n: number, scale: number): number {
  const exact = n * scale;
  const near = Math.round(exact);
  return Math.abs(exact - near) < 1e-9 * Math.max(1, near) ? near : Math.ceil(exact);
}

/**
 * Weights and indices exactly as MATLAB computes them, in double precision and in the same order
 * of operations (the uint8 path depends on it to reproduce exact .5 ties at x2).
 */
export function contributions(nIn: number, nOut: number, scale: number): Contributions {
  if (!(nIn >= 1) || !(nOut >= 1) || !Number.isInteger(nIn) || !Number.isInteger(nOut)) {
    throw new Error(`contributions: lengths must be positive integers (got ${nIn} -> ${nOut})`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`contributions: scale must be > 0 (got ${scale})`);
  const shrink = scale < 1; // antialiasing: stretch the kernel
  const width = shrink ? 4 / scale : 4;
  const h = shrink ? (x: number) => scale * cubicKernel(scale * x) : cubicKernel;
  const P = Math.ceil(width) + 2;
  const w = new Float64Array(nOut * P);
  const idx = new Int32Array(nOut * P);
  const period = 2 * nIn;
  for (let o = 0; o < nOut; o++) {
    const x = o + 1;
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - width / 2);
    let sum = 0;
    for (let p = 0; p < P; p++) {
      const j = left + p; // 1-based
      const v = h(u - j);
      w[o * P + p] = v;
      sum += v;
      // symmetric mirror through [1..n, n..1]
      const m = (((j - 1) % period) + period) % period;
      idx[o * P + p] = m < nIn ? m : period - 1 - m;
    }
    for (let p = 0; p < P; p++) w[o * P + p] = w[o * P + p] / sum;
  }
  const keep: number[] = [];
  for (let p = 0; p < P; p++) {
    let any = false;
    for (let o = 0; o < nOut && !any; o++) any = w[o * P + p] !== 0;
    if (any) keep.push(p);
  }
  const taps = keep.length;
  const weights = new Float64Array(nOut * taps);
  const indices = new Int32Array(nOut * taps);
  for (let o = 0; o < nOut; o++) {
    keep.forEach((p, t) => {
      weights[o * taps + t] = w[o * P + p];
      indices[o * taps + t] = idx[o * P + p];
    });
  }
  return { nIn, nOut, scale, taps, weights, indices };
}

const matrixCache = new Map<string, Float32Array>();

/**
 * Dense nOut x nIn resize matrix (row-major, float32): row o holds the weights of output o, with
 * mirrored taps that hit the same source pixel summed. Cached per (nIn, nOut, scale).
 */
export function resizeMatrix(nIn: number, nOut: number, scale: number): Float32Array {
  const key = `${nIn}:${nOut}:${scale}`;
  let m = matrixCache.get(key);
  if (!m) {
    const c = contributions(nIn, nOut, scale);
    const acc = new Float64Array(nOut * nIn);
    for (let o = 0; o < nOut; o++) {
      for (let t = 0; t < c.taps; t++) acc[o * nIn + c.indices[o * c.taps + t]] += c.weights[o * c.taps + t];
    }
    m = Float32Array.from(acc);
    if (matrixCache.size > 256) matrixCache.clear(); // bounded: patch sizes repeat, odd sizes should not pile up
    matrixCache.set(key, m);
  }
  return m;
}

/** Keeps the top-left (H - H % s) x (W - W % s) pixels, so both sides are multiples of `s`. */
export function modCrop(img: RgbImage, scale: number): RgbImage {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`modCrop: scale must be a positive integer (got ${scale})`);
  const h = img.height - (img.height % scale);
  const w = img.width - (img.width % scale);
  if (h < 1 || w < 1) throw new Error(`modCrop: a ${img.height}x${img.width} image is smaller than the scale ${scale}`);
  return h === img.height && w === img.width ? img : cropImage(img, 0, 0, h, w);
}

/** MATLAB stores each pass in uint8: round half away from zero (values are >= 0 after the clip), clip. */
function toUint8(v: number): number {
  if (v <= 0) return 0;
  const r = Math.floor(v + 0.5);
  return r > 255 ? 255 : r;
}

/**
 * MATLAB `imresize(img, scale, 'bicubic')` on a uint8 image, bit-exact: height pass first, each pass
 * rounded to uint8. Make LR from HR with `imresizeUint8(modCrop(hr, s), 1 / s)`.
 */
export function imresizeUint8(img: RgbImage, scale: number): RgbImage {
  const { height: H, width: W } = img;
  const Ho = outputLength(H, scale);
  const Wo = outputLength(W, scale);
  const ch = contributions(H, Ho, scale);
  const cw = contributions(W, Wo, scale);
  const src = img.data;

  // height pass: [H, W, 3] -> [Ho, W, 3]
  const mid = new Uint8Array(Ho * W * 3);
  const rowLen = W * 3;
  const acc = new Float64Array(rowLen);
  for (let o = 0; o < Ho; o++) {
    acc.fill(0);
    for (let t = 0; t < ch.taps; t++) {
      const wt = ch.weights[o * ch.taps + t];
      const base = ch.indices[o * ch.taps + t] * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += wt * src[base + i];
    }
    const dst = o * rowLen;
    for (let i = 0; i < rowLen; i++) mid[dst + i] = toUint8(acc[i]);
  }

  // width pass: [Ho, W, 3] -> [Ho, Wo, 3]
  const out = createImage(Ho, Wo);
  const od = out.data;
  for (let y = 0; y < Ho; y++) {
    const rowIn = y * W * 3;
    const rowOut = y * Wo * 3;
    for (let o = 0; o < Wo; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < cw.taps; t++) {
        const wt = cw.weights[o * cw.taps + t];
        const s = rowIn + cw.indices[o * cw.taps + t] * 3;
        r += wt * mid[s];
        g += wt * mid[s + 1];
        b += wt * mid[s + 2];
      }
      od[rowOut + 3 * o] = toUint8(r);
      od[rowOut + 3 * o + 1] = toUint8(g);
      od[rowOut + 3 * o + 2] = toUint8(b);
    }
  }
  return out;
}

/**
 * Float `imresize` on the host in float64 (HWC, any channel count; no rounding or clipping): the
 * exact reference that the float32 tensor path approximates to float32 precision.
 */
export function imresizeFloat64(
  data: ArrayLike<number>,
  shape: readonly [number, number, number],
  scale: number,
): { data: Float64Array; shape: [number, number, number] } {
  const [H, W, C] = shape;
  if (data.length !== H * W * C) throw new Error(`imresizeFloat64: ${data.length} values do not fill a ${H}x${W}x${C} image`);
  const Ho = outputLength(H, scale);
  const Wo = outputLength(W, scale);
  const ch = contributions(H, Ho, scale);
  const cw = contributions(W, Wo, scale);
  const rowLen = W * C;
  const mid = new Float64Array(Ho * rowLen);
  for (let o = 0; o < Ho; o++) {
    for (let t = 0; t < ch.taps; t++) {
      const wt = ch.weights[o * ch.taps + t];
      const base = ch.indices[o * ch.taps + t] * rowLen;
      for (let i = 0; i < rowLen; i++) mid[o * rowLen + i] += wt * data[base + i];
    }
  }
  const out = new Float64Array(Ho * Wo * C);
  for (let y = 0; y < Ho; y++) {
    for (let o = 0; o < Wo; o++) {
      for (let t = 0; t < cw.taps; t++) {
        const wt = cw.weights[o * cw.taps + t];
        const s = y * rowLen + cw.indices[o * cw.taps + t] * C;
        for (let k = 0; k < C; k++) out[(y * Wo + o) * C + k] += wt * mid[s + k];
      }
    }
  }
  return { data: out, shape: [Ho, Wo, C] };
}

/**
 * BasicSR float `imresize` on an NHWC tensor (any value range, any channel count): height pass then
 * width pass, each a matMul with the cached resize matrix; no rounding, no clipping. Differentiable.
 * The matrices are dense (out x in), which suits patch-sized inputs (DUKD zoom-out: 48 -> 24/16/12);
 * a whole 2K image costs O(H * W * (H + W) / scale) multiply-adds. The caller owns `x` and the result.
 */
export function imresizeTensor(x: tf.Tensor4D, scale: number): tf.Tensor4D {
  const [, H, W] = x.shape;
  const Ho = outputLength(H, scale);
  const Wo = outputLength(W, scale);
  return resizeSeparable(x, resizeMatrix(H, Ho, scale), Ho, resizeMatrix(W, Wo, scale), Wo);
}
