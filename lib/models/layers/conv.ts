/** Convolution with bias, NHWC, stride 1: k x k "same" (zero padding (k-1)/2), e.g. conv3 and 1x1. */
import * as tf from '@tensorflow/tfjs';
import type { ConvWeights } from './param-builder';

export function conv2dBias(x: tf.Tensor4D, p: ConvWeights): tf.Tensor4D {
  const k = p.weight.shape[0];
  // For odd k, 'same' in tfjs pads (k-1)/2 on each side, which equals PyTorch's padding=(k-1)/2.
  const y = tf.conv2d(x, p.weight as tf.Tensor4D, 1, k === 1 ? 'valid' : 'same');
  return tf.add(y, p.bias);
}
