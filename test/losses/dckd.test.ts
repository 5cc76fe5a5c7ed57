// DCKD's L_dcl and both cross-entropy forms against the values PyTorch computed with DCKD's ContrasLoss / CELoss
// and the tiny VQGAN (aux_expected.pt), and where their gradients go.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUX_JSON, auxFixture, auxNhwc, auxScalar } from '../aux-fixtures';
import { initBackend } from '../../lib/backend/index';
import { loadVqgan } from '../../lib/io/frozen-nets';
import { codeCrossEntropy, dckdCodeLoss } from '../../lib/losses/dckd-code-ce';
import { dckdContrastiveLoss, dckdContrastiveSums } from '../../lib/losses/dckd-contrastive';
import { dckdVqganTerms } from '../../lib/losses/dckd-vqgan-terms';
import { contrastiveRatio } from '../../lib/losses/contrastive-ratio';
import { DCKD_FEATURE_WEIGHTS, type VqganEncoder } from '../../lib/models/features/vqgan-encoder';

let vq: VqganEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false }); // the kit's training backend (XNNPACK + kit kernels)
  vq = loadVqgan(auxFixture('tiny_vqgan_f16_lightning.ckpt')).net;
});
afterAll(() => vq.dispose());

const images = () => ({
  anchor: auxNhwc('dckd_anchor'), positive: auxNhwc('dckd_positive'),
  negatives: [0, 1, 2, 3, 4].map((j) => auxNhwc(`dckd_negative${j}`)),
});
const rel = (got: tf.Scalar, want: number): number => Math.abs(got.dataSync()[0] - want) / Math.abs(want);

/** 16-px crops of the stored images (quick backward passes): the anchor as a variable, `n` negatives. */
function cropped(n: number): { a: tf.Variable<tf.Rank.R4>; p: tf.Tensor4D; ns: tf.Tensor4D[] } {
  const crop = (t: tf.Tensor4D) => tf.slice(t, [0, 0, 0, 0], [1, 16, 16, 3]) as tf.Tensor4D;
  const { anchor, positive, negatives } = images();
  const out = { a: tf.variable(crop(anchor)) as tf.Variable<tf.Rank.R4>, p: crop(positive), ns: negatives.slice(0, n).map(crop) };
  tf.dispose([anchor, positive, negatives]);
  return out;
}

/** f's value and gradient to `a`, and the tensors alive inside the gradient scope once f has run (the tape's saved copies included). */
function gradAndHeld(f: () => tf.Scalar, a: tf.Variable): { value: number; g: Float32Array; held: number } {
  let held = 0;
  const r = tf.variableGrads(() => {
    const before = tf.memory().numTensors;
    const l = f();
    held = tf.memory().numTensors - before;
    return l;
  }, [a]);
  const out = { value: r.value.dataSync()[0], g: r.grads[a.name].dataSync() as Float32Array, held };
  tf.dispose([r.value, r.grads]);
  return out;
}

