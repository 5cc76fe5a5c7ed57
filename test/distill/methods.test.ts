import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AugFlags, sampleAugFlags } from '../../lib/augment/invertible';
import { imresizeFloat64 } from '../../lib/data/bicubic';
import { buildMethod } from '../../lib/distill/methods';
import { type MethodConfig } from '../../lib/distill/config';
import { defaultMethodConfig } from '../../lib/distill/methods';
import type { UpcyclingPrep } from '../../lib/distill/dukd';
import { resolveFakdTaps } from '../../lib/distill/fakd';
import { deriveRng, type DistillMethod, type MethodNets, type StepContext } from '../../lib/distill/method';
import type { SRBatch } from '../../lib/types';
import {
  type Img,
  jsAffine,
  jsAug,
  jsFlipH,
  jsFlipW,
  jsImages,
  jsInv,
  jsL1,
  jsNet,
  jsTr,
  type StandIn,
  standIn,
} from './stand-in';

let student: StandIn;
let teacher: StandIn;
let nets: MethodNets;
const S = { w: 0.8, b: 0.05 };
const T = { w: 1.1, b: -0.02 };
const LR = jsImages(2, 2, 2, 11); // B=2, p=2, x2
const HR = jsImages(2, 4, 4, 12);
const ctx: StepContext = { step: 3, seed: 42, sampleOffset: 0, batchSizeTotal: 2 };

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

function run(cfg: MethodConfig, c: StepContext = ctx): { values: Record<string, number>; prep: tf.TensorContainer } {
  const m = buildMethod(cfg) as DistillMethod;
  const batch = batchOf();
  const prep = m.prepare(batch, nets, c);
  const terms = m.terms(nets, batch, prep);
  const values = Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose([terms, batch]);
  return { values, prep };
}

const sr = (x: Img): Img => jsNet(x, 2, S.w, S.b);
const te = (x: Img): Img => jsNet(x, 2, T.w, T.b);

describe('scratch and response KD', () => {
  it('scratch: rec = L1(S(x), y)', () => {
    const { values, prep } = run(defaultMethodConfig('scratch', 'edsr', 2));
    expect(values).toEqual({ rec: expect.closeTo(jsL1(LR.map(sr), HR), 6) });
    tf.dispose(prep);
  });

  it('kd: rec = w_rec·L1(S, y), kd = w_kd·L1(S, T)', () => {
    const { values, prep } = run({ kind: 'kd', recWeight: 2, kdWeight: 0.5 });
    expect(values.rec).toBeCloseTo(2 * jsL1(LR.map(sr), HR), 6);
    expect(values.kd).toBeCloseTo(0.5 * jsL1(LR.map(sr), LR.map(te)), 6);
    tf.dispose(prep);
  });

  it('kd without a teacher fails naming the method', () => {
    const m = buildMethod(defaultMethodConfig('kd', 'edsr', 2));
    const batch = batchOf();
    expect(() => m.prepare(batch, { student, teacher: null, aux: {} }, ctx)).toThrow(/'kd' needs a teacher/);
    tf.dispose(batch);
  });
});

/** Plain-JS cosine-affinity L1 between two feature images [h][w][c]. */
function jsAffL1(fs: Img, ft: Img): number {
  const norm = (f: Img): number[][] => f.flat(1).map((v) => v.map((x) => x / (Math.hypot(...v) + 1e-8)));
  const a = norm(fs);
  const b = norm(ft);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a.length; j++) {
      const dot = (u: number[], v: number[]): number => u.reduce((t, x, k) => t + x * v[k], 0);
      s += Math.abs(dot(a[i], a[j]) - dot(b[i], b[j]));
    }
  }
  return s / (a.length * a.length);
}

