/** Convolution with bias, NHWC, stride 1: k x k "same" (zero padding (k-1)/2), e.g. conv3 and 1x1. */
import * as tf from '@tensorflow/tfjs';
/** A conv's filter (HWIO [k, k, in, out]) and bias: trainable variables (ConvWeights) or plain tensors (frozen nets, slices). */
export type ConvParams = { readonly weight: tf.Tensor; readonly bias: tf.Tensor };

/**
 * conv(x) + bias, optionally followed by ReLU, as one `tf.fused.conv2d` (wasm: the FusedConv2D kernel,
 * where XNNPACK adds the bias and clamps in its output pass instead of two extra elementwise passes).
 * Its gradient is conv2DBackpropInput + conv2DBackpropFilter + a bias sum (+ step(y) for ReLU), the same
 * kernels as the unfused conv2d + add + relu.
 */
export function conv2dBias(x: tf.Tensor4D, p: ConvParams, activation: 'linear' | 'relu' = 'linear'): tf.Tensor4D {
  const k = p.weight.shape[0];
  // For odd k, 'same' in tfjs pads (k-1)/2 on each side, which equals PyTorch's padding=(k-1)/2.
  return tf.fused.conv2d({
    x, filter: p.weight as tf.Tensor4D, strides: 1, pad: k === 1 ? 'valid' : 'same', bias: p.bias, activation,
  });
}

/** relu(conv(x) + bias): `conv2dBias` with the ReLU fused. */
export function conv2dBiasRelu(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return conv2dBias(x, p, 'relu');
}

/**
 * conv(x) + bias (+ ReLU) for weights that never get a gradient (the frozen feature networks). Unfused on
 * purpose: tf.fused.conv2d's custom gradient always computes the filter gradient as well, a full extra
 * convolution per layer (on the cpu backend ~100x the forward time), while the plain Conv2D gradient computes
 * only what the backward pass asks for, here dx. The two extra elementwise passes are cheap beside the conv.
 * `pad` 'same' for odd k equals PyTorch's padding (k-1)/2; 'valid' is padding 0.
 */
export function frozenConv2d(
  x: tf.Tensor4D, p: ConvParams, opts: { readonly activation?: 'linear' | 'relu'; readonly strides?: number; readonly pad?: 'same' | 'valid' } = {},
): tf.Tensor4D {
  const k = p.weight.shape[0];
  const y = tf.add(tf.conv2d(x, p.weight as tf.Tensor4D, opts.strides ?? 1, opts.pad ?? (k === 1 ? 'valid' : 'same')), p.bias) as tf.Tensor4D;
  return opts.activation === 'relu' ? tf.relu(y) : y;
}
