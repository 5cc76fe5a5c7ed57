// DCKD's negative degradation: noise statistics (sigma range, gray fields, clipping, no rounding), determinism,
// share slicing, and the optional blur / resize paths against their definitions.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DCKD_DEGRADATION, applyDegradation, degradeBatch, gaussianKernel1d, sampleDegradation, sliceDegradation,
} from '../../lib/augment/degrade';
import { torchInterpolate } from '../../lib/data/torch-interpolate';
import { Rng } from '../../lib/util/rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const grey = (b: number, h = 24, w = 24): tf.Tensor4D => tf.fill([b, h, w, 3], 0.5) as tf.Tensor4D;

describe('DCKD degradation', () => {
  it('released config: noise only, sigma in [1, 30]/255 per sample, about half gray', () => {
    const rng = new Rng(1);
    let gray = 0;
    let n = 0;
    for (let i = 0; i < 50; i++) {
      const d = sampleDegradation(rng, DCKD_DEGRADATION, 8);
      expect(d.blur).toBeNull();
      expect(d.resize).toBeNull();
      for (const s of d.noise ?? []) {
        expect(s.sigma).toBeGreaterThanOrEqual(1 / 255);
        expect(s.sigma).toBeLessThanOrEqual(30 / 255);
        gray += s.gray ? 1 : 0;
        n++;
      }
    }
    expect(n).toBe(400);
    expect(gray / n).toBeGreaterThan(0.4);
    expect(gray / n).toBeLessThan(0.6);
  });

  it('adds N(0, sigma^2) per sample, one field for all channels when gray, clipped and not rounded', () => {
    const x = grey(2, 32, 32);
    const draw = { blur: null, resize: null, noise: [{ sigma: 20 / 255, gray: true, seed: 7 }, { sigma: 5 / 255, gray: false, seed: 8 }] };
    const y = applyDegradation(x, draw);
    const r = tf.sub(y, x);
    const v = r.dataSync();
    const per = 32 * 32 * 3;
    const std = (b: number) => {
      let s = 0;
      for (let i = b * per; i < (b + 1) * per; i++) s += v[i] * v[i];
      return Math.sqrt(s / per);
    };
    expect(std(0) * 255).toBeGreaterThan(18);
    expect(std(0) * 255).toBeLessThan(22);
    expect(std(1) * 255).toBeGreaterThan(4.5);
    expect(std(1) * 255).toBeLessThan(5.5);
    for (let p = 0; p < 32 * 32; p++) expect(v[p * 3]).toBe(v[p * 3 + 2]); // gray: same value in every channel
    expect(v[per]).not.toBe(v[per + 1]);
    const yv = y.dataSync();
    expect(yv.some((e) => Math.abs(e * 255 - Math.round(e * 255)) > 1e-3)).toBe(true);
    const bright = applyDegradation(tf.fill([1, 8, 8, 3], 0.99) as tf.Tensor4D, { blur: null, resize: null, noise: [{ sigma: 0.1, gray: false, seed: 1 }] });
    expect(tf.max(bright).dataSync()[0]).toBe(1);
    tf.dispose([x, y, r, bright]);
  });

  it('is deterministic given the draw, and a share of the draw degrades its rows identically', () => {
    const x = tf.randomUniform([4, 12, 12, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const draw = sampleDegradation(new Rng(9), DCKD_DEGRADATION, 4);
    const full = applyDegradation(x, draw);
    const part = applyDegradation(tf.slice(x, [2, 0, 0, 0], [2, -1, -1, -1]) as tf.Tensor4D, sliceDegradation(draw, 2, 2));
    expect(Array.from(part.dataSync())).toEqual(Array.from(tf.slice(full, [2, 0, 0, 0], [2, -1, -1, -1]).dataSync()));
    const again = degradeBatch(x, new Rng(9));
    expect(Array.from(again.dataSync())).toEqual(Array.from(full.dataSync()));
    expect(() => sliceDegradation(draw, 3, 2)).toThrow(/outside a draw for 4 samples/);
    tf.dispose([x, full, part, again]);
  });

  it('blur: kornia Gaussian kernels (normalised), separable, reflect borders', () => {
    const g = gaussianKernel1d(5, 1);
    const e = [4, 1, 0, 1, 4].map((d) => Math.exp(-d / 2));
    const z = e.reduce((a, b) => a + b, 0);
    g.forEach((v, i) => expect(v).toBeCloseTo(e[i] / z, 12));
    // A delta in the interior spreads into the outer product of the two kernels.
    const delta = tf.buffer([1, 15, 15, 1]);
    delta.set(1, 0, 7, 7, 0);
    const x = delta.toTensor() as tf.Tensor4D;
    const blur = { kernelH: 5, kernelW: 3, sigmaH: 1, sigmaW: 0.5 };
    const y = applyDegradation(x, { blur, resize: null, noise: null }).dataSync();
    const gh = gaussianKernel1d(5, 1);
    const gw = gaussianKernel1d(3, 0.5);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) expect(y[(5 + i) * 15 + (6 + j)]).toBeCloseTo(gh[i] * gw[j], 6);
    // At the border the kernel reflects without repeating the edge pixel: output (0, 0) sees column 1 twice
    // (at offsets -1 and +1), so a delta at (0, 1) contributes g[1] * (g[0] + g[2]) there.
    const edge = tf.buffer([1, 6, 6, 1]);
    edge.set(1, 0, 0, 1, 0);
    const yc = applyDegradation(edge.toTensor() as tf.Tensor4D, { blur: { kernelH: 3, kernelW: 3, sigmaH: 1, sigmaW: 1 }, resize: null, noise: null }).dataSync();
    const g3 = gaussianKernel1d(3, 1);
    expect(yc[0]).toBeCloseTo(g3[1] * (g3[0] + g3[2]), 6);
    expect(yc[1]).toBeCloseTo(g3[1] * g3[1], 6);
    tf.dispose(x);
  });

  it('resize: down (or up) with one mode, noise, back to the input size with another', () => {
    const x = tf.randomUniform([2, 20, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const draw = { blur: null, resize: { scale: 0.6, mode: 'area' as const, backMode: 'bicubic' as const }, noise: null };
    const y = applyDegradation(x, draw);
    const want = torchInterpolate(torchInterpolate(x, 12, 9, 'area'), 20, 16, 'bicubic');
    expect(y.shape).toEqual([2, 20, 16, 3]);
    expect(tf.max(tf.abs(tf.sub(y, want))).dataSync()[0]).toBe(0);
    const rng = new Rng(2);
    const all = { ...DCKD_DEGRADATION, blurProb: 1, resizeProb: 1 };
    const d = sampleDegradation(rng, all, 2);
    expect([3, 5, 7, 9, 11]).toContain(d.blur?.kernelH);
    expect(d.resize?.scale).toBeGreaterThanOrEqual(0.5);
    expect(d.resize?.scale).toBeLessThanOrEqual(1.5);
    const before = tf.memory().numTensors;
    tf.dispose(applyDegradation(x, d));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sampleDegradation(rng, { ...DCKD_DEGRADATION, noiseProb: 2 }, 2)).toThrow(/degradation\.noiseProb must be in \[0, 1\] \(got 2\)/);
    tf.dispose([x, y, want]);
  });
});
