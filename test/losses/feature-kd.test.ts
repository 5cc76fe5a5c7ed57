// FitNet's hint loss and attention transfer against PyTorch 1.13 (test/fixtures/feature-kd/, made by the
// make-feature-kd.py beside it): values and gradients, plus a hand-computed attention map and the shape errors.
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionLoss, attentionMap } from '../../lib/losses/attention-transfer';
import { hintLoss } from '../../lib/losses/hint';
import { sharedPath } from '../shared';

type Ref = {
  shapes: { fs: number[]; ft: number[]; regressorWeight: number[]; regressorBias: number[] };
  fs: number[]; ft: number[]; regressorWeight: number[]; regressorBias: number[];
  hint: number; hintGradFs: number[]; hintGradWeight: number[]; hintGradBias: number[];
  attentionMapS: number[]; at: number; atGradFs: number[];
};
const ref = JSON.parse(fs.readFileSync(sharedPath('feature-kd', 'feature-kd.json'), 'utf8')) as Ref;
const t4 = (v: number[], s: number[]): tf.Tensor4D => tf.tensor4d(v, s as [number, number, number, number]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(got: ArrayLike<number>, want: readonly number[], tol: number): void {
  expect(got.length).toBe(want.length);
  const scale = Math.max(1e-6, ...want.map(Math.abs));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]) / scale, `index ${i}`).toBeLessThan(tol);
}

describe('FitNet hint loss', () => {
  it('value and gradients (student features, regressor weight and bias) equal PyTorch', () => {
    const fsT = t4(ref.fs, ref.shapes.fs);
    const ftT = t4(ref.ft, ref.shapes.ft);
    const w = tf.variable(t4(ref.regressorWeight, ref.shapes.regressorWeight));
    const b = tf.variable(tf.tensor1d(ref.regressorBias));
    const g = tf.grads((x: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => hintLoss(x as tf.Tensor4D, ftT, { weight: ww, bias: bb }));
    const value = hintLoss(fsT, ftT, { weight: w, bias: b });
    expect(value.dataSync()[0]).toBeCloseTo(ref.hint, 5);
    const [gx, gw, gb] = g([fsT, w, b]);
    expectClose(gx.dataSync(), ref.hintGradFs, 1e-5);
    expectClose(gw.dataSync(), ref.hintGradWeight, 1e-5);
    expectClose(gb.dataSync(), ref.hintGradBias, 1e-5);
    tf.dispose([fsT, ftT, w, b, value, gx, gw, gb]);
  });

  it('names the mismatch when the regressor does not fit the features', () => {
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const y = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D;
    const reg = { weight: tf.zeros([1, 1, 3, 5]), bias: tf.zeros([5]) };
    expect(() => hintLoss(x, y, reg)).toThrow(/regressor \[1, 1, 3, 5\] does not map 3 student to 4 teacher channels/);
    tf.dispose([x, y, reg.weight, reg.bias]);
  });
});

describe('attention transfer', () => {
  it('the map of a hand-computed example: channel mean of squares, L2-normalised', () => {
    // one sample, 1x2 positions, 2 channels: (3, 1) and (0, 2) -> means of squares 5 and 2 -> (5, 2)/sqrt(29)
    const f = tf.tensor4d([3, 1, 0, 2], [1, 1, 2, 2]);
    const q = attentionMap(f);
    expectClose(q.dataSync(), [5 / Math.sqrt(29), 2 / Math.sqrt(29)], 1e-6);
    tf.dispose([f, q]);
  });

  it('map, loss value and gradient equal PyTorch (student and teacher of different widths)', () => {
    const fsT = t4(ref.fs, ref.shapes.fs);
    const ftT = t4(ref.ft, ref.shapes.ft);
    const q = attentionMap(fsT);
    expectClose(q.dataSync(), ref.attentionMapS, 1e-5);
    const value = attentionLoss(fsT, ftT);
    expect(value.dataSync()[0]).toBeCloseTo(ref.at, 6);
    const gx = tf.grad((x: tf.Tensor) => attentionLoss(x as tf.Tensor4D, ftT))(fsT);
    expectClose(gx.dataSync(), ref.atGradFs, 1e-4);
    tf.dispose([fsT, ftT, q, value, gx]);
  });

  it('an all-zero student map gives a finite loss and gradient', () => {
    const z = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const t = tf.ones([1, 2, 2, 5]) as tf.Tensor4D;
    const gx = tf.grad((x: tf.Tensor) => attentionLoss(x as tf.Tensor4D, t))(z);
    expect(Array.from(gx.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([z, t, gx]);
  });
});
