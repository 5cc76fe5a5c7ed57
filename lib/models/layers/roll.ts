/**
 * torch.roll along one axis, from slice + concat: out[i] = x[(i - shift) mod n].
 * A negative shift moves content towards index 0 (SwinIR's cyclic shift uses -ws/2 then +ws/2).
 */
import * as tf from '@tensorflow/tfjs';

export function roll<T extends tf.Tensor>(x: T, shift: number, axis: number): T {
  const n = x.shape[axis];
  const k = ((shift % n) + n) % n;
  if (k === 0) return x;
  const begin = x.shape.map(() => 0);
  const size = x.shape.map(() => -1);
  const headBegin = begin.slice();
  headBegin[axis] = n - k;
  const tailSize = size.slice();
  tailSize[axis] = n - k;
  const head = tf.slice(x, headBegin, size); // last k entries
  const tail = tf.slice(x, begin, tailSize); // first n-k entries
  return tf.concat([head, tail], axis) as T;
}
