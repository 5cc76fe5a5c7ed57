import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullBatchContext, type DistillMethod, type MethodNets } from '../../lib/distill/method';
import { buildMethod, defaultMethodConfig } from '../../lib/distill/methods';
import { l1 } from '../../lib/losses/pixel';
import {
  dukdTermCheck,
  GRADIENT_NORM_NETWORKS as NET,
  gradientFlowProblems,
  gradientNormFigure,
  type GradientNormRow,
  handComputedLossRows,
  lossPaperRows,
  termGradientNorms,
} from '../../lib/reproduce/loss-checks';
import type { SRBatch } from '../../lib/types';
import { flat, type Img, jsImages, jsL1, jsNet, jsUp, type StandIn, standIn } from '../distill/stand-in';

// Affine stand-in nets, out = w·nearest_up(x) + b, so every term and gradient has a plain-JS closed form.
const S = { w: 0.8, b: 0.05 };
const T = { w: 1.1, b: -0.02 };
const LR = jsImages(2, 4, 4, 21); // B = 2, 4×4 LR, ×2
const HR = jsImages(2, 8, 8, 22);
let student: StandIn;
let teacher: StandIn;
let nets: MethodNets;

beforeAll(async () => {
  await tf.setBackend('cpu');
  student = standIn(2, S.w, S.b);
  teacher = standIn(2, T.w, T.b);
  nets = { student, teacher, aux: {} };
});
afterAll(() => {
  student.dispose();
  teacher.dispose();
});

const batchOf = (): SRBatch => ({ lr: tf.tensor4d(LR), hr: tf.tensor4d(HR) });
const ctx = fullBatchContext(0, 7, 2);

describe('handComputedLossRows', () => {
  it('gives the values worked out by hand for Eqs. 1-3 on the 2×2 example', () => {
    // |S(x) − y| = .2 0 .1 .2 → 0.125;  |S(x) − T(x)| = .05 .1 0 .1 → 0.0625;
    // A = I+W: [.3 .6 .8 .4] → flip columns [.6 .3 .4 .8] → 1 − v [.4 .7 .6 .2]; vs [.5 .7 .6 0]: .1 0 0 .2 → 0.075
    const before = tf.memory().numTensors;
    const rows = handComputedLossRows();
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => r.term)).toEqual(['L_rec', 'L_kd', 'L_dukd']);
    const want = [0.125, 0.0625, 0.075];
    rows.forEach((r, i) => {
      expect(r.kit).toBeCloseTo(want[i], 7);
      expect(r.hand).toBeCloseTo(want[i], 12);
      expect(r['|kit - hand|']).toBeLessThan(1e-6);
    });
  });
});

describe('dukdTermCheck', () => {
  const base = { ...defaultMethodConfig('dukd', 'edsr', 2), tiles: 1, augProb: 0.5 };

  for (const [name, cfg] of Object.entries({
    default: base,
    'augmented zoom-out, legacy inverse order': { ...base, augProb: 0.9, augmentZoomOut: true, legacyInverseOrder: true },
  })) {
    it(`agrees with the method on every term, leak-free: ${name}`, () => {
      const method = buildMethod(cfg);
      const batch = batchOf();
      const prep = method.prepare(batch, nets, ctx);
      const before = tf.memory().numTensors;
      const rows = dukdTermCheck(method, nets, batch, prep);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([batch, prep]);
      expect(rows.map((r) => r.term)).toEqual(['rec', 'kd', 'zi', 'zo_rec', 'zo_kd']);
      expect(rows.map((r) => r.weight)).toEqual([5, 1, 1, 5, 1]);
      for (const r of rows) expect(r['|diff|']).toBeLessThan(1e-6);
      // rec and kd against plain JS: 5·L1(S(x), y) and 1·L1(S(x), T(x))
      const sr = LR.map((x) => jsNet(x, 2, S.w, S.b));
      expect(rows[0]['weight × Eq.']).toBeCloseTo(5 * jsL1(sr, HR), 5);
      expect(rows[1]['weight × Eq.']).toBeCloseTo(jsL1(sr, LR.map((x) => jsNet(x, 2, T.w, T.b))), 5);
    });
  }

  it('shows a difference when the method gets a term wrong', () => {
    const good = buildMethod(base);
    // the zoom-in term at twice its weight: the check must show |diff| = half the kit's value there, 0 elsewhere
    const bad: DistillMethod = {
      ...good,
      terms: (n, b, p) => {
        const t = good.terms(n, b, p);
        const zi = tf.mul(2, t.zi) as tf.Scalar;
        t.zi.dispose();
        return { ...t, zi };
      },
    };
    const batch = batchOf();
    const prep = bad.prepare(batch, nets, ctx);
    const rows = dukdTermCheck(bad, nets, batch, prep);
    tf.dispose([batch, prep]);
    const zi = rows.find((r) => r.term === 'zi')!;
    expect(zi['kit term']).toBeGreaterThan(0);
    expect(zi['|diff|']).toBeCloseTo(zi['kit term'] / 2, 6);
    for (const r of rows.filter((r) => r.term !== 'zi')) expect(r['|diff|']).toBeLessThan(1e-6);
  });

  it('refuses a method that is not DUKD', () => {
    const method = buildMethod(defaultMethodConfig('kd', 'edsr', 2));
    const batch = batchOf();
    const prep = method.prepare(batch, nets, ctx);
    expect(() => dukdTermCheck(method, nets, batch, prep)).toThrow(/needs a 'dukd' method \(got 'kd'\)/);
    tf.dispose([batch, prep]);
  });
});

