/**
 * PyTorch's `.detach()` for TF.js: the same values in a fresh tensor that the gradient tape never connects to `x`.
 * TF.js has no stop-gradient op. The copy is made by a custom-gradient op called with no tensor inputs (it
 * closes over `x`): the tape records a node without inputs, so tf.grads / tf.variableGrads prune it, and with it
 * every op that depends on the copy alone (e.g. a VGG pass over the teacher's image), instead of back-propagating
 * zeros through them. An identity with a zero custom gradient taking `x` as input would stop the gradient too, but
 * backprop would still run through all of those ops. No host read: the copy is the backend's Identity (a
 * reference to the same buffer on cpu, wasm and webgpu), so it is safe inside a step loop on any backend.
 * CSD detaches the teacher's output in its contrastive term while its L1 term still trains the shared weights
 * through it. The caller owns `x` and the result.
 */
import * as tf from '@tensorflow/tfjs';

export function stopGradient<T extends tf.Tensor>(x: T): T {
  const detached = tf.customGrad(() => ({ value: tf.clone(x), gradFunc: () => [] }));
  return detached() as T;
}