describe('FAKD', () => {
  it('rec, kd, aff equal the hand-computed values (explicit taps)', () => {
    const cfg: MethodConfig = { kind: 'fakd', recWeight: 0.5, kdWeight: 0.5, affinityWeight: 10 / 255, taps: { student: ['head', 'body.out'], teacher: ['body.0', 'head'] }, detachAffinity: false };
    const { values, prep } = run(cfg);
    expect(values.rec).toBeCloseTo(0.5 * jsL1(LR.map(sr), HR), 6);
    expect(values.kd).toBeCloseTo(0.5 * jsL1(LR.map(sr), LR.map(te)), 6);
    // both taps are w·x + b in the stand-ins: two identical layers, mean over the batch of 2
    const perLayer = (jsAffL1(jsAffine(LR[0], S.w, S.b), jsAffine(LR[0], T.w, T.b)) + jsAffL1(jsAffine(LR[1], S.w, S.b), jsAffine(LR[1], T.w, T.b))) / 2;
    expect(perLayer).toBeGreaterThan(1e-4);
    expect(values.aff).toBeCloseTo((10 / 255) * 2 * perLayer, 6);
    tf.dispose(prep);
  });

  it('detachAffinity: the same aff value, no gradient from it (DUKD code FAKD*); rec and kd still train', () => {
    const taps = { student: ['head', 'body.out'], teacher: ['body.0', 'head'] };
    const base: MethodConfig = { kind: 'fakd', recWeight: 1, kdWeight: 1, affinityWeight: 10, taps, detachAffinity: false };
    const grads = (cfg: MethodConfig, term: string): { value: number; g: number[] } => {
      const m = buildMethod(cfg) as DistillMethod;
      const batch = batchOf();
      const prep = m.prepare(batch, nets, ctx);
      const { value, grads: g } = tf.variableGrads(() => m.terms(nets, batch, prep)[term], [student.w, student.b]);
      const out = { value: value.dataSync()[0], g: [g[student.w.name].dataSync()[0], g[student.b.name].dataSync()[0]] };
      tf.dispose([value, g, prep, batch]);
      return out;
    };
    const live = grads(base, 'aff');
    const dead = grads({ ...base, detachAffinity: true }, 'aff');
    expect(dead.value).toBeCloseTo(live.value, 6);
    expect(Math.max(...live.g.map(Math.abs))).toBeGreaterThan(1e-4);
    expect(dead.g).toEqual([0, 0]);
    const kd = grads({ ...base, detachAffinity: true }, 'kd');
    expect(Math.max(...kd.g.map(Math.abs))).toBeGreaterThan(1e-4);
    expect(buildMethod({ ...base, detachAffinity: true }).notes?.join(' ')).toMatch(/no gradient/);
  });

  it("resolves the official 'thirds' and DUKD taps", () => {
    const edsr = (blocks: number) => ({ arch: 'edsr', feats: 64, blocks, resScale: 0.1 }) as const;
    const rcan = (groups: number, blocks: number) => ({ arch: 'rcan', feats: 64, groups, blocks, reduction: 16, resScale: 1 }) as const;
    expect(resolveFakdTaps('thirds', edsr(32), { ...edsr(32), feats: 256 })).toEqual({
      student: ['body.9', 'body.20', 'body.out'],
      teacher: ['body.9', 'body.20', 'body.out'],
    });
    expect(resolveFakdTaps('dukd4', edsr(32), edsr(32)).student).toEqual(['head', 'body.10', 'body.21', 'body.out']);
    expect(resolveFakdTaps('thirds', rcan(10, 6), rcan(10, 20)).teacher).toEqual(['body.2', 'body.6', 'body.out']);
    expect(resolveFakdTaps('dukd4', rcan(10, 6), rcan(10, 20)).student).toEqual(['head', 'body.2', 'body.6', 'body.out']);
    const swin = (n: number) => ({ arch: 'swinir', embedDim: 60, depths: Array(n).fill(6), heads: Array(n).fill(6), windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64 }) as const;
    // each network by its own depth: student after RSTBs 1 and 2 (of 4), teacher after RSTBs 2 and 4 (of 6)
    expect(resolveFakdTaps('thirds', swin(4), swin(6))).toEqual({ student: ['body.0', 'body.1', 'body.out'], teacher: ['body.1', 'body.3', 'body.out'] });
  });

  it('places each network\'s taps by its own depth, as the FAKD code (16-block student, 32-block teacher)', () => {
    const edsr = (blocks: number) => ({ arch: 'edsr', feats: 64, blocks, resScale: 0.1 }) as const;
    // FAKD code models/edsr.py: block_num = [int(n/3), int(2n/3) - int(n/3), ...] for each network:
    // n = 16 -> after 5 and 10 blocks, n = 32 -> after 10 and 21 blocks (a depth ratio would give 20)
    expect(resolveFakdTaps('thirds', edsr(16), edsr(32))).toEqual({
      student: ['body.4', 'body.9', 'body.out'],
      teacher: ['body.9', 'body.20', 'body.out'],
    });
    // DUKD code's list, one block later in each network
    expect(resolveFakdTaps('dukd4', edsr(16), edsr(32))).toEqual({
      student: ['head', 'body.5', 'body.10', 'body.out'],
      teacher: ['head', 'body.10', 'body.21', 'body.out'],
    });
  });
});

