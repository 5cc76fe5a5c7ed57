/**
 * Pixel losses on NHWC image tensors: "mean" reduction over every element
 * (batch, H, W, C), as BasicSR's L1Loss. A mean over elements is what makes data-parallel training
 * worker-count invariant: the share-size-weighted average of per-share means is the full-batch mean
 * (all samples of a batch have the same shape). Pure functions; the caller owns inputs and result.
 */
import * as tf from '@tensorflow/tfjs';

function sameShape(name: string, a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${name}: shapes differ ([${a.shape.join(', ')}] vs [${b.shape.join(', ')}])`);
  }
}

/** L1(a, b) = mean |a - b| over every element. */
export function l1(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  sameShape('l1', a, b);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}

/** MSE(a, b) = mean (a - b)^2 over every element. */
export function mse(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  sameShape('mse', a, b);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}
