// CSD's L_CL against the value PyTorch computed with CSD's ContrastLoss on the stored images (aux_expected.pt).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUX_JSON, auxFixture, auxNhwc, auxScalar, auxTensor } from '../aux-fixtures';
import { loadVgg19 } from '../../lib/io/frozen-nets';
import { tensorToNumbers } from '../../lib/io/torch/checkpoint';
import {
  CSD_LAMBDA_CL_01, CSD_VGG_WEIGHTS, csdContrastiveLayers, csdContrastiveLoss, csdContrastiveSums, csdNegativeOrder, csdNegatives, csdVggFeatures,
} from '../../lib/losses/csd-contrastive';
import { contrastiveRatio, readRatioSums, ratioFromTotals } from '../../lib/losses/contrastive-ratio';
import type { VggFeatures } from '../../lib/models/features/vgg19';
import { Rng } from '../../lib/util/rng';

let vgg: VggFeatures;
beforeAll(async () => {
  await tf.setBackend('cpu');
  vgg = loadVgg19(auxFixture('tiny_vgg19_torchvision.pth')).net;
});
afterAll(() => vgg.dispose());

const inputs = () => ({
  teacher: auxNhwc('csd_teacher_sr_255', 1 / 255), student: auxNhwc('csd_student_sr_255', 1 / 255),
  negatives: auxNhwc('csd_negatives_255', 1 / 255),
});

