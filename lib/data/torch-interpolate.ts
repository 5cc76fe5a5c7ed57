/**
 * PyTorch's `F.interpolate` / `nn.Upsample` on NHWC tensors with align_corners=False and no antialiasing
 * (PyTorch's defaults; ATen `UpSample.h`, `UpSampleKernel.cpp`):
 * - 'bicubic': Keys cubic convolution with a = −0.75; source x = (o + 0.5)·scale − 0.5 (not clamped), taps
 *   floor(x) − 1 .. floor(x) + 2 clamped to the edge pixels.
 * - 'bilinear': source x = max(0, (o + 0.5)·scale − 0.5), the second tap clamped to the last pixel.
 * - 'area': adaptive average pooling, output o averages inputs floor(o·n/m) .. ceil((o+1)·n/m) − 1.
 * `scale` is input/output length, or 1/scale_factor when a scale factor is given (nn.Upsample(scale_factor=s)).
 *
 * CSD's negatives are `nn.Upsample(scale_factor=s, mode='bicubic')` of LR patches (CSD-code
 * `trainer/slim_contrast_trainer.py`); DCKD's optional resize degradation draws among the three modes. This is
 * not the kit's MATLAB bicubic (./bicubic.ts: a = −0.5, mirrored borders, antialiasing when shrinking), which
 * makes the LR data and DUKD's zoom-out.
 */
import * as tf from '@tensorflow/tfjs';
import { resizeSeparable } from './separable-resize';

export type TorchInterpolateMode = 'bicubic' | 'bilinear' | 'area';

const A = -0.75;
const cubic1 = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1; // |x| <= 1
const cubic2 = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; // 1 < |x| < 2

/**
 * Dense [nOut, nIn] matrix (row-major) of one axis. `scaleFactor` (output/input) as nn.Upsample(scale_factor)
 * passes it; without it the coordinate scale is nIn/nOut, as F.interpolate(size=...).
 */
export function torchInterpolateMatrix(mode: TorchInterpolateMode, nIn: number, nOut: number, scaleFactor?: number): Float32Array {
  if (!Number.isInteger(nIn) || !Number.isInteger(nOut) || nIn < 1 || nOut < 1) {
    throw new Error(`torchInterpolateMatrix: lengths must be positive integers (got ${nIn} -> ${nOut})`);
  }
  const m = new Float64Array(nOut * nIn);
  const scale = scaleFactor !== undefined && scaleFactor > 0 ? 1 / scaleFactor : nIn / nOut;
  const clampIdx = (i: number): number => Math.min(Math.max(i, 0), nIn - 1);
  for (let o = 0; o < nOut; o++) {
    const row = o * nIn;
    if (mode === 'bicubic') {
      const real = (o + 0.5) * scale - 0.5;
      const i0 = Math.min(Math.floor(real), nIn - 1);
      const t = Math.min(Math.max(real - i0, 0), 1);
      const w = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
      for (let k = 0; k < 4; k++) m[row + clampIdx(i0 - 1 + k)] += w[k];
    } else if (mode === 'bilinear') {
      const real = Math.max((o + 0.5) * scale - 0.5, 0);
      const i0 = Math.min(Math.floor(real), nIn - 1);
      const i1 = i0 < nIn - 1 ? i0 + 1 : i0;
      const l1 = real - i0;
      m[row + i0] += 1 - l1;
      m[row + i1] += l1;
    } else {
      const start = Math.floor((o * nIn) / nOut);
      const end = Math.ceil(((o + 1) * nIn) / nOut);
      for (let i = start; i < end; i++) m[row + i] += 1 / (end - start);
    }
  }
  return Float32Array.from(m);
}

/** F.interpolate(x, size=[outH, outW], mode, align_corners=False) on NHWC (any value range). Differentiable. */
export function torchInterpolate(x: tf.Tensor4D, outH: number, outW: number, mode: TorchInterpolateMode): tf.Tensor4D {
  const [, H, W] = x.shape;
  return resizeSeparable(x, torchInterpolateMatrix(mode, H, outH), outH, torchInterpolateMatrix(mode, W, outW), outW);
}

/** nn.Upsample(scale_factor=scale, mode='bicubic') on NHWC: output floor(scale·H) x floor(scale·W). */
export function torchUpsampleBicubic(x: tf.Tensor4D, scale: number): tf.Tensor4D {
  if (!(scale > 0)) throw new Error(`torchUpsampleBicubic: scale must be > 0 (got ${scale})`);
  const [, H, W] = x.shape;
  const Ho = Math.floor(H * scale);
  const Wo = Math.floor(W * scale);
  return resizeSeparable(x, torchInterpolateMatrix('bicubic', H, Ho, scale), Ho, torchInterpolateMatrix('bicubic', W, Wo, scale), Wo);
}
