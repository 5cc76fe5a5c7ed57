/**
 * PyTorch PixelShuffle(r) on NHWC tensors, channel order "CRD":
 *   out[n, h*r+i, w*r+j, c] = in[n, h, w, c*r*r + i*r + j].
 * Built from reshape -> transpose -> reshape (tf.depthToSpace uses the other order, "DCR", and has no gradient
 * in tfjs). Transposes stay at rank 5 for backends with limited transpose rank.
 */
import * as tf from '@tensorflow/tfjs';

export function pixelShuffle(x: tf.Tensor4D, r: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c % (r * r) !== 0) throw new Error(`pixelShuffle: channels ${c} not divisible by r*r = ${r * r}`);
  const co = c / (r * r);
  const t = tf.reshape(x, [n * h, w, co, r, r]); // (n*h, w, c, i, j)
  const u = tf.transpose(t, [0, 3, 1, 4, 2]); // (n*h, i, w, j, c)
  return tf.reshape(u, [n, h * r, w * r, co]);
}
