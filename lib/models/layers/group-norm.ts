/**
 * GroupNorm on NHWC tensors (PyTorch nn.GroupNorm): channels split into `groups` consecutive groups, each
 * normalised over (H, W, channels of the group) with the biased variance, then a per-channel affine.
 */
import * as tf from '@tensorflow/tfjs';

export type NormParams = { readonly weight: tf.Tensor; readonly bias: tf.Tensor };

export function groupNorm(x: tf.Tensor4D, p: NormParams, groups: number, eps: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels do not split into ${groups} groups`);
  return tf.tidy(() => {
    const xg = tf.reshape(x, [b, h * w, groups, c / groups]);
    const mean = tf.mean(xg, [1, 3], true);
    const centred = tf.sub(xg, mean);
    const variance = tf.mean(tf.square(centred), [1, 3], true);
    const y = tf.reshape(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), [b, h, w, c]);
    return tf.add(tf.mul(y, p.weight), p.bias) as tf.Tensor4D;
  });
}
