/** Seed statistics against hand-computed examples (the arithmetic is written out beside each expectation). */
import { describe, expect, it } from 'vitest';
import { pairedDifference, summarize, verdictOf } from '../../lib/stats/seed-stats';

const seeds = (values: number[], from = 0) => values.map((value, i) => ({ seed: from + i, value }));

describe('summarize', () => {
  it('gives mean, sample sd (n - 1) and n', () => {
    // 27.1, 27.3, 27.5: mean 27.3; squared deviations 0.04 + 0 + 0.04 = 0.08; / (3 - 1) = 0.04; sd 0.2
    const s = summarize([27.1, 27.3, 27.5]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(27.3, 12);
    expect(s.sd).toBeCloseTo(0.2, 12);
  });

  it('has no sd for one value, and rejects none or non-finite', () => {
    expect(summarize([30])).toEqual({ n: 1, mean: 30, sd: null });
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([1, NaN])).toThrow(/finite \(got NaN\)/);
  });
});

describe('pairedDifference', () => {
  it('matches a hand-computed paired t interval (not distinguishable)', () => {
    // A = 30.10, 30.30, 30.20 and B = 30.00, 30.10, 30.15 for seeds 0, 1, 2
    // d = 0.10, 0.20, 0.05; mean 0.35 / 3 = 0.116667
    // deviations -0.016667, 0.083333, -0.066667; squares sum 0.000278 + 0.006944 + 0.004444 = 0.011667
    // sd = sqrt(0.011667 / 2) = 0.076376; se = 0.076376 / sqrt(3) = 0.044096
    // t_{0.975, 2} = 4.302653; half width 0.189731; CI [-0.073064, 0.306398] contains 0
    const d = pairedDifference(seeds([30.1, 30.3, 30.2]), seeds([30.0, 30.1, 30.15]));
    expect(d.seeds).toEqual([0, 1, 2]);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.116667, 6);
    expect(d.sd).toBeCloseTo(0.076376, 6);
    expect(d.ci![0]).toBeCloseTo(-0.073064, 5);
    expect(d.ci![1]).toBeCloseTo(0.306398, 5);
    expect(d.level).toBe(0.95);
    expect(d.verdict).toBe('not distinguishable');
  });

  it('says better / worse when the interval excludes 0', () => {
    // d = 0.3, 0.4, 0.5: mean 0.4, sd 0.1, se 0.057735, half width 4.302653 * 0.057735 = 0.248414
    const better = pairedDifference(seeds([10.3, 20.4, 30.5]), seeds([10, 20, 30]));
    expect(better.ci![0]).toBeCloseTo(0.151586, 5);
    expect(better.ci![1]).toBeCloseTo(0.648414, 5);
    expect(better.verdict).toBe('better');
    const worse = pairedDifference(seeds([10, 20, 30]), seeds([10.3, 20.4, 30.5]));
    expect(worse.mean).toBeCloseTo(-0.4, 12);
    expect(worse.verdict).toBe('worse');
  });

  it('pairs by seed, not by position, and leaves out seeds of one row only', () => {
    const a = [{ seed: 2, value: 5 }, { seed: 0, value: 3 }, { seed: 7, value: 100 }];
    const b = [{ seed: 0, value: 1 }, { seed: 2, value: 4 }];
    const d = pairedDifference(a, b);
    expect(d.seeds).toEqual([0, 2]);
    // d = 3 - 1 = 2 (seed 0), 5 - 4 = 1 (seed 2): mean 1.5, sd 0.707107; t_{0.975, 1} = 12.706205; se 0.5
    expect(d.mean).toBeCloseTo(1.5, 12);
    expect(d.ci![0]).toBeCloseTo(1.5 - 6.353102, 5);
    expect(d.ci![1]).toBeCloseTo(1.5 + 6.353102, 5);
  });

  it('one seed: the difference, no interval, verdict single run', () => {
    const d = pairedDifference(seeds([27.7]), seeds([27.6]));
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.ci).toBeNull();
    expect(d.sd).toBeNull();
    expect(d.verdict).toBe('single run');
  });

  it('fails clearly without common seeds or with a repeated seed', () => {
    expect(() => pairedDifference(seeds([1], 0), seeds([1], 1))).toThrow(/no seed in common \(A: 0; B: 1\)/);
    expect(() => pairedDifference([{ seed: 0, value: 1 }, { seed: 0, value: 2 }], seeds([1]))).toThrow(/seed 0 appears twice in A/);
  });

  it('verdictOf reads an interval', () => {
    expect(verdictOf([0.01, 0.2])).toBe('better');
    expect(verdictOf([-0.2, -0.01])).toBe('worse');
    expect(verdictOf([-0.1, 0.1])).toBe('not distinguishable');
    expect(verdictOf(null)).toBe('single run');
  });
});
