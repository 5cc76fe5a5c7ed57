/**
 * Student t quantiles against a published table (two-sided 95 %: t_{0.975}, df 1..30, 3 decimals, as printed in
 * e.g. NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.2), against exact closed forms (df 1, 2, 4)
 * and against scipy 1.17 `stats.t.ppf` / `stats.t.cdf` values (made once with Debian's python3-scipy).
 */
import { describe, expect, it } from 'vitest';
import { incompleteBeta, logGamma, studentTCdf, studentTQuantile } from '../../lib/stats/student-t';

// t_{0.975, df} for df = 1..30 as printed in the table
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
// t_{0.95, df} (one-sided 95 %, two-sided 90 %) for df = 1..10, same table
const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812];

describe('studentTQuantile', () => {
  it('matches the published t_{0.975} table for df 1..30 to its 3 decimals', () => {
    T975.forEach((t, i) => expect(Math.abs(studentTQuantile(0.975, i + 1) - t), `df ${i + 1}`).toBeLessThanOrEqual(0.0005 + 1e-12));
  });

  it('matches the published t_{0.95} table for df 1..10', () => {
    T95.forEach((t, i) => expect(Math.abs(studentTQuantile(0.95, i + 1) - t), `df ${i + 1}`).toBeLessThanOrEqual(0.0005 + 1e-12));
  });

  it('equals the closed forms for df 1 (Cauchy), 2 and 4', () => {
    for (const p of [0.6, 0.9, 0.975, 0.995, 0.9995]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 8);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) * Math.sqrt(2 / (4 * p * (1 - p))), 10);
      const alpha = 4 * p * (1 - p);
      const q = Math.cos(Math.acos(Math.sqrt(alpha)) / 3) / Math.sqrt(alpha);
      expect(studentTQuantile(p, 4)).toBeCloseTo(2 * Math.sqrt(q - 1), 10);
    }
  });

  it('agrees with scipy to 1e-9 and is antisymmetric', () => {
    const ref: [number, number, number][] = [
      [0.975, 3, 3.1824463052837078], [0.975, 10, 2.228138851986274], [0.975, 30, 2.0422724563012378],
      [0.995, 7, 3.4994832973504924], [0.9995, 1, 636.6192487687897], [0.6, 3, 0.2766706623326898],
    ];
    for (const [p, df, t] of ref) expect(Math.abs(studentTQuantile(p, df) - t) / t, `p ${p} df ${df}`).toBeLessThan(1e-9);
    expect(studentTQuantile(0.025, 2)).toBeCloseTo(-4.302652729749464, 9);
    expect(studentTQuantile(0.5, 5)).toBe(0);
  });

  it('approaches the normal quantile 1.95996 for large df', () => {
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4);
  });

  it('rejects bad arguments by name', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/p must be in \(0, 1\) \(got 1\)/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom must be .* > 0 \(got 0\)/);
  });
});

describe('studentTCdf and its building blocks', () => {
  it('agrees with scipy stats.t.cdf', () => {
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(studentTCdf(2, 3)).toBeCloseTo(0.9303370157205785, 12);
    expect(studentTCdf(-1.5, 7)).toBeCloseTo(0.088649243494985, 12);
    expect(studentTCdf(0.3, 25)).toBeCloseTo(0.6166712531734713, 12);
  });

  it('logGamma and incompleteBeta hit known values', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14); // uniform
    expect(incompleteBeta(0.3, 2, 1)).toBeCloseTo(0.09, 14); // x^a for b = 1
    expect(incompleteBeta(0.3, 1, 3)).toBeCloseTo(1 - 0.7 ** 3, 14); // 1 - (1-x)^b for a = 1
  });
});
