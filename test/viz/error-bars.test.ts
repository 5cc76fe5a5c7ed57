import { describe, expect, it } from 'vitest';
import { ciErrorY, meanBandTraces, meanCurve, translucent } from '../../lib/viz/error-bars';

describe('error bars', () => {
  it('meanCurve averages runs at their common steps; a repeated step counts with its last value', () => {
    // run b was resumed: step 2 logged twice (5 before the kill, 6 after)
    const c = meanCurve([{ x: [1, 2, 3], y: [1, 2, 3] }, { x: [1, 2, 2, 3, 4], y: [3, 5, 6, 5, 9] }]);
    expect(c.x).toEqual([1, 2, 3]);
    expect(c.mean).toEqual([2, 4, 4]);
    expect(c.sd[0]).toBeCloseTo(Math.SQRT2, 12); // values 1, 3: sd sqrt(2)
    expect(c.n).toBe(2);
  });

  it('one run is a plain line; several are a band and a mean line', () => {
    expect(meanBandTraces('kd', [{ x: [1], y: [2] }], { colour: '#1f77b4' })).toHaveLength(1);
    const t = meanBandTraces('kd', [{ x: [1], y: [1] }, { x: [1], y: [3] }], { colour: '#1f77b4', positive: true }) as Record<string, unknown>[];
    expect(t).toHaveLength(3);
    expect(t[0].y).toEqual([2 - Math.SQRT2]);
    expect(t[1].fillcolor).toBe('rgba(31, 119, 180, 0.2)');
    // positive: the lower edge stays at mean / 10 or above
    const wide = meanBandTraces('x', [{ x: [1], y: [0.1] }, { x: [1], y: [1.9] }], { colour: '#000000', positive: true }) as { y: number[] }[];
    expect(wide[0].y[0]).toBeCloseTo(0.1, 12);
  });

  it('ciErrorY gives asymmetric whiskers; no interval, no whisker', () => {
    expect(ciErrorY([1, 2], [[0.5, 2], null])).toMatchObject({ symmetric: false, array: [1, 0], arrayminus: [0.5, 0] });
    expect(() => translucent('red', 0.5)).toThrow(/#rrggbb/);
  });
});
