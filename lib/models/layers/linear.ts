/**
 * Dense layer `y = x W + b` over the last axis, W stored [in, out].
 * The input is flattened to 2-D before tf.matMul: tfjs's BatchMatMul gradient does not reduce broadcast batch
 * dimensions, so a rank-3 x rank-2 product would give wrong-shaped weight gradients.
 */
import * as tf from '@tensorflow/tfjs';
import type { LinearWeights } from './param-builder';

export function linear<T extends tf.Tensor>(x: T, p: LinearWeights): T {
  const [fin, fout] = p.weight.shape as [number, number];
  const lead = x.shape.slice(0, -1);
  const y2 = tf.add(tf.matMul(tf.reshape(x, [-1, fin]) as tf.Tensor2D, p.weight as tf.Tensor2D), p.bias);
  return tf.reshape(y2, [...lead, fout]) as T;
}