// ---- FitNet and AT (feature-KD baselines) --------------------------------------------------------------------

/** Plain-JS AT map of one feature image: channel mean of squares per position, L2-normalised. */
function jsAtMap(f: Img): number[] {
  const q = f.flat(1).map((v) => v.reduce((t, x) => t + x * x, 0) / v.length);
  const n = Math.hypot(...q);
  return q.map((x) => x / n);
}

describe('AT and FitNet', () => {
  it('AT: rec, kd and at equal the hand-computed values; kd leaves the objective at weight 0', () => {
    const taps = { student: ['head'], teacher: ['body.0'] };
    const { values, prep } = run({ kind: 'at', recWeight: 1, kdWeight: 0.5, atWeight: 500, taps });
    expect(values.rec).toBeCloseTo(jsL1(LR.map(sr), HR), 6);
    expect(values.kd).toBeCloseTo(0.5 * jsL1(LR.map(sr), LR.map(te)), 6);
    let sq = 0;
    let count = 0;
    for (const x of LR) {
      const a = jsAtMap(jsAffine(x, S.w, S.b));
      const b = jsAtMap(jsAffine(x, T.w, T.b));
      a.forEach((v, i) => { sq += (v - b[i]) ** 2; count++; });
    }
    expect(sq / count).toBeGreaterThan(1e-8);
    expect(values.at).toBeCloseTo(500 * (sq / count), 5);
    tf.dispose(prep);
    const m = buildMethod({ kind: 'at', recWeight: 1, kdWeight: 0, atWeight: 500, taps });
    expect(m.termNames).toEqual(['rec', 'at']);
  });

  it('FitNet: one middle hint through the learned 1x1 regressor, ½·mean of squares; the regressor is trainable', () => {
    const m = buildMethod({ kind: 'fitnet', recWeight: 1, kdWeight: 0, hintWeight: 2, taps: 'middle' }) as DistillMethod;
    m.init!(nets);
    try {
      const vars = m.trainable!(nets);
      expect(vars.slice(0, 2)).toEqual([student.w, student.b]);
      const [rw, rb] = vars.slice(2); // [1, 1, 3, 3] and [3]
      expect(rw.shape).toEqual([1, 1, 3, 3]);
      const W = Array.from(rw.dataSync());
      const B = Array.from(rb.dataSync());
      const batch = batchOf();
      const prep = m.prepare(batch, nets, ctx);
      const terms = m.terms(nets, batch, prep);
      expect(Object.keys(terms)).toEqual(['rec', 'hint']);
      // the stand-ins have one block: 'middle' = after floor(1/2) = 0 units = 'head' (w·x + b) in both nets
      let sq = 0;
      let count = 0;
      for (const x of LR) {
        const fs = jsAffine(x, S.w, S.b).flat(1);
        const ft = jsAffine(x, T.w, T.b).flat(1);
        fs.forEach((v, p) => {
          for (let o = 0; o < 3; o++) {
            const r = B[o] + v.reduce((t, xi, i) => t + xi * W[i * 3 + o], 0);
            sq += (r - ft[p][o]) ** 2;
            count++;
          }
        });
      }
      expect(terms.hint.dataSync()[0]).toBeCloseTo(2 * 0.5 * (sq / count), 5);
      const g = tf.variableGrads(() => m.terms(nets, batch, prep).hint, [rw, rb]);
      expect(Math.max(...Array.from(g.grads[rw.name].dataSync()).map(Math.abs))).toBeGreaterThan(1e-6);
      tf.dispose([terms, prep, batch, g.value, g.grads]);
    } finally {
      m.dispose!();
    }
  });
});

describe('AugKD on top of FAKD', () => {
  it("adds FAKD's affinity term on the original stream and leaves every AugKD term as it was", () => {
    const taps = { student: ['head', 'body.out'], teacher: ['body.0', 'head'] };
    const base = defaultMethodConfig('augkd', 'edsr', 2);
    const plain = run(base);
    const both = run({ ...base, fakd: { affinityWeight: 10, taps } });
    expect(Object.keys(both.values)).toEqual(['rec', 'kd', 'aff', 'zi', 'zo_rec', 'zo_kd']);
    for (const [k, v] of Object.entries(plain.values)) expect(both.values[k]).toBeCloseTo(v, 6);
    const perLayer = (jsAffL1(jsAffine(LR[0], S.w, S.b), jsAffine(LR[0], T.w, T.b)) + jsAffL1(jsAffine(LR[1], S.w, S.b), jsAffine(LR[1], T.w, T.b))) / 2;
    expect(both.values.aff).toBeCloseTo(10 * 2 * perLayer, 5);
    tf.dispose([plain.prep, both.prep]);
  });
});

