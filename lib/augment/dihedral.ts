/**
 * Geometric invertible transforms on NHWC tensors (DUKD's invertible augmentations): row flip H (reverse the height
 * axis), column flip W (reverse the width axis) and transpose Tr (swap H and W; square tensors only); together they
 * generate all 8 dihedral transforms. Each is an involution, so `invert` = `apply`; both are exported so call sites
 * read as what they mean. Every op takes an optional per-sample mask: sample b is transformed iff mask[b] (tf.where
 * on a [B,1,1,1] condition); no mask transforms every sample. Differentiable; the caller owns inputs and result.
 */
import * as tf from '@tensorflow/tfjs';

/** One flag per sample of the batch (true = apply the op to that sample). */
export type SampleMask = readonly boolean[];

/** An invertible per-sample image transform. */
export interface InvertibleOp {
  readonly name: string;
  apply(x: tf.Tensor4D, mask?: SampleMask): tf.Tensor4D;
  invert(x: tf.Tensor4D, mask?: SampleMask): tf.Tensor4D;
}

/** `f(x)` on the samples where `mask` is true, `x` elsewhere; skips work when the mask is all-false/all-true. */
export function perSample(x: tf.Tensor4D, mask: SampleMask | undefined, f: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor4D {
  if (mask === undefined) return tf.tidy(() => f(x));
  if (mask.length !== x.shape[0]) {
    throw new Error(`per-sample mask has ${mask.length} entries for a batch of ${x.shape[0]}`);
  }
  if (mask.every((m) => !m)) return tf.clone(x); // a new tensor either way: the caller owns the result
  if (mask.every((m) => m)) return tf.tidy(() => f(x));
  return tf.tidy(() => tf.where(tf.tensor4d(mask.map(Boolean), [mask.length, 1, 1, 1], 'bool'), f(x), x));
}

function square(x: tf.Tensor4D): void {
  if (x.shape[1] !== x.shape[2]) throw new Error(`transpose needs square images (got ${x.shape[1]}x${x.shape[2]})`);
}

const reverseH = (x: tf.Tensor4D): tf.Tensor4D => tf.reverse(x, 1);
const reverseW = (x: tf.Tensor4D): tf.Tensor4D => tf.reverse(x, 2);
const swapHW = (x: tf.Tensor4D): tf.Tensor4D => tf.transpose(x, [0, 2, 1, 3]);

/** H: reverse the height axis (upside down). */
export const flipH: InvertibleOp = {
  name: 'flipH',
  apply: (x, mask) => perSample(x, mask, reverseH),
  invert: (x, mask) => perSample(x, mask, reverseH),
};

/** W: reverse the width axis (mirror left-right). */
export const flipW: InvertibleOp = {
  name: 'flipW',
  apply: (x, mask) => perSample(x, mask, reverseW),
  invert: (x, mask) => perSample(x, mask, reverseW),
};

/** Tr: swap the height and width axes. */
export const transpose: InvertibleOp = {
  name: 'transpose',
  apply: (x, mask) => {
    square(x);
    return perSample(x, mask, swapHW);
  },
  invert: (x, mask) => {
    square(x);
    return perSample(x, mask, swapHW);
  },
};

/** One of the 8 dihedral transforms as the flags of H, W, Tr (applied in that order). */
export type DihedralFlags = { flipH: boolean; flipW: boolean; transpose: boolean };

/** Applies H, then W, then Tr to the whole batch (e.g. BasicSR-style paired augmentation). */
export function applyDihedral(x: tf.Tensor4D, f: DihedralFlags): tf.Tensor4D {
  return tf.tidy(() => {
    let y = f.flipH ? reverseH(x) : x;
    if (f.flipW) y = reverseW(y);
    if (f.transpose) {
      square(y);
      y = swapHW(y);
    }
    return y === x ? tf.clone(x) : y;
  });
}

/** Exact inverse of `applyDihedral`: Tr, then W, then H. */
export function invertDihedral(x: tf.Tensor4D, f: DihedralFlags): tf.Tensor4D {
  return tf.tidy(() => {
    let y = x;
    if (f.transpose) {
      square(y);
      y = swapHW(y);
    }
    if (f.flipW) y = reverseW(y);
    if (f.flipH) y = reverseH(y);
    return y === x ? tf.clone(x) : y;
  });
}
