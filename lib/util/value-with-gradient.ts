/**
 * A scalar whose value is a given number and whose gradient is that of another scalar `x`:
 * value(out) = value, ∂out/∂θ = ∂x/∂θ. Batch-coupled terms under data parallelism need exactly this: the value
 * logged is the full-batch loss (from the all-reduced share statistics), the gradient is this share's surrogate
 * (lib/losses/contrastive-ratio.ts `contrastiveRatioShareSurrogate`). A custom gradient (identity on `x`) does
 * it without reading `x` back from the device, unlike `x + (value − read(x))`.
 * The caller owns `x` and the result.
 */
import * as tf from '@tensorflow/tfjs';

export function valueWithGradientOf(x: tf.Scalar, value: number): tf.Scalar {
  if (x.rank !== 0) throw new Error(`valueWithGradientOf: x must be a scalar (got shape [${x.shape}])`);
  if (!Number.isFinite(value)) throw new Error(`valueWithGradientOf: value must be finite (got ${value})`);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.add(tf.mul(input, 0), value) as tf.Scalar, gradFunc: (dy: tf.Tensor) => [tf.mul(dy, tf.onesLike(input))] };
  });
  return f(x) as tf.Scalar;
}
