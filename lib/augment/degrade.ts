/**
 * DCKD's degradation of the history model's inputs (negatives), as the released code does it (DCKD-code
 * `dckd_model.py optimize_parameters`, BasicSR `random_add_gaussian_noise_pt`). One call
 * degrades a whole LR batch once (DCKD makes N−1 = 4 such copies per step), in this order:
 *
 * 1. blur, with probability `blurProb` (one draw for the batch): kornia `gaussian_blur2d` with kernel sizes
 *    kH, kW ∈ {3, 5, 7, 9, 11} and σH, σW ~ U(0.1, 2), reflect borders;
 * 2. resize, with probability `resizeProb` (one draw for the batch): 'up' ×U(1, 1.5) (25 %) or 'down'
 *    ×U(0.5, 1) (75 %) to int(H·s) x int(W·s), mode drawn from area / bilinear / bicubic (PyTorch semantics,
 *    lib/data/torch-interpolate.ts);
 * 3. Gaussian noise, with probability `noiseProb` (one draw for the batch), per sample: σ ~ U(1, 30)/255 and,
 *    with probability `grayNoiseProb`, one noise field shared by the three channels ("gray noise"); the result
 *    is clipped to [0, 1] and not rounded;
 * 4. if resized, back to H x W with a freshly drawn mode.
 * The released configs use noise only (blur and resize probability 0, noise 1, gray 0.5): DCKD_DEGRADATION.
 *
 * Randomness is drawn in two steps so that a sample's degradation does not depend on which worker handles it:
 * `sampleDegradation(rng, cfg, batchSize)` returns plain JSON (batch-level draws, and per sample σ, gray and a
 * seed for its noise field), `applyDegradation(lr, draw)` is deterministic given the draw, and
 * `sliceDegradation(draw, from, count)` cuts the per-sample part for a share of the batch.
 * The noise itself comes from the kit's seeded generator (lib/util/rng.ts), not PyTorch's stream.
 */
import * as tf from '@tensorflow/tfjs';
import { resizeSeparable } from '../data/separable-resize';
import { type TorchInterpolateMode, torchInterpolate } from '../data/torch-interpolate';
import { Rng } from '../util/rng';

export interface DegradationConfig {
  readonly blurProb: number;
  readonly resizeProb: number;
  readonly noiseProb: number;
  readonly grayNoiseProb: number;
  /** Noise σ range in 0-255 units. */
  readonly noiseSigmaRange: readonly [number, number];
}

/** DCKD's released `train_SwinIR_SRx*_DCKD.yml`: noise only, σ ∈ [1, 30], gray with probability 0.5. */
export const DCKD_DEGRADATION: DegradationConfig = { blurProb: 0, resizeProb: 0, noiseProb: 1, grayNoiseProb: 0.5, noiseSigmaRange: [1, 30] };

export type BlurDraw = { kernelH: number; kernelW: number; sigmaH: number; sigmaW: number };
export type ResizeDraw = { scale: number; mode: TorchInterpolateMode; backMode: TorchInterpolateMode };
/** One sample's noise: σ in [0, 1] units, gray or per-channel, and the seed of its noise field. */
export type NoiseDraw = { sigma: number; gray: boolean; seed: number };
export type DegradationDraw = { blur: BlurDraw | null; resize: ResizeDraw | null; noise: NoiseDraw[] | null };

const MODES: readonly TorchInterpolateMode[] = ['area', 'bilinear', 'bicubic'];

function checkConfig(cfg: DegradationConfig): void {
  for (const k of ['blurProb', 'resizeProb', 'noiseProb', 'grayNoiseProb'] as const) {
    if (!(cfg[k] >= 0 && cfg[k] <= 1)) throw new Error(`degradation.${k} must be in [0, 1] (got ${cfg[k]})`);
  }
  const [lo, hi] = cfg.noiseSigmaRange;
  if (!(lo >= 0 && hi >= lo)) throw new Error(`degradation.noiseSigmaRange must be [lo, hi] with 0 <= lo <= hi (got [${lo}, ${hi}])`);
}

