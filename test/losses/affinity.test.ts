import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { affinityL1, affinityL1Dense, spatialAffinity } from '../../lib/losses/affinity';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Plain-JS affinity of one sample: feats[pos][ch] -> cos-sim matrix (norm + 1e-8). */
function jsAffinity(f: number[][]): number[][] {
  const n = f.map((v) => v.map((x) => x / (Math.hypot(...v) + 1e-8)));
  return n.map((u) => n.map((v) => u.reduce((s, x, k) => s + x * v[k], 0)));
}

// one sample, 2x2 positions (row-major), student 2 channels, teacher 3 channels
const S = [
  [1, 0],
  [0, 2],
  [3, 4],
  [-1, 1],
];
const T = [
  [1, 1, 0],
  [0, 0, 1],
  [2, 0, 0],
  [1, 2, 2],
];
const tensorOf = (f: number[][]): tf.Tensor4D => tf.tensor4d(f.flat(), [1, 2, 2, f[0].length]);

describe('spatial affinity (FAKD SA)', () => {
  it('matches the cosine-similarity matrix computed by hand', () => {
    // e.g. positions 0 and 2 of S: (1,0)·(3,4)/5 = 0.6; positions 2 and 3: (3·-1 + 4·1)/(5·√2) = 0.1414
    const a = tf.tidy(() => spatialAffinity(tensorOf(S)).arraySync()[0]);
    expect(a[0][2]).toBeCloseTo(0.6, 6);
    expect(a[2][3]).toBeCloseTo(1 / (5 * Math.SQRT2), 6);
    const want = jsAffinity(S);
    a.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(want[i][j], 6)));
  });

  it('affinityL1 = mean |A_S - A_T| over (B, N, N), channel counts may differ', () => {
    const as = jsAffinity(S);
    const at = jsAffinity(T);
    let sum = 0;
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += Math.abs(as[i][j] - at[i][j]);
    const v = tf.tidy(() => affinityL1(tensorOf(S), tensorOf(T)).dataSync()[0]);
    expect(v).toBeCloseTo(sum / 16, 6);
  });

  it('has a real gradient w.r.t. the student features (finite differences)', () => {
    const t = tensorOf(T);
    const f = (x: tf.Tensor4D): tf.Scalar => affinityL1(x, t);
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => f(x as tf.Tensor4D))(tensorOf(S)).dataSync());
    expect(Array.from(g).some((v) => Math.abs(v) > 1e-3)).toBe(true);
    const flat = S.flat();
    const h = 1e-3;
    for (const k of [0, 3, 5]) {
      const up = flat.slice();
      const dn = flat.slice();
      up[k] += h;
      dn[k] -= h;
      const fd = tf.tidy(
        () => (f(tf.tensor4d(up, [1, 2, 2, 2])).dataSync()[0] - f(tf.tensor4d(dn, [1, 2, 2, 2])).dataSync()[0]) / (2 * h),
      );
      expect(g[k]).toBeCloseTo(fd, 2);
    }
    t.dispose();
  });

  it('an all-zero position gives a finite gradient', () => {
    const zero = [[0, 0], ...S.slice(1)];
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => affinityL1(x as tf.Tensor4D, tensorOf(T)))(tensorOf(zero)).dataSync());
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });

  it('rejects spatial size mismatch', () => {
    expect(() => tf.tidy(() => affinityL1(tf.ones([1, 2, 2, 2]), tf.ones([1, 4, 4, 2])))).toThrow(/spatial size/);
  });
});

describe('chunked affinityL1 = dense autodiff reference', () => {
  it('same value and gradients for several chunk sizes', () => {
    tf.tidy(() => {
      const fs = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 1) as tf.Tensor4D; // N = 15
      const ft = tf.randomNormal([2, 3, 5, 6], 0, 1, 'float32', 2) as tf.Tensor4D;
      const dense = affinityL1Dense(fs, ft).dataSync()[0];
      const gDense = tf.grad((x: tf.Tensor) => affinityL1Dense(x as tf.Tensor4D, ft))(fs).dataSync();
      for (const chunkRows of [1, 4, 15, 100]) {
        expect(affinityL1(fs, ft, { chunkRows }).dataSync()[0]).toBeCloseTo(dense, 6);
        const g = tf.grad((x: tf.Tensor) => affinityL1(x as tf.Tensor4D, ft, { chunkRows }))(fs).dataSync();
        g.forEach((v, i) => expect(v).toBeCloseTo(gDense[i], 6));
      }
    });
  });

  it('gives the teacher no gradient and leaks nothing', () => {
    const fs = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const ft = tf.randomNormal([1, 2, 2, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const gt = tf.tidy(() => tf.grad((x: tf.Tensor) => affinityL1(fs, x as tf.Tensor4D))(ft).dataSync());
    expect(Array.from(gt).every((v) => v === 0)).toBe(true);
    const before = tf.memory().numTensors;
    tf.dispose(tf.grads((a: tf.Tensor) => affinityL1(a as tf.Tensor4D, ft, { chunkRows: 1 }))([fs]));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([fs, ft]);
  });
});