describe('CSD contrastive loss', () => {
  it('equals csd_loss_cl (VGG on 255-scaled images, weights 1/32 .. 1) to 1e-5', () => {
    expect(CSD_VGG_WEIGHTS).toEqual(AUX_JSON.csd_loss.weights);
    const inp = inputs();
    const loss = csdContrastiveLoss(vgg, inp);
    const want = auxScalar('csd_loss_cl');
    expect(want).toBeCloseTo(AUX_JSON.csd_loss.value, 7);
    expect(Math.abs(loss.dataSync()[0] - want) / want).toBeLessThan(1e-5);
    tf.dispose([inp, loss]);
    expect(CSD_LAMBDA_CL_01).toBeCloseTo(0.784, 3);
  });

  it('negatives made from the LR batch give the same loss', () => {
    const lr = auxNhwc('csd_lr_batch');
    const negatives = csdNegatives(lr, tensorToNumbers(auxTensor('csd_neg_perm')), AUX_JSON.csd_loss.scale);
    const { teacher, student, negatives: stored } = inputs();
    const loss = csdContrastiveLoss(vgg, { teacher, student, negatives });
    expect(Math.abs(loss.dataSync()[0] - auxScalar('csd_loss_cl')) / auxScalar('csd_loss_cl')).toBeLessThan(1e-5);
    tf.dispose([lr, negatives, teacher, student, stored, loss]);
  });

  it("CSD's negative order is a permutation of the first K samples; K > batch is refused", () => {
    const order = csdNegativeOrder(new Rng(4), 10, 16);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(csdNegativeOrder(new Rng(4), 10, 16)).toEqual(order);
    expect(() => csdNegativeOrder(new Rng(4), 10, 8)).toThrow(/K = 10 needs a batch of at least 10 \(got 8\)/);
  });

  it('gradients reach the student output only (teacher and negatives detached); no tensor leaks', () => {
    const { teacher, student, negatives } = inputs();
    const vs = tf.variable(student, true, 'csd_s') as tf.Variable<tf.Rank.R4>;
    const vt = tf.variable(teacher, true, 'csd_t') as tf.Variable<tf.Rank.R4>;
    const vn = tf.variable(negatives, true, 'csd_n') as tf.Variable<tf.Rank.R4>;
    tf.dispose([teacher, student, negatives]);
    const run = () => tf.variableGrads(() => csdContrastiveLoss(vgg, { teacher: vt, student: vs, negatives: vn }), [vs, vt, vn]);
    const first = run();
    expect(Object.keys(first.grads)).toEqual(['csd_s']);
    expect(tf.sum(tf.abs(first.grads.csd_s)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([first.value, first.grads]);
    const before = tf.memory().numTensors;
    const again = run();
    tf.dispose([again.value, again.grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([vs, vt, vn]);
  });

  it('the teacher\'s and negatives\' VGG passes run off the tape: it records the student\'s convolutions only', () => {
    const inp = inputs();
    const s = tf.variable(inp.student) as tf.Variable<tf.Rank.R4>;
    // Conv2D nodes on TF.js's gradient tape (engine internals: tests only) once f has run inside the gradient scope
    const convsOnTape = (f: () => tf.Scalar): number => {
      let n = 0;
      const r = tf.variableGrads(() => {
        const l = f();
        const tape = (tf.engine() as unknown as { state: { activeTape: { kernelName: string }[] } }).state.activeTape;
        n = tape.filter((node) => node.kernelName === 'Conv2D').length;
        return l;
      }, [s]);
      tf.dispose([r.value, r.grads]);
      return n;
    };
    const studentPass = convsOnTape(() => tf.addN(csdVggFeatures(vgg, s).map((x) => tf.sum(x))) as tf.Scalar);
    expect(studentPass).toBeGreaterThan(0);
    expect(convsOnTape(() => csdContrastiveLoss(vgg, { ...inp, student: s }))).toBe(studentPass); // recorded: 3x
    tf.dispose([inp, s]);
  });

  it('two shares with the whole batch\'s negatives combine to the full-batch value', async () => {
    const { teacher, student, negatives } = inputs();
    const half = (t: tf.Tensor4D, i: number) => tf.slice(t, [2 * i, 0, 0, 0], [2, -1, -1, -1]) as tf.Tensor4D;
    const shares = [0, 1].map((i) => csdContrastiveSums(vgg, { teacher: half(teacher, i), student: half(student, i), negatives }));
    const totals = await Promise.all(shares.map(readRatioSums));
    const combined = ratioFromTotals({
      num: totals[0].num.map((v, i) => v + totals[1].num[i]), den: totals[0].den.map((v, i) => v + totals[1].den[i]),
      count: totals[0].count.map((v, i) => v + totals[1].count[i]),
    }, CSD_VGG_WEIGHTS);
    expect(Math.abs(combined - auxScalar('csd_loss_cl')) / auxScalar('csd_loss_cl')).toBeLessThan(1e-5);
    // The mean of the shares' own ratios is not the batch value.
    const perShare = shares.map((s) => contrastiveRatio(s, CSD_VGG_WEIGHTS).dataSync()[0]);
    expect(Math.abs((perShare[0] + perShare[1]) / 2 - combined)).toBeGreaterThan(1e-6);
    tf.dispose([teacher, student, negatives, shares]);
  });

  it('split by VGG tap: d_i, e_i from plain loops over the features; the weighted ratios sum to csd_loss_cl', async () => {
    const inp = inputs();
    const layers = await csdContrastiveLayers(vgg, inp);
    expect(layers.map((l) => l.layer)).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1']);
    expect(layers.map((l) => l.weight)).toEqual(AUX_JSON.csd_loss.weights);
    // independent d_i, e_i: means over the anchor's elements, summing |s - n_k| over the K negatives first
    const [s, t, n] = [inp.student, inp.teacher, inp.negatives].map((x) => csdVggFeatures(vgg, x));
    s.forEach((fs, i) => {
      const a = fs.dataSync();
      const p = t[i].dataSync();
      const neg = n[i].dataSync();
      const per = a.length / fs.shape[0]; // one image's elements; every negative is compared with every anchor
      const k = n[i].shape[0];
      let d = 0;
      let e = 0;
      for (let j = 0; j < a.length; j++) {
        d += Math.abs(a[j] - p[j]);
        for (let q = 0; q < k; q++) e += Math.abs(a[j] - neg[q * per + (j % per)]);
      }
      d /= a.length;
      e /= a.length;
      expect(Math.abs(layers[i].d - d) / d).toBeLessThan(1e-5);
      expect(Math.abs(layers[i].e - e) / e).toBeLessThan(1e-5);
      expect(layers[i].ratio).toBeCloseTo(layers[i].d / (layers[i].e + 1e-7), 12);
      expect(layers[i].weighted).toBeCloseTo(layers[i].weight * layers[i].ratio, 12);
    });
    const total = layers.reduce((acc, l) => acc + l.weighted, 0);
    expect(Math.abs(total - auxScalar('csd_loss_cl')) / auxScalar('csd_loss_cl')).toBeLessThan(1e-5);
    const before = tf.memory().numTensors;
    await csdContrastiveLayers(vgg, inp);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([inp, s, t, n]);
  });
});
