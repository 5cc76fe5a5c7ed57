/**
 * Colour inversion I: v -> 1 - v on [0,1] images (255 - v on 8-bit data; DUKD-v2 §3.3).
 * An involution; per-sample masks as in dihedral.ts. The caller owns inputs and result.
 * Float32 note: 1 - (1 - v) == v exactly when v is a multiple of 2^-24 (every value >= 0.5, k/256, ...);
 * for other values below 0.5 (e.g. some k/255) 1 - v rounds, so the round trip is off by at most 2^-25.
 */
import * as tf from '@tensorflow/tfjs';
import { type InvertibleOp, perSample } from './dihedral';

const oneMinus = (x: tf.Tensor4D): tf.Tensor4D => tf.sub(1, x);

/** I: v -> 1 - v. */
export const colorInvert: InvertibleOp = {
  name: 'invert',
  apply: (x, mask) => perSample(x, mask, oneMinus),
  invert: (x, mask) => perSample(x, mask, oneMinus),
};
