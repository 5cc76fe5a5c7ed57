/**
 * Checks behind notebook 03 (DUKD's invertible augmentations, DUKD-v2 §3.3), kept here so the notebook only calls
 * and shows them; the round-trip and equivariance measurements themselves are in equivariance.ts.
 *  - `colorInversionRows`: I (v → 1 − v) round trip over all 256 8-bit levels: exact on integers, off by at most
 *    2⁻²⁵ in float32 for some k/255 below 0.5, exact again once quantised back to 8 bits (BasicSR `tensor2img`);
 *  - `roundTripProblems`: the exact inverse is exact (within float32 rounding with I) and DUKD code's legacy
 *    (forward-order) inverse fails exactly for transpose + one flip;
 *  - `legacyBugShare`: the share of samples the legacy inverse gets wrong, exact and sampled;
 *  - `augmentPaperRows`, `equivarianceFigure`: the paper's claims beside the kit's numbers, and a bar plot.
 */
import * as tf from '@tensorflow/tfjs';
import { type AugFlags, allAugFlags, applyAug, IDENTITY_AUG, invertAug, legacyInverseIsWrong, sampleAugFlags } from '../augment/invertible';
import { tensorToImages } from '../data/image';
import type { Rng } from '../util/rng';
import type { PlotFigure } from '../viz/plot';
import type { EquivarianceRow, RoundTripRow } from './equivariance';
import type { PaperKitRow } from './paper-numbers';

/**
 * Largest float32 round-trip error allowed for augmentation `aug` (an `augLabel` name): 2⁻²⁵ when colour
 * inversion I is part of it (1 − v rounds for some v below 0.5), 0 for the geometric ops (pure index moves).
 */
export function roundTripTolerance(aug: string): number {
  return aug.split('+').includes('I') ? 2 ** -25 : 0;
}

/** One way of running I twice over the 256 8-bit levels. */
export type ColorInversionRow = {
  readonly data: string;
  readonly values: number;
  readonly 'not exact': number;
  readonly 'max |error|': number;
  /** The first 8 levels k whose float32 round trip is not exact (float row only). */
  readonly 'inexact k (first 8)': string;
};

/**
 * I applied twice to every 8-bit level k = 0..255, three ways: on integers (255 − (255 − k)), on float32 k/255
 * through the kit's `applyAug`/`invertAug`, and that float round trip quantised back to 8 bits (`tensorToImages`).
 */
export function colorInversionRows(): ColorInversionRow[] {
  const k = Array.from({ length: 256 }, (_, i) => i);
  const { err, quantised } = tf.tidy(() => {
    const v = tf.tensor4d(k.flatMap((i) => [i / 255, i / 255, i / 255]), [1, 16, 16, 3]);
    const I: AugFlags[] = [{ ...IDENTITY_AUG, invert: true }];
    const back = invertAug(applyAug(v, I), I);
    return { err: Array.from(tf.abs(tf.sub(back, v)).dataSync()), quantised: tensorToImages(back)[0].data };
  });
  const inexact = k.filter((i) => err[3 * i] !== 0);
  return [
    { data: '8-bit integers, 255 − (255 − k)', values: 256, 'not exact': k.filter((i) => 255 - (255 - i) !== i).length, 'max |error|': 0, 'inexact k (first 8)': '' },
    {
      data: 'float32 k/255, 1 − (1 − v)', values: 256, 'not exact': inexact.length,
      'max |error|': Math.max(...err), 'inexact k (first 8)': inexact.slice(0, 8).join(', '),
    },
    { data: 'float32 round trip quantised to 8 bits', values: 256, 'not exact': k.filter((i) => quantised[3 * i] !== i).length, 'max |error|': 0, 'inexact k (first 8)': '' },
  ];
}

/**
 * What is wrong with round-trip rows (`roundTripRows`), one line each (empty when all is well): the exact inverse
 * must stay within `roundTripTolerance`, and the legacy inverse must fail exactly where `legacyInverseIsWrong` says.
 */
export function roundTripProblems(rows: readonly RoundTripRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const tol = roundTripTolerance(r.aug);
    if (r.exactMaxErr > tol) out.push(`${r.aug}: exact inverse off by ${r.exactMaxErr} (tolerance ${tol})`);
    if ((r.legacyMaxErr > tol) !== r.legacyWrong) out.push(`${r.aug}: legacy inverse ${r.legacyWrong ? 'should fail' : 'should work'} (max error ${r.legacyMaxErr})`);
  }
  return out;
}

