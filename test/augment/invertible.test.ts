import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { colorInvert } from '../../lib/augment/color';
import { applyDihedral, flipH, flipW, invertDihedral, transpose } from '../../lib/augment/dihedral';
import {
  type AugFlags,
  allAugFlags,
  applyAug,
  invertAug,
  legacyInverseIsWrong,
  sampleAugFlags,
} from '../../lib/augment/invertible';
import { Rng } from '../../lib/util/rng';
import { jsAug as jsApply, jsFlipH, jsFlipW, jsInv, jsTr } from '../distill/stand-in';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A batch of `b` 4x4x2 images on the 1/256 grid (so colour inversion is exact in float32). */
function grid(b: number, seed = 1): number[][][][] {
  const rng = new Rng(seed);
  return Array.from({ length: b }, () =>
    Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => [rng.int(257) / 256, rng.int(257) / 256])),
  );
}
const toT = (x: number[][][][]): tf.Tensor4D => tf.tensor4d(x);
const arr = (t: tf.Tensor4D): number[][][][] => t.arraySync();

describe('single invertible ops', () => {
  const x = grid(3);
  const mask = [true, false, true];
  const cases = [
    ['flipH', flipH, jsFlipH],
    ['flipW', flipW, jsFlipW],
    ['transpose', transpose, jsTr],
    ['invert', colorInvert, jsInv],
  ] as const;
  for (const [name, op, js] of cases) {
    it(`${name}: per-sample apply matches plain JS and invert(apply(x)) == x exactly`, () => {
      tf.tidy(() => {
        const y = op.apply(toT(x), mask);
        expect(arr(y)).toEqual(x.map((img, b) => (mask[b] ? js(img) : img)));
        expect(arr(op.invert(y, mask))).toEqual(x);
        expect(arr(op.apply(toT(x)))).toEqual(x.map(js)); // no mask: every sample
      });
    });
  }

  it('transpose rejects non-square images', () => {
    expect(() => tf.tidy(() => transpose.apply(tf.zeros([1, 2, 3, 1]) as tf.Tensor4D))).toThrow(/square/);
  });

  it('rejects a mask of the wrong length', () => {
    expect(() => tf.tidy(() => flipH.apply(toT(x), [true]))).toThrow(/mask/);
  });
});

describe('combinations of I, H, W, Tr', () => {
  const combos = allAugFlags();
  const x = grid(16, 7);

  it('there are 16 distinct combinations', () => {
    expect(new Set(combos.map((c) => JSON.stringify(c))).size).toBe(16);
  });

  it('applyAug applies I, H, W, Tr in that order, per sample (sample b gets combination b)', () => {
    tf.tidy(() => {
      expect(arr(applyAug(toT(x), combos))).toEqual(x.map((img, b) => jsApply(img, combos[b])));
    });
  });

  it('invertAug(applyAug(x)) == x exactly for all 16 combinations at once, per sample', () => {
    tf.tidy(() => {
      expect(arr(invertAug(applyAug(toT(x), combos), combos))).toEqual(x);
    });
  });

  it('the round trip holds for every combination on its own too (whole-batch flags)', () => {
    for (const c of combos) {
      const flags = [c, c];
      tf.tidy(() => {
        expect(arr(invertAug(applyAug(toT(x.slice(0, 2)), flags), flags))).toEqual(x.slice(0, 2));
      });
    }
  });

  it('on arbitrary float32 data the geometric ops are exact and I is within 2^-25', () => {
    tf.tidy(() => {
      const r = tf.randomUniform([16, 4, 4, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
      const back = invertAug(applyAug(r, combos), combos);
      expect(tf.max(tf.abs(tf.sub(back, r))).dataSync()[0]).toBeLessThanOrEqual(2 ** -25);
      const geo = combos.map((c) => ({ ...c, invert: false }));
      expect(tf.max(tf.abs(tf.sub(invertAug(applyAug(r, geo), geo), r))).dataSync()[0]).toBe(0);
    });
  });

  it('legacyInverseOrder differs exactly when Tr is combined with exactly one flip, by a 180° rotation', () => {
    const wrong = combos.map(legacyInverseIsWrong);
    expect(wrong.filter(Boolean).length).toBe(4); // Tr·H or Tr·W, with or without I
    tf.tidy(() => {
      const back = arr(invertAug(applyAug(toT(x), combos), combos, { legacyInverseOrder: true }));
      back.forEach((img, b) => {
        if (wrong[b]) {
          expect(img).not.toEqual(x[b]);
          expect(img).toEqual(jsFlipW(jsFlipH(x[b])));
        } else {
          expect(img).toEqual(x[b]);
        }
      });
    });
  });

  it('applyDihedral / invertDihedral round-trip all 8 dihedral transforms', () => {
    for (const c of combos.filter((f) => !f.invert)) {
      tf.tidy(() => {
        const y = applyDihedral(toT(x.slice(0, 2)), c);
        expect(arr(y)).toEqual(x.slice(0, 2).map((img) => jsApply(img, c)));
        expect(arr(invertDihedral(y, c))).toEqual(x.slice(0, 2));
      });
    }
  });

  it('does not leak tensors', () => {
    const t = toT(x);
    const before = tf.memory().numTensors;
    const y = applyAug(t, combos);
    tf.dispose([y, invertAug(y, combos), applyAug(t, combos.map(() => combos[0])), invertAug(t, combos, { legacyInverseOrder: true })]);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});

describe('sampleAugFlags', () => {
  it('draws each op independently with probability q', () => {
    const rng = new Rng(5);
    const n = 20000;
    const counts = { invert: 0, flipH: 0, flipW: 0, transpose: 0 };
    let identity = 0;
    for (let i = 0; i < n; i++) {
      const f = sampleAugFlags(rng, { prob: 0.3, colorInvert: true });
      for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += f[k] ? 1 : 0;
      if (!f.invert && !f.flipH && !f.flipW && !f.transpose) identity++;
    }
    for (const v of Object.values(counts)) expect(v / n).toBeCloseTo(0.3, 1);
    expect(identity / n).toBeCloseTo(0.7 ** 4, 1);
  });

  it('colorInvert: false never inverts and leaves the geometric draws unchanged', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    for (let i = 0; i < 200; i++) {
      const fa = sampleAugFlags(a, { prob: 0.5, colorInvert: true });
      const fb = sampleAugFlags(b, { prob: 0.5, colorInvert: false });
      expect(fb).toEqual({ ...fa, invert: false });
    }
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => sampleAugFlags(new Rng(1), { prob: 1.5, colorInvert: true })).toThrow(/\[0, 1\]/);
  });
});
