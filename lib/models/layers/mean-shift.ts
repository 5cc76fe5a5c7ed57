/** Fixed DIV2K RGB mean removal / restoration with `imgRange` scaling (255 for EDSR/RCAN, 1 for SwinIR; BasicSR). */
import * as tf from '@tensorflow/tfjs';

/** DIV2K training-set RGB mean. */
export const DIV2K_RGB_MEAN: readonly [number, number, number] = [0.4488, 0.4371, 0.404];

/** (x - mean) * imgRange. */
export function subtractMean(x: tf.Tensor4D, imgRange: number): tf.Tensor4D {
  return tf.tidy(() => tf.mul(tf.sub(x, tf.tensor1d(DIV2K_RGB_MEAN.slice())), imgRange));
}

/** y / imgRange + mean. */
export function addMean(y: tf.Tensor4D, imgRange: number): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.div(y, imgRange), tf.tensor1d(DIV2K_RGB_MEAN.slice())));
}
