/** Convolution with bias, NHWC, stride 1: k x k "same" (zero padding (k-1)/2), e.g. conv3 and 1x1. */
import * as tf from '@tensorflow/tfjs';
import type { ConvWeights } from './param-builder';

/**
 * conv(x) + bias, optionally followed by ReLU, as one `tf.fused.conv2d` (wasm: the FusedConv2D kernel,
 * where XNNPACK adds the bias and clamps in its output pass instead of two extra elementwise passes).
 * Its gradient is conv2DBackpropInput + conv2DBackpropFilter + a bias sum (+ step(y) for ReLU), the same
 * kernels as the unfused conv2d + add + relu.
 */
export function conv2dBias(x: tf.Tensor4D, p: ConvWeights, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  const k = p.weight.shape[0];
  // For odd k, 'same' in tfjs pads (k-1)/2 on each side, which equals PyTorch's padding=(k-1)/2.
  return tf.fused.conv2d({
    x, filter: p.weight as tf.Tensor4D, strides: 1, pad: k === 1 ? 'valid' : 'same', bias: p.bias, activation,
  });
}

/** relu(conv(x) + bias): `conv2dBias` with the ReLU fused. */
export function conv2dBiasRelu(x: tf.Tensor4D, p: ConvWeights): tf.Tensor4D {
  return conv2dBias(x, p, 'relu');
}
