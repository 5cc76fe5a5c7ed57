/**
 * PyTorch's `.detach()` for TF.js: the same values in a fresh tensor with no tape history, so backprop never
 * enters the graph that produced `x` nor anything computed from the copy. TF.js has no stop-gradient op; an
 * identity with a zero custom gradient would stop the gradient too, but backprop would still run through every
 * op between the copy and the loss (e.g. a whole VGG pass over the teacher's image) only to produce zeros.
 * The cost is one host read and upload of `x` (a memory copy on the cpu and wasm backends). CSD detaches the
 * teacher's output in its contrastive term while its L1 term still trains the shared weights through it.
 * The caller owns `x` and the result.
 */
import * as tf from '@tensorflow/tfjs';

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}
