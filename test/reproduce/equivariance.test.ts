import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { allAugFlags, IDENTITY_AUG } from '../../lib/augment/invertible';
import { augLabel, equivarianceRows, roundTripRows } from '../../lib/reproduce/equivariance';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const x = (): tf.Tensor4D => tf.tidy(() => tf.div(tf.round(tf.mul(tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', 3), 256)), 256) as tf.Tensor4D);

describe('augLabel', () => {
  it('names ops in forward order', () => {
    expect(augLabel(IDENTITY_AUG)).toBe('identity');
    expect(augLabel({ invert: true, flipH: false, flipW: true, transpose: true })).toBe('I+W+Tr');
  });
});

describe('roundTripRows', () => {
  it('exact inverse is exact; the legacy order fails exactly for transpose + one flip', () => {
    const img = x(); // multiples of 1/256: 1 - (1 - v) is exact in float32
    const rows = roundTripRows(img);
    img.dispose();
    expect(rows.length).toBe(16);
    for (const r of rows) {
      expect(r.exactMaxErr).toBe(0);
      expect(r.legacyMaxErr > 0).toBe(r.legacyWrong);
    }
    expect(rows.filter((r) => r.legacyWrong).map((r) => r.aug).sort()).toEqual(['H+Tr', 'I+H+Tr', 'I+W+Tr', 'W+Tr']);
  });
});

describe('equivarianceRows', () => {
  it('is zero for a pointwise map under geometric ops and measures colour inversion', () => {
    const img = x();
    // f(v) = v^2 commutes with flips/transposes, but not with v -> 1 - v
    const rows = equivarianceRows((t) => tf.square(t), img, allAugFlags());
    const byName = new Map(rows.map((r) => [r.aug, r]));
    expect(byName.get('identity')!.l1).toBe(0);
    expect(byName.get('identity')!.psnr).toBe(Infinity);
    expect(byName.get('H+W+Tr')!.maxAbs).toBe(0);
    // I: 1 - (1 - v)^2 vs v^2, difference 2v - 2v^2 ... mean |2v(1-v) - ... |; just check it against a direct computation
    const want = tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.sub(1, tf.square(tf.sub(1, img))), tf.square(img)))).dataSync()[0]);
    expect(byName.get('I')!.l1).toBeCloseTo(want, 6);
    expect(byName.get('I')!.psnr).toBeLessThan(30);
    img.dispose();
  });

  it('accepts an SRNet-like object', () => {
    const img = x();
    const net = { forward: (t: tf.Tensor4D) => ({ out: tf.add(t, 0.1) as tf.Tensor4D, features: {} }) } as never;
    const rows = equivarianceRows(net, img, [IDENTITY_AUG]);
    expect(rows[0].l1).toBe(0);
    img.dispose();
  });
});
