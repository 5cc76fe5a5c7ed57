/** LayerNorm over the last axis: biased variance, eps 1e-5, learned weight and bias (PyTorch nn.LayerNorm). */
import * as tf from '@tensorflow/tfjs';
import type { NormWeights } from './param-builder';

export function layerNorm<T extends tf.Tensor>(x: T, p: NormWeights, eps = 1e-5): T {
  const axis = x.rank - 1;
  const mu = tf.mean(x, axis, true);
  const d = tf.sub(x, mu);
  const variance = tf.mean(tf.square(d), axis, true);
  const y = tf.mul(d, tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(y, p.weight), p.bias) as T;
}
