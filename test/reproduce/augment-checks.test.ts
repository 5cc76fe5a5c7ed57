import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allAugFlags } from '../../lib/augment/invertible';
import {
  augmentPaperRows,
  colorInversionRows,
  equivarianceFigure,
  legacyBugShare,
  roundTripProblems,
  roundTripTolerance,
} from '../../lib/reproduce/augment-checks';
import { augLabel, type EquivarianceRow, roundTripRows } from '../../lib/reproduce/equivariance';
import { Rng } from '../../lib/util/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Multiples of 1/256 (1 − (1 − v) exact in float32), 2 images of 5×5. */
const img = (): tf.Tensor4D => tf.tidy(() => tf.div(tf.round(tf.mul(tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', 5), 256)), 256) as tf.Tensor4D);

describe('colorInversionRows', () => {
  it('counts the float32 levels whose round trip is inexact, as float32 arithmetic done in JS predicts', () => {
    // independent: Math.fround rounds each step to float32 as the tensor ops do
    const v = (k: number): number => Math.fround(k / 255);
    const back = (k: number): number => Math.fround(1 - Math.fround(1 - v(k)));
    const k = Array.from({ length: 256 }, (_, i) => i);
    const inexact = k.filter((i) => back(i) !== v(i));
    const maxErr = Math.max(...k.map((i) => Math.abs(back(i) - v(i))));
    expect(inexact.length).toBeGreaterThan(0);
    expect(inexact.every((i) => i < 128)).toBe(true); // every v ≥ 0.5 is a multiple of 2⁻²⁴: exact

    const before = tf.memory().numTensors;
    const rows = colorInversionRows();
    expect(tf.memory().numTensors).toBe(before);
    expect(rows.map((r) => [r.values, r['not exact'], r['max |error|']])).toEqual([
      [256, 0, 0],
      [256, inexact.length, maxErr],
      [256, 0, 0], // errors ≤ 2⁻²⁵ are far below half an 8-bit step (1/510)
    ]);
    expect(maxErr).toBeLessThanOrEqual(2 ** -25);
    expect(rows[1]['inexact k (first 8)']).toBe(inexact.slice(0, 8).join(', '));
  });
});

describe('roundTripTolerance and roundTripProblems', () => {
  it('allows 2⁻²⁵ only when colour inversion is involved', () => {
    expect(roundTripTolerance('I')).toBe(2 ** -25);
    expect(roundTripTolerance('I+H+Tr')).toBe(2 ** -25);
    expect(roundTripTolerance('H+W+Tr')).toBe(0);
    expect(roundTripTolerance('identity')).toBe(0);
  });

  it('finds nothing wrong with the kit, and names a wrong exact inverse and a legacy inverse that should fail', () => {
    const x = img();
    const rows = roundTripRows(x);
    x.dispose();
    expect(roundTripProblems(rows)).toEqual([]);
    const broken = rows.map((r) =>
      r.aug === 'H' ? { ...r, exactMaxErr: 0.5 } : r.aug === 'W+Tr' ? { ...r, legacyMaxErr: 0 } : r);
    expect(roundTripProblems(broken)).toEqual([ // rows in binary order of (I, H, W, Tr): W+Tr comes before H
      'W+Tr: legacy inverse should fail (max error 0)',
      'H: exact inverse off by 0.5 (tolerance 0)',
    ]);
  });
});

describe('legacyBugShare', () => {
  /** Closed form: Tr on (q) and exactly one of H, W on (2q(1−q)); I is free. */
  const closedForm = (q: number): number => q * 2 * q * (1 - q);

  it('is 12.6 % at q = 0.3 and follows q·2q(1−q)', () => {
    expect(legacyBugShare(0.3, new Rng(1), 1).exact).toBeCloseTo(0.126, 12);
    for (const q of [0, 0.1, 0.5, 0.9, 1]) expect(legacyBugShare(q, new Rng(1), 1).exact).toBeCloseTo(closedForm(q), 12);
  });

  it('samples within five standard errors of the closed form, reproducibly', () => {
    const n = 20000;
    const a = legacyBugShare(0.3, new Rng(3), n);
    expect(a.draws).toBe(n);
    expect(Math.abs(a.sampled - 0.126)).toBeLessThan(5 * Math.sqrt((0.126 * 0.874) / n));
    expect(legacyBugShare(0.3, new Rng(3), n).sampled).toBe(a.sampled);
    expect(() => legacyBugShare(0.3, new Rng(3), 0)).toThrow(/draws must be a positive integer \(got 0\)/);
  });
});

/** Equivariance rows with L1 = `geo` for the geometric ops, `inv` for those with I, 0 for the identity. */
const eqRows = (geo: number, inv: number): EquivarianceRow[] =>
  allAugFlags().map((f) => {
    const aug = augLabel(f);
    const l1 = aug === 'identity' ? 0 : f.invert ? inv : geo;
    return { aug, l1, psnr: 0, maxAbs: l1 };
  });

describe('augmentPaperRows', () => {
  it('fills the paper-vs-kit table from the round trips, the legacy share and the equivariance rows', () => {
    const x = img();
    const rt = roundTripRows(x);
    x.dispose();
    const rows = augmentPaperRows(rt, eqRows(1e-3, 0.2), legacyBugShare(0.3, new Rng(1), 1000));
    expect(rows[0].kit).toBe('16 of 16');
    // binary order of (I, H, W, Tr)
    expect(rows[1].kit).toBe('W+Tr, H+Tr, I+W+Tr, I+H+Tr');
    expect(rows[2].kit).toMatch(/^12\.6 % exact, \d+\.\d % in 1000 draws$/);
    expect(rows[3]).toMatchObject({ quantity: 'teacher equivariance L1, geometric ops (mean of 7)', kit: '1.00e-3' });
    expect(rows[4]).toMatchObject({ quantity: 'teacher equivariance L1, with colour inversion (mean of 8)', kit: '2.00e-1' });
  });
});

describe('equivarianceFigure', () => {
  it('leaves out the identity, pairs the reference by name and floors its zeros at 1e-9 on a log axis', () => {
    const net = eqRows(1e-3, 0.2);
    const ref = eqRows(0, 0).reverse(); // paired by name, not position
    const fig = equivarianceFigure(net, ref, { net: 'teacher (smoke)', reference: 'bicubic' });
    const [a, b] = fig.data as { name: string; x: string[]; y: number[] }[];
    expect(a.name).toBe('teacher (smoke)');
    expect(a.x.length).toBe(15);
    expect(a.x).not.toContain('identity');
    expect(a.y[a.x.indexOf('I')]).toBe(0.2);
    expect(a.y[a.x.indexOf('H+Tr')]).toBe(1e-3);
    expect(b.x).toEqual(a.x);
    expect(b.y.every((v) => v === 1e-9)).toBe(true);
    expect(fig.layout).toMatchObject({ barmode: 'group', yaxis: { type: 'log' } });
  });
});