// ---- DUKD ---------------------------------------------------------------------------------------------------

function tileOf(hr: Img, cell: number, p: number, s: number): Img {
  const r0 = Math.floor(cell / s) * p;
  const c0 = (cell % s) * p;
  return hr.slice(r0, r0 + p).map((row) => row.slice(c0, c0 + p));
}
function jsUnaug(x: Img, f: AugFlags, legacy: boolean): Img {
  if (legacy) return jsAug(x, f);
  let y = x;
  if (f.transpose) y = jsTr(y);
  if (f.flipW) y = jsFlipW(y);
  if (f.flipH) y = jsFlipH(y);
  if (f.invert) y = jsInv(y);
  return y;
}
function jsDown(x: Img, s: number): Img {
  const h = x.length;
  const r = imresizeFloat64(x.flat(2), [h, h, 3], 1 / s);
  const o = r.shape[0];
  return Array.from({ length: o }, (_, i) => Array.from({ length: o }, (_, j) => Array.from(r.data.slice((i * o + j) * 3, (i * o + j) * 3 + 3))));
}

/** Expected DUKD terms from plain JS, given the prep's cells and flags (checked separately). */
function expectedDukd(cfg: MethodConfig & { kind: 'dukd' }, cells: number[], ziFlags: AugFlags[], zoFlags: AugFlags[]): Record<string, number> {
  const p = 2;
  const s = 2;
  const out: Record<string, number> = {
    rec: cfg.recWeight * jsL1(LR.map(sr), HR),
    kd: cfg.kdWeight * jsL1(LR.map(sr), LR.map(te)),
  };
  if (cfg.zoomIn) {
    const tiles = cells.flatMap((c) => HR.map((h) => tileOf(h, c, p, s))); // cell-major
    const outs = tiles.map((z, k) => (cfg.invAug ? jsUnaug(sr(jsAug(z, ziFlags[k])), ziFlags[k], cfg.legacyInverseOrder) : sr(z)));
    out.zi = cfg.kdWeight * jsL1(outs, tiles.map(te));
  }
  if (cfg.zoomOut) {
    const ds = LR.map((x) => jsDown(x, s));
    const aug = cfg.invAug && cfg.augmentZoomOut;
    const outs = ds.map((d, k) => (aug ? jsUnaug(sr(jsAug(d, zoFlags[k])), zoFlags[k], cfg.legacyInverseOrder) : sr(d)));
    out.zo_rec = cfg.recWeight * jsL1(outs, LR);
    out.zo_kd = cfg.kdWeight * jsL1(outs, ds.map(te));
  }
  return out;
}

