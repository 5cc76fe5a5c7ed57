/**
 * Swin window partition / merge on NHWC features. Windows are enumerated per image, row-major over the
 * (H/ws) x (W/ws) grid; tokens inside a window are row-major. Transposes stay at rank 5.
 */
import * as tf from '@tensorflow/tfjs';

/** [B, H, W, C] -> [B * nW, ws*ws, C]. H and W must be multiples of ws. */
export function windowPartition(x: tf.Tensor4D, ws: number): tf.Tensor3D {
  const [b, h, w, c] = x.shape;
  if (h % ws !== 0 || w % ws !== 0) throw new Error(`windowPartition: ${h}x${w} is not a multiple of window ${ws}`);
  const t = tf.reshape(x, [b * (h / ws), ws, w / ws, ws, c]);
  const u = tf.transpose(t, [0, 2, 1, 3, 4]); // (b*gh, gw, ws, ws, c)
  return tf.reshape(u, [b * (h / ws) * (w / ws), ws * ws, c]);
}

/** Inverse of windowPartition: [B * nW, ws*ws, C] -> [B, H, W, C]. */
export function windowMerge(windows: tf.Tensor3D, ws: number, b: number, h: number, w: number): tf.Tensor4D {
  const c = windows.shape[2];
  const t = tf.reshape(windows, [b * (h / ws), w / ws, ws, ws, c]);
  const u = tf.transpose(t, [0, 2, 1, 3, 4]); // (b*gh, ws, gw, ws, c)
  return tf.reshape(u, [b, h, w, c]);
}
