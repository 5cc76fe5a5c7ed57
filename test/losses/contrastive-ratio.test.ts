// The contrastive ratio's split into per-share statistics: combining shares reproduces the full-batch value, and
// the shares' surrogate gradients sum to the full-batch gradient (what data-parallel workers need).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addRatioTotals, contrastiveRatio, contrastiveRatioShareSurrogate, contrastiveRatioSums, ratioFromTotals, readRatioSums,
} from '../../lib/losses/contrastive-ratio';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const W = [0.5, 2];
const feats = (b: number, seed: number): tf.Tensor4D[] => [
  tf.randomNormal([b, 4, 4, 3], 0, 1, 'float32', seed) as tf.Tensor4D, tf.randomNormal([b, 2, 2, 5], 0, 1, 'float32', seed + 1) as tf.Tensor4D,
];

describe('contrastive ratio', () => {
  it('matches a direct evaluation of Σ w_i mean|a-p| / (mean Σ_j |a-n_j| + 1e-7), broadcast negatives included', () => {
    const a = feats(3, 1);
    const p = feats(3, 11);
    const nPerSample = feats(3, 21);
    const nShared = feats(1, 31); // batch 1: the same negative for every anchor (CSD)
    const sums = contrastiveRatioSums(a, p, [nPerSample, nShared]);
    const got = contrastiveRatio(sums, W).dataSync()[0];
    let want = 0;
    a.forEach((ai, i) => {
      const av = ai.dataSync();
      const pv = p[i].dataSync();
      const n1 = nPerSample[i].dataSync();
      const n2 = nShared[i].dataSync();
      const per = n2.length;
      let d = 0;
      let e = 0;
      for (let k = 0; k < av.length; k++) {
        d += Math.abs(av[k] - pv[k]);
        e += Math.abs(av[k] - n1[k]) + Math.abs(av[k] - n2[k % per]);
      }
      want += (W[i] * (d / av.length)) / (e / av.length + 1e-7);
    });
    expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
    expect(sums.count).toEqual([144, 60]);
    tf.dispose([a, p, nPerSample, nShared, sums]);
  });

  it('two shares: totals give the full-batch value, surrogate gradients sum to the full-batch gradient', async () => {
    const a1 = feats(2, 1).map((t) => tf.variable(t)) as tf.Variable<tf.Rank.R4>[];
    const a2 = feats(3, 2).map((t) => tf.variable(t)) as tf.Variable<tf.Rank.R4>[];
    const p = feats(5, 3);
    const n = [feats(5, 4), feats(5, 5)];
    const rows = (t: tf.Tensor4D, from: number, count: number) => tf.slice(t, [from, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
    const full = tf.variableGrads(() => {
      const a = a1.map((t, i) => tf.concat([t, a2[i]], 0) as tf.Tensor4D);
      return contrastiveRatio(contrastiveRatioSums(a, p, n), W);
    }, [...a1, ...a2]);
    const shareArgs = (a: tf.Tensor4D[], from: number, count: number) =>
      [a, p.map((t) => rows(t, from, count)), n.map((neg) => neg.map((t) => rows(t, from, count)))] as const;
    const s1 = contrastiveRatioSums(...shareArgs(a1, 0, 2));
    const s2 = contrastiveRatioSums(...shareArgs(a2, 2, 3));
    const totals = addRatioTotals(await readRatioSums(s1), await readRatioSums(s2));
    expect(Math.abs(ratioFromTotals(totals, W) - full.value.dataSync()[0])).toBeLessThan(1e-6);
    // Trainer averages share gradients with weights n_s/n: pass them as shareWeight.
    const g1 = tf.variableGrads(() => contrastiveRatioShareSurrogate(contrastiveRatioSums(...shareArgs(a1, 0, 2)), totals, W, 2 / 5), a1);
    const g2 = tf.variableGrads(() => contrastiveRatioShareSurrogate(contrastiveRatioSums(...shareArgs(a2, 2, 3)), totals, W, 3 / 5), a2);
    for (const [v, g, wgt] of [...a1.map((v) => [v, g1, 2 / 5] as const), ...a2.map((v) => [v, g2, 3 / 5] as const)]) {
      const want = full.grads[v.name];
      const got = tf.mul(g.grads[v.name], wgt);
      const err = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0] / tf.max(tf.abs(want)).dataSync()[0];
      expect(err, v.name).toBeLessThan(1e-5);
      got.dispose();
    }
    tf.dispose([a1, a2, p, n, full.value, full.grads, s1, s2, g1.value, g1.grads, g2.value, g2.grads]);
  });

  it('rejects mismatched layers, shapes and weights', () => {
    const a = feats(2, 1);
    const p = feats(2, 2);
    expect(() => contrastiveRatioSums(a, p.slice(0, 1), [p])).toThrow(/2 anchor layers but 1 positive/);
    expect(() => contrastiveRatioSums(a, p, [])).toThrow(/no negatives/);
    expect(() => contrastiveRatioSums(a, p, [feats(4, 3)])).toThrow(/layer 0 negative 0 has shape \[4,4,4,3\]/);
    const s = contrastiveRatioSums(a, p, [p]);
    expect(() => contrastiveRatio(s, [1])).toThrow(/1 layer weights for 2 layers/);
    tf.dispose([a, p, s]);
  });
});
