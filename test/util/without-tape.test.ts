// withoutTape: the value is what f computes, no gradient reaches anything through it, nothing inside it is
// recorded on the tape (so its activations are freed at once, the point of it), it reads nothing back to the host,
// leaks nothing and restores the tape when f throws; on the cpu and the kit's wasm backend.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { withoutTape } from '../../lib/util/without-tape';

const BACKENDS: readonly [string, () => Promise<unknown>][] = [
  ['cpu', () => tf.setBackend('cpu')],
  ['wasm', () => initBackend({ backend: 'wasm', announce: false })],
];

/** Ten elementwise ops whose gradients need their inputs (the tape would keep a copy of each). */
const chain = (x: tf.Tensor): tf.Tensor => {
  let y = x;
  for (let i = 0; i < 10; i++) y = tf.mul(tf.sin(y), y);
  return y;
};

describe.each(BACKENDS)('withoutTape on %s', (name, use) => {
  it('returns what f computes', async () => {
    await use();
    expect(tf.getBackend()).toBe(name);
    const x = tf.tensor4d([0.25, -1.5, 3, 7, 0, 2, -0.125, 9], [1, 2, 2, 2]);
    const want = chain(x);
    const got = withoutTape(() => chain(x));
    expect(got.shape).toEqual(x.shape);
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
    const [a, b] = withoutTape(() => [tf.add(x, 1), tf.sum(x)]);
    expect(Array.from(await a.data())).toEqual([1.25, -0.5, 4, 8, 1, 3, 0.875, 10]);
    expect(await b.data()).toEqual(new Float32Array([19.625]));
    tf.dispose([x, want, got, a, b]);
  });

  it('passes no gradient: d/dv Σ v·f(v) = f(v) and d/dv [Σ v + Σ f(v)²] = 1', async () => {
    await use();
    const v = tf.variable(tf.tensor1d([1, -2, 3.5, 0.5]));
    const g1 = tf.variableGrads(() => tf.sum(tf.mul(v, withoutTape(() => tf.mul(v, 3)))) as tf.Scalar, [v]);
    expect(Array.from(await g1.grads[v.name].data())).toEqual([3, -6, 10.5, 1.5]); // not 6v
    const g2 = tf.variableGrads(() => tf.add(tf.sum(v), tf.sum(tf.square(withoutTape(() => tf.clone(v))))) as tf.Scalar, [v]);
    expect(Array.from(await g2.grads[v.name].data())).toEqual([1, 1, 1, 1]);
    expect(await g2.value.data()).toEqual(new Float32Array([3 + 17.5]));
    tf.dispose([g1.value, g2.value, ...Object.values(g1.grads), ...Object.values(g2.grads), v]);
  });

  it('records nothing on the tape: a pass holds only its result, where the same pass on the tape holds its activations', async () => {
    await use();
    const v = tf.variable(tf.randomNormal([4, 8], 0, 1, 'float32', 1));
    const x = tf.randomNormal([4, 8], 0, 1, 'float32', 2);
    const held: Record<string, number> = {};
    for (const mode of ['tape', 'withoutTape'] as const) {
      const g = tf.variableGrads(() => {
        const before = tf.memory().numTensors;
        const c = mode === 'tape' ? tf.tidy(() => chain(x)) : withoutTape(() => chain(x));
        held[mode] = tf.memory().numTensors - before;
        return tf.sum(tf.mul(v, c)) as tf.Scalar;
      }, [v]);
      tf.dispose([g.value, ...Object.values(g.grads)]);
    }
    expect(held.withoutTape).toBe(1);
    expect(held.tape).toBeGreaterThanOrEqual(10); // the control: tidy alone frees nothing the tape has saved
    tf.dispose([v, x]);
  });

  it('prunes the branch: an op inside it is never back-propagated', async () => {
    await use();
    let backward = 0;
    const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const t = args[0] as tf.Tensor;
      return { value: tf.mul(t, 2), gradFunc: (dy: tf.Tensor) => { backward++; return [tf.mul(dy, 2)]; } };
    });
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const seen = tf.variableGrads(() => tf.sum(probe(v) as tf.Tensor) as tf.Scalar, [v]); // control
    expect(backward).toBe(1);
    backward = 0;
    const g = tf.variableGrads(() => tf.add(tf.sum(v), tf.sum(withoutTape(() => probe(v) as tf.Tensor))) as tf.Scalar, [v]);
    expect(backward).toBe(0);
    expect(Array.from(await g.grads[v.name].data())).toEqual([1, 1, 1]);
    tf.dispose([seen.value, g.value, ...Object.values(seen.grads), ...Object.values(g.grads), v]);
  });

  it('turns the tape back on when f throws', async () => {
    await use();
    const v = tf.variable(tf.tensor1d([1, 2]));
    const g = tf.variableGrads(() => {
      expect(() => withoutTape(() => { throw new Error('inside'); })).toThrow('inside');
      return tf.sum(tf.square(v)) as tf.Scalar;
    }, [v]);
    expect(Array.from(await g.grads[v.name].data())).toEqual([2, 4]);
    tf.dispose([g.value, ...Object.values(g.grads), v]);
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
      const g = tf.variableGrads(() => tf.sum(tf.mul(v, withoutTape(() => chain(x)))) as tf.Scalar, [v]);
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
