/**
 * Attention transfer (Zagoruyko & Komodakis, "Paying More Attention to Attention", ICLR 2017), as their code
 * computes it (szagoruyko/attention-transfer `utils.py`): the attention map of a feature map F [B,h,w,C] is
 * Q = mean over channels of F², flattened per sample and L2-normalised (`F.normalize`: divided by max(‖Q‖, 1e-12));
 * the loss of one layer pair is the mean over (B, h·w) of (Q_S − Q_T)². Channel counts may differ. Their total
 * adds β/2 · Σ_layers with β = 1000 (the method's weight, lib/distill/at.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** `F.normalize`'s floor on the norm. */
export const AT_NORM_EPS = 1e-12;

/** Q = normalize(mean_c(F²)) as [B, h·w]. */
export function attentionMap(f: tf.Tensor4D): tf.Tensor2D {
  const [b, h, w] = f.shape;
  return tf.tidy(() => {
    const q = tf.reshape(tf.mean(tf.square(f), 3), [b, h * w]) as tf.Tensor2D;
    // sqrt of a floored square: an all-zero map gets gradient 0 instead of NaN (like F.normalize's clamp)
    const norm = tf.maximum(tf.sqrt(tf.maximum(tf.sum(tf.square(q), 1, true), 1e-30)), AT_NORM_EPS);
    return tf.div(q, norm) as tf.Tensor2D;
  });
}

/** mean over (B, h·w) of (Q(fs) − Q(ft))²; fs and ft must share batch and spatial size. */
export function attentionLoss(fs: tf.Tensor4D, ft: tf.Tensor4D): tf.Scalar {
  if (fs.shape[0] !== ft.shape[0] || fs.shape[1] !== ft.shape[1] || fs.shape[2] !== ft.shape[2]) {
    throw new Error(`attentionLoss: student and teacher features must share batch and spatial size ([${fs.shape.join(', ')}] vs [${ft.shape.join(', ')}])`);
  }
  return tf.tidy(() => tf.mean(tf.squaredDifference(attentionMap(fs), attentionMap(ft))) as tf.Scalar);
}