/** The share of augmentation draws that DUKD code's legacy inverse gets wrong. */
export type LegacyBugShare = {
  /** Per-op probability q. */
  readonly q: number;
  /** Σ over the 16 combinations the legacy inverse gets wrong of their probability (each op on with prob q). */
  readonly exact: number;
  /** Share of `draws` samples from `sampleAugFlags` (colour inversion on) that the legacy inverse gets wrong. */
  readonly sampled: number;
  readonly draws: number;
};

/** Probability of one combination when each op is drawn independently with probability q. */
function flagsProbability(f: AugFlags, q: number): number {
  return [f.invert, f.flipH, f.flipW, f.transpose].reduce((p, on) => p * (on ? q : 1 - q), 1);
}

/** The legacy-bug share at per-op probability `q` (0.3 in every DUKD config), exact and from `draws` samples of `rng`. */
export function legacyBugShare(q: number, rng: Rng, draws = 20000): LegacyBugShare {
  if (!Number.isInteger(draws) || draws < 1) throw new Error(`legacyBugShare: draws must be a positive integer (got ${draws})`);
  const exact = allAugFlags().filter(legacyInverseIsWrong).reduce((a, f) => a + flagsProbability(f, q), 0);
  let wrong = 0;
  for (let i = 0; i < draws; i++) if (legacyInverseIsWrong(sampleAugFlags(rng, { prob: q, colorInvert: true }))) wrong++;
  return { q, exact, sampled: wrong / draws, draws };
}

function meanL1(rows: readonly EquivarianceRow[]): number {
  return rows.reduce((a, r) => a + r.l1, 0) / rows.length;
}

/**
 * Notebook 03's paper-vs-kit table: combinations inverted exactly, those the legacy inverse gets wrong, the
 * legacy-bug share (the paper's 12.6 % is q·2q(1−q) at q = 0.3) and the teacher's mean equivariance L1 over the
 * 7 geometric combinations and over the 8 with colour inversion (the paper assumes both ≈ 0 and prints neither).
 */
export function augmentPaperRows(rt: readonly RoundTripRow[], eqTeacher: readonly EquivarianceRow[], share: LegacyBugShare): PaperKitRow[] {
  const withI = (aug: string): boolean => aug.split('+').includes('I');
  const geo = eqTeacher.filter((r) => r.aug !== 'identity' && !withI(r.aug));
  const inv = eqTeacher.filter((r) => withI(r.aug));
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  return [
    {
      quantity: 'combinations inverted exactly (with I: within float32 rounding, 2⁻²⁵)', paper: '16 of 16',
      kit: `${rt.filter((r) => r.exactMaxErr <= roundTripTolerance(r.aug)).length} of ${rt.length}`,
    },
    { quantity: 'legacy (forward-order) inverse wrong for', paper: 'Tr + one flip (4 of 16)', kit: rt.filter((r) => r.legacyMaxErr > roundTripTolerance(r.aug)).map((r) => r.aug).join(', ') },
    { quantity: `share of samples hit by the legacy bug, q = ${share.q}`, paper: '12.6 %', kit: `${pct(share.exact)} exact, ${pct(share.sampled)} in ${share.draws} draws` },
    { quantity: `teacher equivariance L1, geometric ops (mean of ${geo.length})`, paper: '- (assumed ≈ 0)', kit: meanL1(geo).toExponential(2) },
    { quantity: `teacher equivariance L1, with colour inversion (mean of ${inv.length})`, paper: '- (assumed ≈ 0)', kit: meanL1(inv).toExponential(2) },
  ];
}

/**
 * Grouped bars of the equivariance L1 per augmentation (identity left out) for a network and a reference
 * (e.g. bicubic, equivariant up to float rounding), on a log axis; reference values are floored at 1e-9 so
 * exact zeros still show.
 */
export function equivarianceFigure(
  net: readonly EquivarianceRow[], reference: readonly EquivarianceRow[], names: { readonly net: string; readonly reference: string },
): PlotFigure {
  const shown = net.filter((r) => r.aug !== 'identity');
  const refL1 = new Map(reference.map((r) => [r.aug, r.l1]));
  const x = shown.map((r) => r.aug);
  return {
    data: [
      { type: 'bar', name: names.net, x, y: shown.map((r) => r.l1) },
      { type: 'bar', name: names.reference, x, y: shown.map((r) => Math.max(refL1.get(r.aug) ?? NaN, 1e-9)) },
    ],
    layout: {
      title: { text: 'Equivariance error: mean |A⁻¹(T(A(x))) − T(x)|' }, barmode: 'group', height: 400,
      yaxis: { title: { text: 'L1 (log scale; reference floored at 1e-9)' }, type: 'log' }, xaxis: { title: { text: 'augmentation A' } },
    },
  };
}