describe('DCKD losses', () => {
  it('L_dcl equals dckd_loss_dcl (weights 1/32 .. 1, negative 0 the clean one) to 1e-5', () => {
    expect(DCKD_FEATURE_WEIGHTS).toEqual(AUX_JSON.dckd_loss.weights);
    const inp = images();
    const loss = dckdContrastiveLoss(vq, inp);
    expect(auxScalar('dckd_loss_dcl')).toBeCloseTo(AUX_JSON.dckd_loss.dcl, 7);
    expect(rel(loss, auxScalar('dckd_loss_dcl'))).toBeLessThan(1e-5);
    tf.dispose([inp, loss]);
  });

  it('Eq. 9 cross-entropy and the released double-softmax form equal the stored values to 1e-5', () => {
    const { anchor, positive, negatives } = images();
    const eq9 = dckdCodeLoss(vq, anchor, positive);
    const legacy = dckdCodeLoss(vq, anchor, positive, 'legacyDoubleSoftmax');
    expect(rel(eq9, auxScalar('dckd_loss_ce_eq9'))).toBeLessThan(1e-5);
    expect(rel(legacy, auxScalar('dckd_loss_ce_legacy'))).toBeLessThan(1e-5);
    expect(auxScalar('dckd_loss_ce_legacy')).toBeCloseTo(AUX_JSON.dckd_loss.ce_legacy_double_softmax, 6);
    tf.dispose([anchor, positive, negatives, eq9, legacy]);
  });

  it('cross-entropy forms on small hand-made distributions', () => {
    const s = tf.tensor2d([[0, Math.log(3)]]);
    const t = tf.tensor2d([[0.5, 0.5]]);
    // Eq. 9: -(0.5 log 1/4 + 0.5 log 3/4).
    expect(codeCrossEntropy(s, t).dataSync()[0]).toBeCloseTo(-(0.5 * Math.log(0.25) + 0.5 * Math.log(0.75)), 6);
    // Legacy: the softmax of (1/4, 3/4) again.
    const p = [Math.exp(0.25), Math.exp(0.75)];
    const z = p[0] + p[1];
    expect(codeCrossEntropy(s, t, 'legacyDoubleSoftmax').dataSync()[0]).toBeCloseTo(-(0.5 * Math.log(p[0] / z) + 0.5 * Math.log(p[1] / z)), 6);
    expect(() => codeCrossEntropy(s, tf.tensor2d([[1, 0, 0]]))).toThrow(/differ/);
    tf.dispose([s, t]);
  });

  it('gradients of each term reach the student output only; no tensor leaks', () => {
    const { anchor, positive, negatives } = images();
    // 16-px crops and two negatives keep the backward passes quick.
    const crop = (t: tf.Tensor4D) => tf.slice(t, [0, 0, 0, 0], [1, 16, 16, 3]);
    const va = tf.variable(crop(anchor), true, 'dckd_a') as tf.Variable<tf.Rank.R4>;
    const vp = tf.variable(crop(positive), true, 'dckd_p') as tf.Variable<tf.Rank.R4>;
    const vn = negatives.slice(0, 2).map((n, j) => tf.variable(crop(n), true, `dckd_n${j}`) as tf.Variable<tf.Rank.R4>);
    tf.dispose([anchor, positive, negatives]);
    const all = [va, vp, ...vn];
    const terms = [
      () => dckdContrastiveLoss(vq, { anchor: va, positive: vp, negatives: vn }),
      () => dckdCodeLoss(vq, va, vp),
      () => dckdCodeLoss(vq, va, vp, 'legacyDoubleSoftmax'),
    ];
    for (const f of terms) {
      const r = tf.variableGrads(f, all);
      expect(Object.keys(r.grads)).toEqual(['dckd_a']);
      expect(tf.sum(tf.abs(r.grads.dckd_a)).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([r.value, r.grads]);
    }
    const before = tf.memory().numTensors;
    const r = tf.variableGrads(terms[0], all);
    tf.dispose([r.value, r.grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(all);
  });

  it('one encoder pass for both terms (dckdVqganTerms): the same values as the two calls, bit for bit, and the stored ones', () => {
    const inp = images();
    for (const form of ['eq9', 'legacyDoubleSoftmax'] as const) {
      const both = dckdVqganTerms(vq, inp, form);
      const sums = dckdContrastiveSums(vq, inp);
      const ce = dckdCodeLoss(vq, inp.anchor, inp.positive, form);
      expect(Array.from(both.sums.num.dataSync())).toEqual(Array.from(sums.num.dataSync()));
      expect(Array.from(both.sums.den.dataSync())).toEqual(Array.from(sums.den.dataSync()));
      expect(both.sums.count).toEqual(sums.count);
      expect(both.ce.dataSync()[0]).toBe(ce.dataSync()[0]);
      const dcl = contrastiveRatio(both.sums, DCKD_FEATURE_WEIGHTS);
      expect(rel(dcl, auxScalar('dckd_loss_dcl'))).toBeLessThan(1e-5);
      expect(rel(both.ce, auxScalar(form === 'eq9' ? 'dckd_loss_ce_eq9' : 'dckd_loss_ce_legacy'))).toBeLessThan(1e-5);
      tf.dispose([both.sums.num, both.sums.den, both.ce, sums.num, sums.den, ce, dcl]);
    }
    expect(() => dckdVqganTerms(vq, { ...inp, negatives: [] })).toThrow('DCKD L_dcl: no negatives');
    tf.dispose(inp);
  });

  it('one encoder pass for both terms: the anchor gradient of the two calls, and the tape keeps one anchor pass, not two', () => {
    const { a, p, ns } = cropped(2);
    const inp = { anchor: a as tf.Tensor4D, positive: p, negatives: ns };
    const shared = (): tf.Scalar => {
      const both = dckdVqganTerms(vq, inp);
      return tf.add(contrastiveRatio(both.sums, DCKD_FEATURE_WEIGHTS), tf.mul(0.01, both.ce)) as tf.Scalar;
    };
    const separate = (): tf.Scalar => tf.add(dckdContrastiveLoss(vq, inp), tf.mul(0.01, dckdCodeLoss(vq, a, p))) as tf.Scalar;
    const [one, two] = [gradAndHeld(shared, a), gradAndHeld(separate, a)];
    expect(one.value).toBe(two.value);
    let [diff, max] = [0, 0];
    two.g.forEach((x, i) => { diff = Math.max(diff, Math.abs(x - one.g[i])); max = Math.max(max, Math.abs(x)); });
    expect(max).toBeGreaterThan(0);
    expect(diff / max).toBeLessThan(1e-5); // the same gradient, float sums added in another order
    // the anchor's features pass (485 held tensors at this size) is not kept twice: measured 889 vs 1351
    const anchorFeatures = gradAndHeld(() => tf.addN(vq.features(a).map((x) => tf.sum(x))) as tf.Scalar, a).held;
    expect(two.held - one.held).toBeGreaterThan(anchorFeatures * 0.8);
    tf.dispose([a, p, ns]);
  });

  it('the positive\'s and negatives\' encoder passes run off the tape: one more negative holds its features, not its activations', () => {
    const { a, p, ns } = cropped(3);
    const held = (f: () => tf.Scalar): number => gradAndHeld(f, a).held;
    const anchorPass = held(() => tf.addN(vq.features(a).map((x) => tf.sum(x))) as tf.Scalar); // on the tape: it needs a gradient
    const perNegative = held(() => dckdContrastiveLoss(vq, { anchor: a, positive: p, negatives: ns })) - held(() => dckdContrastiveLoss(vq, { anchor: a, positive: p, negatives: ns.slice(0, 2) }));
    // measured: 469 for the anchor pass; 25 per negative (489 when the detached passes were recorded)
    expect(perNegative).toBeGreaterThan(0);
    expect(perNegative).toBeLessThan(anchorPass / 4);
    tf.dispose([a, p, ns]);
  });
});
