/**
 * RCAN channel attention: a = sigmoid(conv1x1_up(ReLU(conv1x1_down(global_avg_pool(x))))); returns x * a.
 * BasicSR keys: `attention.1` (C -> C/r) and `attention.3` (C/r -> C).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBias } from './conv';
import type { ConvWeights } from './param-builder';

export type ChannelAttentionWeights = { down: ConvWeights; up: ConvWeights };

export function channelAttention(x: tf.Tensor4D, p: ChannelAttentionWeights): tf.Tensor4D {
  const pooled = tf.mean(x, [1, 2], true) as tf.Tensor4D; // [B, 1, 1, C]
  const a = tf.sigmoid(conv2dBias(tf.relu(conv2dBias(pooled, p.down)), p.up));
  return tf.mul(x, a);
}
