/**
 * Swin window multi-head self-attention with relative position bias (SwinIR `WindowAttention`).
 * qkv output channels are [q | k | v], head-major inside each part.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from './linear';
import type { LinearWeights } from './param-builder';

export type WindowAttentionWeights = {
  qkv: LinearWeights; // [C, 3C]
  proj: LinearWeights; // [C, C]
  table: tf.Variable; // relative_position_bias_table [(2ws-1)^2, heads]
};

/**
 * @param x       windows [Bw, N, C] (Bw = batch * nW, N = ws*ws)
 * @param relOneHot one-hot relative position index [(2ws-1)^2, N*N] (relativePositionOneHot)
 * @param mask    [nW, N, N] additive mask (shifted layers) or null
 */
export function windowAttention(
  x: tf.Tensor3D,
  p: WindowAttentionWeights,
  heads: number,
  relOneHot: tf.Tensor2D,
  mask: tf.Tensor3D | null,
): tf.Tensor3D {
  const [bw, n, c] = x.shape;
  const dh = c / heads;
  const qkv = linear(x, p.qkv); // [Bw, N, 3C]
  // [Bw, N, 3, h, dh] -> [3, Bw, h, N, dh]; splitting the leading axis takes contiguous slices (fast everywhere)
  const t = tf.transpose(tf.reshape(qkv, [bw, n, 3, heads, dh]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.split(tf.reshape(t, [3, bw * heads * n * dh]), 3, 0).map((part) => tf.reshape(part, [bw, heads, n, dh]));
  let attn: tf.Tensor = tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true); // [Bw, h, N, N]
  // bias[j, p, q] = table[index[p, q], j] = (table^T @ onehot)[j, p*N + q]
  const bias = tf.reshape(tf.matMul(p.table as tf.Tensor2D, relOneHot, true, false), [heads, n, n]);
  attn = tf.add(attn, bias);
  if (mask !== null) {
    const nW = mask.shape[0];
    attn = tf.reshape(tf.add(tf.reshape(attn, [bw / nW, nW, heads, n, n]), tf.reshape(mask, [1, nW, 1, n, n])), [
      bw,
      heads,
      n,
      n,
    ]);
  }
  attn = tf.softmax(attn, -1);
  const out = tf.matMul(attn as tf.Tensor4D, v); // [Bw, h, N, dh]
  const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [bw, n, c]) as tf.Tensor3D;
  return linear(merged, p.proj);
}