/** ‖(∂/∂w, ∂/∂b) k·mean|w·u + b − t|‖₂ = k·‖(mean(sign(r)·u), mean(sign(r)))‖₂ for an affine stand-in. */
function affineL1GradNorm(k: number, u: number[], out: number[], target: number[]): number {
  let gw = 0;
  let gb = 0;
  out.forEach((o, i) => {
    const sgn = Math.sign(o - target[i]);
    gw += sgn * u[i];
    gb += sgn;
  });
  return k * Math.hypot(gw / out.length, gb / out.length);
}

describe('termGradientNorms', () => {
  it('matches the closed-form gradients of rec and kd, and the frozen teacher gets none', () => {
    const cfg = { ...defaultMethodConfig('dukd', 'edsr', 2), tiles: 1, augProb: 0.5 };
    const method = buildMethod(cfg);
    const batch = batchOf();
    const prep = method.prepare(batch, nets, ctx);
    const before = tf.memory().numTensors;
    const rows = termGradientNorms(method, nets, batch, prep, ctx);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([batch, prep]);

    const byNet = (name: string): GradientNormRow => rows.find((r) => r.network === name)!;
    expect(rows.map((r) => r.network)).toEqual([NET.student, NET.teacher, NET.teacherNoSg]);
    const u = LR.flatMap((x: Img) => flat(jsUp(x, 2)));
    const sOut = LR.flatMap((x) => flat(jsNet(x, 2, S.w, S.b)));
    const tOut = LR.flatMap((x) => flat(jsNet(x, 2, T.w, T.b)));
    const hr = HR.flatMap(flat);
    expect(byNet(NET.student).rec).toBeCloseTo(affineL1GradNorm(5, u, sOut, hr), 5);
    expect(byNet(NET.student).kd).toBeCloseTo(affineL1GradNorm(1, u, sOut, tOut), 5);
    // without the stop-gradient the teacher gets −(the student's kd gradient): same norm; rec never reaches it
    expect(byNet(NET.teacherNoSg).kd).toBeCloseTo(affineL1GradNorm(1, u, sOut, tOut), 5);
    expect(byNet(NET.teacherNoSg).rec).toBe(0);
    for (const t of method.termNames) {
      expect(byNet(NET.teacher)[t]).toBe(0);
      expect(byNet(NET.student)[t]).toBeGreaterThan(0);
    }
    for (const t of ['zi', 'zo_kd']) expect(byNet(NET.teacherNoSg)[t]).toBeGreaterThan(0);
    expect(gradientFlowProblems(rows)).toEqual([]);
  });

  it('gradientFlowProblems names a term that trains the teacher and one that misses the student', () => {
    const leaky: DistillMethod = {
      id: 'leaky', config: { kind: 'leaky' } as never, requiresTeacher: true,
      termNames: ['leak', 'dead'], termGroups: [['leak', 'dead']],
      prepare: () => ({}),
      terms: (n, b) => {
        const sr = n.student.forward(b.lr).out;
        return { leak: l1(sr, n.teacher!.forward(b.lr).out), dead: tf.mul(0, tf.sum(sr)) as tf.Scalar };
      },
    };
    const batch = batchOf();
    const rows = termGradientNorms(leaky, nets, batch, {}, ctx);
    tf.dispose(batch);
    expect(gradientFlowProblems(rows)).toEqual([
      expect.stringMatching(/^term 'leak' sends a gradient of norm [0-9.e-]+ to the frozen teacher$/),
      "term 'dead' gives the student no gradient (norm 0)",
    ]);
  });
});

describe('gradientNormFigure and lossPaperRows', () => {
  const rows: GradientNormRow[] = [
    { network: NET.student, rec: 0.5, kd: 0.25 },
    { network: NET.teacher, rec: 0, kd: 0.003 },
    { network: NET.teacherNoSg, rec: 0, kd: 0.25 },
  ];

  it('draws one grouped trace per row and one bar group per term', () => {
    const fig = gradientNormFigure(rows);
    expect(fig.data).toEqual([
      { type: 'bar', name: 'student (kit)', x: ['rec', 'kd'], y: [0.5, 0.25] },
      { type: 'bar', name: 'teacher (kit)', x: ['rec', 'kd'], y: [0, 0.003] },
      { type: 'bar', name: 'teacher (no sg, contrast)', x: ['rec', 'kd'], y: [0, 0.25] },
    ]);
    expect(fig.layout).toMatchObject({ barmode: 'group' });
  });

  it('puts the paper\'s 0.2 weights beside the kit defaults and reports the worst check values', () => {
    const hand = handComputedLossRows().map((r, i) => (i === 1 ? { ...r, '|kit - hand|': 0.01 } : r));
    const paper = lossPaperRows(hand, rows);
    // DUKD code's EDSR configs: w_rec = 5, w_kd = 1 on kd and on the zoom-in term, so λ = 1/5 = 0.2
    expect(paper.map((r) => [r.paper, r.kit])).toEqual([[0.2, 0.2], [0.2, 0.2], [0, 0.01], [0, 0.003]]);
  });
});