/** Draws one degradation of a batch (see the header for the order of draws). */
export function sampleDegradation(rng: Rng, cfg: DegradationConfig, batchSize: number): DegradationDraw {
  checkConfig(cfg);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`sampleDegradation: batch size must be a positive integer (got ${batchSize})`);
  let blur: BlurDraw | null = null;
  if (rng.next() < cfg.blurProb) {
    const kernelH = (1 + rng.int(5)) * 2 + 1;
    const kernelW = (1 + rng.int(5)) * 2 + 1;
    blur = { kernelH, kernelW, sigmaH: rng.next() * 1.9 + 0.1, sigmaW: rng.next() * 1.9 + 0.1 };
  }
  let resize: ResizeDraw | null = null;
  if (rng.next() < cfg.resizeProb) {
    const up = rng.next() < 0.25;
    const scale = up ? 1 + 0.5 * rng.next() : 0.5 + 0.5 * rng.next();
    const mode = MODES[rng.int(3)];
    resize = { scale, mode, backMode: MODES[rng.int(3)] };
  }
  let noise: NoiseDraw[] | null = null;
  if (rng.next() < cfg.noiseProb) {
    const [lo, hi] = cfg.noiseSigmaRange;
    noise = Array.from({ length: batchSize }, () => ({
      sigma: (lo + (hi - lo) * rng.next()) / 255, gray: rng.next() < cfg.grayNoiseProb, seed: rng.nextUint32(),
    }));
  }
  return { blur, resize, noise };
}

/** The draw for samples [from, from + count) of the batch (batch-level draws are shared). */
export function sliceDegradation(draw: DegradationDraw, from: number, count: number): DegradationDraw {
  if (draw.noise !== null && (from < 0 || from + count > draw.noise.length)) {
    throw new Error(`sliceDegradation: rows [${from}, ${from + count}) outside a draw for ${draw.noise.length} samples`);
  }
  return { ...draw, noise: draw.noise === null ? null : draw.noise.slice(from, from + count) };
}

/** kornia's 1-D Gaussian: x = i − ⌊k/2⌋ (+0.5 for even k), exp(−x²/2σ²), normalised. */
export function gaussianKernel1d(size: number, sigma: number): Float64Array {
  const g = new Float64Array(size);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = i - Math.floor(size / 2) + (size % 2 === 0 ? 0.5 : 0);
    g[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += g[i];
  }
  for (let i = 0; i < size; i++) g[i] /= sum;
  return g;
}

/** [n, n] matrix of a 1-D Gaussian filter with reflect borders (mirror without repeating the edge). */
function blurMatrix(n: number, size: number, sigma: number): Float32Array {
  const g = gaussianKernel1d(size, sigma);
  const half = Math.floor(size / 2);
  if (half >= n) throw new Error(`blur: a ${size}-tap kernel needs at least ${half + 1} pixels per side (got ${n})`);
  const m = new Float64Array(n * n);
  for (let o = 0; o < n; o++) {
    for (let t = 0; t < size; t++) {
      let i = o + t - half;
      if (i < 0) i = -i;
      if (i >= n) i = 2 * (n - 1) - i;
      m[o * n + i] += g[t];
    }
  }
  return Float32Array.from(m);
}

function noiseField(draws: readonly NoiseDraw[], h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(draws.length * h * w * c);
  draws.forEach((d, b) => {
    const rng = new Rng(d.seed);
    const base = b * h * w * c;
    if (d.gray) {
      for (let p = 0; p < h * w; p++) {
        const v = rng.normal() * d.sigma;
        for (let k = 0; k < c; k++) out[base + p * c + k] = v;
      }
    } else {
      for (let i = 0; i < h * w * c; i++) out[base + i] = rng.normal() * d.sigma;
    }
  });
  return out;
}

/** Applies a draw to an LR batch [B, H, W, C] in [0, 1]; returns a new tensor of the same shape. */
export function applyDegradation(lr: tf.Tensor4D, draw: DegradationDraw): tf.Tensor4D {
  const [b, h, w, c] = lr.shape;
  if (draw.noise !== null && draw.noise.length !== b) throw new Error(`applyDegradation: noise drawn for ${draw.noise.length} samples, batch has ${b}`);
  return tf.tidy(() => {
    let x = lr;
    if (draw.blur) {
      const { kernelH, kernelW, sigmaH, sigmaW } = draw.blur;
      x = resizeSeparable(x, blurMatrix(h, kernelH, sigmaH), h, blurMatrix(w, kernelW, sigmaW), w);
    }
    if (draw.resize) x = torchInterpolate(x, Math.trunc(h * draw.resize.scale), Math.trunc(w * draw.resize.scale), draw.resize.mode);
    if (draw.noise) {
      const [, hh, ww] = x.shape;
      x = tf.clipByValue(tf.add(x, tf.tensor4d(noiseField(draw.noise, hh, ww, c), [b, hh, ww, c])), 0, 1) as tf.Tensor4D;
    }
    if (draw.resize) x = torchInterpolate(x, h, w, draw.resize.backMode);
    return x === lr ? tf.clone(lr) : x;
  });
}

/** sampleDegradation + applyDegradation in one call. */
export function degradeBatch(lr: tf.Tensor4D, rng: Rng, cfg: DegradationConfig = DCKD_DEGRADATION): tf.Tensor4D {
  return applyDegradation(lr, sampleDegradation(rng, cfg, lr.shape[0]));
}
