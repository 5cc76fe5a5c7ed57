import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { l1, mse } from '../../lib/losses/pixel';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pixel losses', () => {
  const a = [0.1, 0.5, 0.9, 0.2, 0.0, 1.0, 0.3, 0.7];
  const b = [0.2, 0.5, 0.4, 0.6, 0.1, 0.8, 0.3, 0.0];

  it('l1 is the mean absolute difference over every element', () => {
    // |diffs| = 0.1, 0, 0.5, 0.4, 0.1, 0.2, 0, 0.7 -> sum 2.0, mean 0.25
    const v = tf.tidy(() => l1(tf.tensor4d(a, [2, 2, 2, 1]), tf.tensor4d(b, [2, 2, 2, 1])).dataSync()[0]);
    expect(v).toBeCloseTo(0.25, 6);
  });

  it('mse is the mean squared difference', () => {
    // squares = .01, 0, .25, .16, .01, .04, 0, .49 -> sum .96, mean .12
    const v = tf.tidy(() => mse(tf.tensor4d(a, [1, 2, 2, 2]), tf.tensor4d(b, [1, 2, 2, 2])).dataSync()[0]);
    expect(v).toBeCloseTo(0.12, 6);
  });

  it('l1 gradient is sign(a - b) / count (away from ties; tfjs uses -1 at exactly 0)', () => {
    const b2 = b.map((v, i) => (v === a[i] ? v + 0.05 : v));
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => l1(x, tf.tensor4d(b2, [1, 2, 2, 2])))(tf.tensor4d(a, [1, 2, 2, 2])).arraySync());
    const want = a.map((v, i) => Math.sign(v - b2[i]) / 8);
    expect((g as number[][][][]).flat(3)).toEqual(want.map((w) => expect.closeTo(w, 7)));
  });

  it('rejects mismatched shapes', () => {
    expect(() => tf.tidy(() => l1(tf.zeros([1, 2, 2, 3]), tf.zeros([1, 4, 4, 3])))).toThrow(/shapes differ/);
  });
});
