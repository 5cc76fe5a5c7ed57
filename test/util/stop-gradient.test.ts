// stopGradient: the value is unchanged, no gradient reaches x through it, nothing downstream of the copy is
// back-propagated at all, it reads nothing back to the host and leaks nothing; on the cpu and the kit's wasm backend.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { stopGradient } from '../../lib/util/stop-gradient';

const BACKENDS: readonly [string, () => Promise<unknown>][] = [
  ['cpu', () => tf.setBackend('cpu')],
  ['wasm', () => initBackend({ backend: 'wasm', announce: false })],
];

describe.each(BACKENDS)('stopGradient on %s', (name, use) => {
  it('keeps the value, shape and dtype', async () => {
    await use();
    expect(tf.getBackend()).toBe(name);
    const x = tf.tensor4d([0.25, -1.5, 3, 7, 0, 2, -0.125, 9], [1, 2, 2, 2]);
    const y = stopGradient(x);
    expect(y).not.toBe(x);
    expect(y.shape).toEqual(x.shape);
    expect(y.dtype).toBe('float32');
    expect(Array.from(await y.data())).toEqual(Array.from(await x.data()));
    tf.dispose([x, y]);
  });

  it('passes no gradient: d/dv Σ v·sg(v) = v and d/dv [Σ v + Σ sg(v)²] = 1', async () => {
    await use();
    const v = tf.variable(tf.tensor1d([1, -2, 3.5, 0.5]));
    const g1 = tf.variableGrads(() => tf.sum(tf.mul(v, stopGradient(v))) as tf.Scalar, [v]);
    expect(Array.from(await g1.grads[v.name].data())).toEqual([1, -2, 3.5, 0.5]); // not 2v
    const g2 = tf.variableGrads(() => tf.add(tf.sum(v), tf.sum(tf.square(stopGradient(v)))) as tf.Scalar, [v]);
    expect(Array.from(await g2.grads[v.name].data())).toEqual([1, 1, 1, 1]);
    expect(await g2.value.data()).toEqual(new Float32Array([3 + 17.5]));
    tf.dispose([g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads), v]);
  });

  it('prunes the branch behind the copy: an op on it is never back-propagated', async () => {
    await use();
    let backward = 0;
    const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const t = args[0] as tf.Tensor;
      return { value: tf.mul(t, 2), gradFunc: (dy: tf.Tensor) => { backward++; return [tf.mul(dy, 2)]; } };
    });
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    // control: the probe on v itself is back-propagated
    const seen = tf.variableGrads(() => tf.sum(probe(v) as tf.Tensor) as tf.Scalar, [v]);
    expect(backward).toBe(1);
    backward = 0;
    const g = tf.variableGrads(() => tf.add(tf.sum(v), tf.sum(probe(stopGradient(v)) as tf.Tensor)) as tf.Scalar, [v]);
    expect(backward).toBe(0);
    expect(Array.from(await g.grads[v.name].data())).toEqual([1, 1, 1]);
    tf.dispose([seen.value, g.value, ...Object.values(seen.grads), ...Object.values(g.grads), v]);
  });

  it('reads nothing back to the host and leaks nothing', async () => {
    await use();
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const b = tf.backend();
    const readSync = vi.spyOn(b, 'readSync');
    const read = vi.spyOn(b, 'read');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const v = tf.tidy(() => tf.variable(tf.zeros([2, 8, 8, 3])));
      const g = tf.variableGrads(() => tf.sum(tf.mul(v, stopGradient(x))) as tf.Scalar, [v]);
      tf.dispose([g.value, ...Object.values(g.grads), v]);
    }
    expect(readSync).not.toHaveBeenCalled();
    expect(read).not.toHaveBeenCalled();
    expect(tf.memory().numTensors).toBe(before);
    readSync.mockRestore();
    read.mockRestore();
    x.dispose();
  });
});
