/**
 * Separable resampling of an NHWC batch with one dense matrix per axis: out = Mh · x · Mwᵀ per image and channel
 * (height pass, then width pass, each one matMul). Shared by the MATLAB bicubic (./bicubic.ts) and PyTorch's
 * interpolation modes (./torch-interpolate.ts), which differ only in their matrices. Differentiable; dense
 * matrices suit patch-sized inputs. The caller owns `x` and the result.
 */
import * as tf from '@tensorflow/tfjs';

/** `mh` is [Ho, H] and `mw` [Wo, W], row-major (row o = weights of output o). */
export function resizeSeparable(x: tf.Tensor4D, mh: Float32Array, Ho: number, mw: Float32Array, Wo: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  if (mh.length !== Ho * H || mw.length !== Wo * W) {
    throw new Error(`resizeSeparable: matrices [${mh.length}] and [${mw.length}] do not fit ${H}x${W} -> ${Ho}x${Wo}`);
  }
  return tf.tidy(() => {
    // [B,H,W,C] -> [B,W,C,H] -> [B*W*C, H] x Mh^T -> [B,W,C,Ho]
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const a = tf.reshape(tf.transpose(xf, [0, 2, 3, 1]), [B * W * C, H]);
    const hPass = tf.reshape(tf.matMul(a, tf.tensor2d(mh, [Ho, H]), false, true), [B, W, C, Ho]);
    // [B,W,C,Ho] -> [B,Ho,C,W] -> [B*Ho*C, W] x Mw^T -> [B,Ho,C,Wo] -> [B,Ho,Wo,C]
    const b = tf.reshape(tf.transpose(hPass, [0, 3, 2, 1]), [B * Ho * C, W]);
    const wPass = tf.reshape(tf.matMul(b, tf.tensor2d(mw, [Wo, W]), false, true), [B, Ho, C, Wo]);
    return tf.transpose(wPass, [0, 1, 3, 2]) as tf.Tensor4D;
  });
}