describe('DUKD', () => {
  const base = defaultMethodConfig('dukd', 'edsr', 2); // w_rec 5, w_kd 1, tiles 2, zoom-out on, q 0.3
  const variants: Record<string, MethodConfig & { kind: 'dukd' }> = {
    default: base,
    'all augmented, q=0.6': { ...base, augProb: 0.6, augmentZoomOut: true },
    'legacy inverse order, q=0.6': { ...base, augProb: 0.6, augmentZoomOut: true, legacyInverseOrder: true },
    'zoom-in only, no aug': { ...base, zoomOut: false, invAug: false, tiles: 3 },
    'zoom-out only': { ...base, zoomIn: false, invAug: false },
    'geometric only': { ...base, augProb: 0.9, colorInvert: false },
  };
  for (const [name, cfg] of Object.entries(variants)) {
    it(`terms equal the hand-computed values: ${name}`, () => {
      for (const step of [0, 1, 2, 3, 4, 5]) {
        const { values, prep } = run(cfg, { ...ctx, step });
        const p = prep as UpcyclingPrep;
        const want = expectedDukd(cfg, p.cells, p.zi?.flags ?? [], p.zo?.flags ?? []);
        expect(Object.keys(values).sort()).toEqual(Object.keys(want).sort());
        for (const k of Object.keys(want)) expect(values[k]).toBeCloseTo(want[k], 5);
        tf.dispose(prep);
      }
    });
  }

  it('zoom-in cells come once per iteration from (seed, step); aug flags per global sample and tile', () => {
    const cfg = { ...base, augProb: 0.5, augmentZoomOut: true };
    const seen = new Set<string>();
    for (const step of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const c = { ...ctx, step };
      const { prep } = run(cfg, c);
      const p = prep as UpcyclingPrep;
      expect(p.cells.length).toBe(2);
      expect(new Set(p.cells).size).toBe(2);
      p.cells.forEach((cell) => expect(cell >= 0 && cell < 4).toBe(true));
      seen.add(JSON.stringify(p.cells));
      // flags: sample b's stream is deriveRng(seed, step, purpose, global b); tile j is its j-th draw
      for (let b = 0; b < 2; b++) {
        const rng = deriveRng(c.seed, c.step, 'dukd/zoom-in-aug', b);
        for (let j = 0; j < 2; j++) expect(p.zi?.flags[j * 2 + b]).toEqual(sampleAugFlags(rng, { prob: 0.5, colorInvert: true }));
        expect(p.zo?.flags[b]).toEqual(sampleAugFlags(deriveRng(c.seed, c.step, 'dukd/zoom-out-aug', b), { prob: 0.5, colorInvert: true }));
      }
      tf.dispose(prep);
    }
    expect(seen.size).toBeGreaterThan(1); // cells change over iterations
  });

  it('rejects more tiles than grid cells, and zoom-out on a patch the scale does not divide', () => {
    const m = buildMethod({ ...base, tiles: 5 });
    const batch = batchOf();
    expect(() => m.prepare(batch, nets, ctx)).toThrow(/tiles must be an integer in 1\.\.4/);
    const odd: SRBatch = { lr: tf.zeros([1, 3, 3, 3]), hr: tf.zeros([1, 6, 6, 3]) };
    expect(() => buildMethod(base).prepare(odd, nets, { ...ctx, batchSizeTotal: 1 })).toThrow(/divisible/);
    tf.dispose([batch, odd]);
  });

  it('two-step mode exposes [rec, kd] then [zi, zo_rec, zo_kd] and filters terms by group', () => {
    const m = buildMethod({ ...base, updateMode: 'twoStepAccumulate' });
    expect(m.termGroups).toEqual([
      ['rec', 'kd'],
      ['zi', 'zo_rec', 'zo_kd'],
    ]);
    const batch = batchOf();
    const prep = m.prepare(batch, nets, ctx);
    const all = m.terms(nets, batch, prep);
    const g0 = m.terms(nets, batch, prep, { group: 0 });
    const g1 = m.terms(nets, batch, prep, { group: 1 });
    expect(Object.keys(g0)).toEqual(['rec', 'kd']);
    expect(Object.keys(g1)).toEqual(['zi', 'zo_rec', 'zo_kd']);
    for (const k of Object.keys(all)) expect((g0[k] ?? g1[k]).dataSync()[0]).toBeCloseTo(all[k].dataSync()[0], 6);
    expect(() => m.terms(nets, batch, prep, { group: 2 })).toThrow(/no term group 2/);
    tf.dispose([prep, all, g0, g1, batch]);
  });
});

describe('AugKD', () => {
  it('uses the DUKD engine with augkdWeight on zi and zo_kd and zoomOutRecWeight on zo_rec', () => {
    const cfg: MethodConfig = { ...defaultMethodConfig('augkd', 'edsr', 2), recWeight: 1, kdWeight: 0.2, augkdWeight: 0.3, zoomOutRecWeight: 0.7 };
    const { values, prep } = run(cfg);
    const p = prep as UpcyclingPrep;
    const ref = expectedDukd({ ...defaultMethodConfig('dukd', 'edsr', 2), recWeight: 1, kdWeight: 1 }, p.cells, p.zi?.flags ?? [], []);
    expect(values.rec).toBeCloseTo(ref.rec, 6);
    expect(values.kd).toBeCloseTo(0.2 * ref.kd, 6);
    expect(values.zi).toBeCloseTo(0.3 * ref.zi, 6);
    expect(values.zo_rec).toBeCloseTo(0.7 * ref.zo_rec, 6);
    expect(values.zo_kd).toBeCloseTo(0.3 * ref.zo_kd, 6);
    tf.dispose(prep);
  });
});
