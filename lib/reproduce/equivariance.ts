/**
 * How far the DUKD invertible augmentations (flips, transpose, colour inversion) are from exact for data and for a network:
 *  - `roundTripRows`: max |A⁻¹(A(x)) − x| per augmentation, with the exact inverse and with DUKD-code's legacy
 *    inverse order (which is wrong exactly for transpose + one flip);
 *  - `equivarianceRows`: how far a network T is from equivariant, T(x) vs A⁻¹(T(A(x))), as L1, PSNR (RGB,
 *    [0,1] floats, no quantisation) and max |difference|. The DUKD label-consistency term assumes the teacher's
 *    targets carry over under A; a large error under colour inversion says that assumption fails there.
 * Every augmentation is applied to the whole batch (same flags for every sample).
 */
import * as tf from '@tensorflow/tfjs';
import { type AugFlags, allAugFlags, applyAug, invertAug, legacyInverseIsWrong } from '../augment/invertible';
import type { SRNet } from '../models/types';

/** A network or any image-to-image function (NHWC [0,1]); called inside tf.tidy. */
export type ImageFn = SRNet | ((x: tf.Tensor4D) => tf.Tensor4D);

const SHORT: readonly [keyof AugFlags, string][] = [['invert', 'I'], ['flipH', 'H'], ['flipW', 'W'], ['transpose', 'Tr']];

/** 'I+H+Tr' style name in forward order; 'identity' when no op is set. */
export function augLabel(f: AugFlags): string {
  const ops = SHORT.filter(([k]) => f[k]).map(([, s]) => s);
  return ops.length ? ops.join('+') : 'identity';
}

function call(fn: ImageFn, x: tf.Tensor4D): tf.Tensor4D {
  return typeof fn === 'function' ? fn(x) : fn.forward(x).out;
}

function batchFlags(f: AugFlags, n: number): AugFlags[] {
  return Array.from({ length: n }, () => ({ ...f }));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export interface RoundTripRow {
  readonly aug: string;
  /** max |A⁻¹(A(x)) − x| with the exact inverse (reverse order). */
  readonly exactMaxErr: number;
  /** max |A⁻¹(A(x)) − x| with DUKD-code's inverse (forward order again). */
  readonly legacyMaxErr: number;
  /** Predicted by `legacyInverseIsWrong`: transpose with exactly one flip. */
  readonly legacyWrong: boolean;
}

/** Round-trip errors of every augmentation in `flagsList` (default: all 16) on `x` (square images). */
export function roundTripRows(x: tf.Tensor4D, flagsList: readonly AugFlags[] = allAugFlags()): RoundTripRow[] {
  return flagsList.map((f) => {
    const fs = batchFlags(f, x.shape[0]);
    const [exactMaxErr, legacyMaxErr] = tf.tidy(() => {
      const y = applyAug(x, fs);
      return [maxAbsDiff(invertAug(y, fs), x), maxAbsDiff(invertAug(y, fs, { legacyInverseOrder: true }), x)];
    });
    return { aug: augLabel(f), exactMaxErr, legacyMaxErr, legacyWrong: legacyInverseIsWrong(f) };
  });
}

export interface EquivarianceRow {
  readonly aug: string;
  /** mean |A⁻¹(T(A(x))) − T(x)| */
  readonly l1: number;
  /** 10·log10(1 / MSE) on [0,1] RGB floats (Infinity when identical). */
  readonly psnr: number;
  readonly maxAbs: number;
}

/** T(x) vs A⁻¹(T(A(x))) for every augmentation in `flagsList` (default all 16). `x` must hold square images. */
export function equivarianceRows(net: ImageFn, x: tf.Tensor4D, flagsList: readonly AugFlags[] = allAugFlags()): EquivarianceRow[] {
  const ref = tf.tidy(() => call(net, x));
  try {
    return flagsList.map((f) => {
      const fs = batchFlags(f, x.shape[0]);
      const [l1, mse, maxAbs] = tf.tidy(() => {
        const y = invertAug(call(net, applyAug(x, fs)), fs);
        const d = tf.sub(y, ref);
        return [tf.mean(tf.abs(d)), tf.mean(tf.square(d)), tf.max(tf.abs(d))].map((t) => t.dataSync()[0]);
      });
      return { aug: augLabel(f), l1, psnr: mse === 0 ? Infinity : 10 * Math.log10(1 / mse), maxAbs };
    });
  } finally {
    ref.dispose();
  }
}
