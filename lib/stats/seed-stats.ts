/**
 * Statistics over training seeds: a row's mean, sample standard deviation and n, and the difference between two
 * rows paired by seed with a Student t confidence interval and a verdict.
 *
 * Pairing: seed s of row A and seed s of row B share the student's initialisation and the data order (both come
 * from the run's seed), so d_s = A_s - B_s removes the part of the spread the two rows have in common. The
 * interval is mean(d) +- t_{1-alpha/2, n-1} * sd(d) / sqrt(n) (the paired t interval); the verdict is 'better'
 * when it lies above 0, 'worse' below 0, 'not distinguishable' when it contains 0, and 'single run' for n = 1
 * (no spread, so no interval).
 */
import { studentTQuantile } from './student-t';

/** One measurement of one seed. */
export type SeedValue = { readonly seed: number; readonly value: number };

export type SeedSummary = {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (divisor n - 1); null for n = 1. */
  readonly sd: number | null;
};

export type Verdict = 'better' | 'worse' | 'not distinguishable' | 'single run';

export type PairedDifference = {
  /** Seeds present in both rows, ascending. */
  readonly seeds: readonly number[];
  readonly n: number;
  /** Mean of A_s - B_s. */
  readonly mean: number;
  readonly sd: number | null;
  /** Confidence level of `ci` (0.95 by default). */
  readonly level: number;
  /** [low, high] of the paired t interval; null for n = 1. */
  readonly ci: readonly [number, number] | null;
  readonly verdict: Verdict;
};

/** Mean, sample standard deviation and n of `values` (at least one finite number). */
export function summarize(values: readonly number[]): SeedSummary {
  if (values.length === 0) throw new Error('summarize: no values');
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`summarize: values must be finite (got ${v})`);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, sd: null };
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  return { n, mean, sd: Math.sqrt(ss / (n - 1)) };
}

/** The paired t interval of mean(d) at `level`; null for fewer than two differences. */
export function meanCi(summary: SeedSummary, level = 0.95): readonly [number, number] | null {
  if (!(level > 0 && level < 1)) throw new Error(`confidence level must be in (0, 1) (got ${level})`);
  if (summary.n < 2 || summary.sd === null) return null;
  const half = studentTQuantile(1 - (1 - level) / 2, summary.n - 1) * (summary.sd / Math.sqrt(summary.n));
  return [summary.mean - half, summary.mean + half];
}

/** 'better' / 'worse' / 'not distinguishable' from an interval of A - B; 'single run' without one. */
export function verdictOf(ci: readonly [number, number] | null): Verdict {
  if (ci === null) return 'single run';
  if (ci[0] > 0) return 'better';
  if (ci[1] < 0) return 'worse';
  return 'not distinguishable';
}

/** A - B paired by seed (see the file comment); seeds in only one of the rows are left out. */
export function pairedDifference(a: readonly SeedValue[], b: readonly SeedValue[], level = 0.95): PairedDifference {
  const bySeed = (xs: readonly SeedValue[], name: string): Map<number, number> => {
    const m = new Map<number, number>();
    for (const x of xs) {
      if (m.has(x.seed)) throw new Error(`pairedDifference: seed ${x.seed} appears twice in ${name}`);
      m.set(x.seed, x.value);
    }
    return m;
  };
  const ma = bySeed(a, 'A');
  const mb = bySeed(b, 'B');
  const seeds = [...ma.keys()].filter((s) => mb.has(s)).sort((x, y) => x - y);
  if (seeds.length === 0) {
    throw new Error(`pairedDifference: no seed in common (A: ${[...ma.keys()].join(',') || 'none'}; B: ${[...mb.keys()].join(',') || 'none'})`);
  }
  const s = summarize(seeds.map((seed) => (ma.get(seed) as number) - (mb.get(seed) as number)));
  const ci = meanCi(s, level);
  return { seeds, n: s.n, mean: s.mean, sd: s.sd, level, ci, verdict: verdictOf(ci) };
}
