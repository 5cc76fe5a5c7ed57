/**
 * DUKD/AugKD label-consistency augmentation (DUKD-v2 §3.3, DUKD-code): per sample, each of
 * I (colour inversion), H, W, Tr is applied independently with probability q, forward in the order I, H, W, Tr.
 * The exact inverse runs the ops in reverse order (Tr, W, H, I).
 *
 * `legacyInverseOrder` reproduces DUKD-code's bug of running the forward order again as the "inverse". Since
 * I commutes with the geometric ops and H/W commute with each other, the legacy "inverse" differs from the
 * true one exactly when Tr is combined with exactly one flip: Tr·H·Tr·H = W·H, a 180° rotation. Forensic only.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng';
import { colorInvert } from './color';
import { flipH, flipW, type InvertibleOp, type SampleMask, transpose } from './dihedral';

export type AugOpName = 'invert' | 'flipH' | 'flipW' | 'transpose';

/** Forward application order. */
export const AUG_FORWARD_ORDER: readonly AugOpName[] = ['invert', 'flipH', 'flipW', 'transpose'];

const OPS: Readonly<Record<AugOpName, InvertibleOp>> = { invert: colorInvert, flipH, flipW, transpose };

/** One sample's augmentation. A `type` (not interface) so arrays of it are a tf.TensorContainer. */
export type AugFlags = { invert: boolean; flipH: boolean; flipW: boolean; transpose: boolean };

export const IDENTITY_AUG: Readonly<AugFlags> = { invert: false, flipH: false, flipW: false, transpose: false };

export type AugSampling = {
  /** Probability of each op, independently (q; 0.3 in every DUKD config). */
  readonly prob: number;
  /** false: never apply I (geometric-only ablation). The draw is still made, so H/W/Tr do not change. */
  readonly colorInvert: boolean;
};

/** Draws one sample's flags: four Bernoulli(prob) draws in the order I, H, W, Tr. */
export function sampleAugFlags(rng: Rng, s: AugSampling): AugFlags {
  if (!(s.prob >= 0 && s.prob <= 1)) throw new Error(`augmentation prob must be in [0, 1] (got ${s.prob})`);
  const invert = rng.bernoulli(s.prob);
  const h = rng.bernoulli(s.prob);
  const w = rng.bernoulli(s.prob);
  const t = rng.bernoulli(s.prob);
  return { invert: invert && s.colorInvert, flipH: h, flipW: w, transpose: t };
}

/** All 16 combinations, in binary order of (I, H, W, Tr). */
export function allAugFlags(): AugFlags[] {
  return Array.from({ length: 16 }, (_, k) => ({
    invert: (k & 8) !== 0,
    flipH: (k & 4) !== 0,
    flipW: (k & 2) !== 0,
    transpose: (k & 1) !== 0,
  }));
}

function mask(flags: readonly AugFlags[], op: AugOpName): SampleMask {
  return flags.map((f) => f[op]);
}

function run(x: tf.Tensor4D, flags: readonly AugFlags[], order: readonly AugOpName[], dir: 'apply' | 'invert'): tf.Tensor4D {
  if (flags.length !== x.shape[0]) throw new Error(`${flags.length} augmentation flags for a batch of ${x.shape[0]}`);
  return tf.tidy(() => {
    let y = x;
    for (const op of order) {
      const m = mask(flags, op);
      if (m.some(Boolean)) y = OPS[op][dir](y, m);
    }
    return y === x ? tf.clone(x) : y;
  });
}

/** A(x): per sample, I then H then W then Tr where flagged. */
export function applyAug(x: tf.Tensor4D, flags: readonly AugFlags[]): tf.Tensor4D {
  return run(x, flags, AUG_FORWARD_ORDER, 'apply');
}

/** A⁻¹(y): Tr, W, H, I (exact); with `legacyInverseOrder` the forward order again (DUKD-code's bug). */
export function invertAug(y: tf.Tensor4D, flags: readonly AugFlags[], opts: { readonly legacyInverseOrder?: boolean } = {}): tf.Tensor4D {
  const order = opts.legacyInverseOrder ? AUG_FORWARD_ORDER : [...AUG_FORWARD_ORDER].reverse();
  return run(y, flags, order, 'invert');
}

/** True when the legacy inverse differs from the exact one for these flags: Tr with exactly one flip. */
export function legacyInverseIsWrong(f: AugFlags): boolean {
  return f.transpose && f.flipH !== f.flipW;
}
