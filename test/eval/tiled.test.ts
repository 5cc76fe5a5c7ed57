import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';
import { effectiveTile, exactOverlap, planTiles, tileSpans, upscaleTiled, upscaleTiledData } from '../../lib/eval/tiled';

const EDSR: ArchConfig = { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 };
const RCAN: ArchConfig = { arch: 'rcan', feats: 4, groups: 1, blocks: 1, reduction: 2, resScale: 1 };
const SWIN: ArchConfig = {
  arch: 'swinir', embedDim: 4, depths: [2], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4,
};

beforeAll(async () => {
  await initBackend({ backend: 'cpu', announce: false });
});

const nets: SRNet[] = [];
function net(arch: ArchConfig, scale: Scale): SRNet {
  const n = buildModel(arch, scale, { seed: 1 });
  nets.push(n);
  return n;
}
afterAll(() => nets.forEach((n) => n.dispose()));

function randomLr(h: number, w: number, seed = 3): tf.Tensor4D {
  return tf.randomUniform([1, h, w, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

/** untiled forward, disposing the output tensor */
function reference(n: SRNet, lr: tf.Tensor4D): Float32Array {
  const out = tf.tidy(() => n.forward(lr).out);
  const v = out.dataSync().slice() as Float32Array;
  out.dispose();
  return v;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('tileSpans', () => {
  it.each([
    [100, 32, 4],
    [100, 32, 0],
    [33, 32, 4],
    [64, 32, 8],
    [65, 16, 7],
    [7, 16, 4],
    [200, 128, 16],
  ])('length %i, tile %i, overlap %i: kept parts tile the axis, each >= overlap from inner window edges', (len, tile, ov) => {
    const spans = tileSpans(len, tile, ov);
    expect(spans[0].keepStart).toBe(0);
    expect(spans[spans.length - 1].keepEnd).toBe(len);
    spans.forEach((s, i) => {
      expect(s.start).toBeGreaterThanOrEqual(0);
      expect(s.start + s.size).toBeLessThanOrEqual(len);
      expect(s.size).toBe(Math.min(tile, len));
      expect(s.keepEnd).toBeGreaterThan(s.keepStart);
      if (i > 0) {
        expect(s.keepStart).toBe(spans[i - 1].keepEnd);
        expect(s.keepStart - s.start).toBeGreaterThanOrEqual(ov);
      }
      if (i < spans.length - 1) expect(s.start + s.size - s.keepEnd).toBeGreaterThanOrEqual(ov);
    });
  });

  it('tile 0 or a tile larger than the axis gives one window', () => {
    expect(tileSpans(50, 0, 8)).toEqual([{ start: 0, size: 50, keepStart: 0, keepEnd: 50 }]);
    expect(tileSpans(50, 64, 8)).toEqual([{ start: 0, size: 50, keepStart: 0, keepEnd: 50 }]);
  });

  it('rejects an overlap of half the tile or more, and negative or fractional sizes', () => {
    expect(() => tileSpans(100, 16, 8)).toThrow(/less than half the tile/);
    expect(() => tileSpans(100, -1, 0)).toThrow(/tile must be a non-negative integer/);
    expect(() => tileSpans(100, 16, 1.5)).toThrow(/overlap must be a non-negative integer/);
  });

  it('SwinIR tiles are rounded down to a multiple of the window', () => {
    expect(effectiveTile(SWIN, 10)).toBe(8);
    expect(effectiveTile(SWIN, 3)).toBe(4);
    expect(effectiveTile(SWIN, 0)).toBe(0);
    expect(effectiveTile(EDSR, 10)).toBe(10);
    const plan = planTiles(30, 20, SWIN, { tile: 10, overlap: 2 });
    expect(plan.tile).toBe(8);
    expect(plan.rows.every((r) => r.size === 8)).toBe(true);
    expect(plan.count).toBe(plan.rows.length * plan.cols.length);
  });
});

describe('exactOverlap', () => {
  it('counts one LR pixel per conv for EDSR and is null for RCAN and SwinIR', () => {
    expect(exactOverlap(EDSR, 4)).toBe(7); // conv_first, 2 block convs, conv_after_body, 2 upsample convs, conv_last
    expect(exactOverlap(EDSR, 2)).toBe(6);
    expect(exactOverlap({ arch: 'edsr', feats: 64, blocks: 16, resScale: 1 }, 4)).toBe(37);
    expect(exactOverlap(RCAN, 4)).toBeNull();
    expect(exactOverlap(SWIN, 4)).toBeNull();
  });
});

describe('upscaleTiled', () => {
  it.each([2, 3, 4] as Scale[])('EDSR x%i: tiled equals untiled to 1e-5 once overlap >= exactOverlap', async (scale) => {
    const n = net(EDSR, scale);
    const lr = randomLr(37, 45);
    const ref = reference(n, lr);
    const ov = exactOverlap(EDSR, scale) as number;
    const tiled = await upscaleTiledData(n, lr, { tile: 2 * ov + 4, overlap: ov });
    expect(tiled.height).toBe(37 * scale);
    expect(tiled.width).toBe(45 * scale);
    expect(planTiles(37, 45, EDSR, { tile: 2 * ov + 4, overlap: ov }).count).toBeGreaterThan(9);
    expect(maxAbsDiff(tiled.data, ref)).toBeLessThan(1e-5);
    // too little overlap: the zero padding at the window edges shows
    const short = await upscaleTiledData(n, lr, { tile: 2 * ov + 4, overlap: 1 });
    expect(maxAbsDiff(short.data, ref)).toBeGreaterThan(1e-5);
    lr.dispose();
  });

  it('a tile covering the image (or tile 0) is exactly the untiled forward, for every arch', async () => {
    for (const arch of [EDSR, RCAN, SWIN]) {
      const n = net(arch, 2);
      const lr = randomLr(13, 18);
      const ref = reference(n, lr);
      expect((await upscaleTiledData(n, lr, { tile: 0 })).data).toEqual(ref);
      expect((await upscaleTiledData(n, lr, { tile: 32 })).data).toEqual(ref);
      lr.dispose();
    }
  });

  it('RCAN: channel attention pools the whole input, so small tiles only approximate it', async () => {
    const n = net(RCAN, 2);
    const lr = randomLr(24, 24);
    const ref = reference(n, lr);
    const tiled = await upscaleTiledData(n, lr, { tile: 16, overlap: 6 });
    const d = maxAbsDiff(tiled.data, ref);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.05);
    lr.dispose();
  });

  it('SwinIR: windows of a multiple of the window size, the last dimension padded by the model; right size, close', async () => {
    const n = net(SWIN, 2);
    const lr = randomLr(21, 19); // 19 columns < tile 20 -> padded by the model to 20
    const ref = reference(n, lr);
    const seen: [number, number][] = [];
    const tiled = await upscaleTiledData(n, lr, { tile: 10, overlap: 2, onTile: (d, t) => seen.push([d, t]) });
    expect(tiled.height).toBe(42);
    expect(tiled.width).toBe(38);
    const plan = planTiles(21, 19, SWIN, { tile: 10, overlap: 2 });
    expect(plan.tile).toBe(8);
    expect(seen).toEqual(Array.from({ length: plan.count + 1 }, (_, i) => [i, plan.count]));
    expect(tiled.data.every((v) => Number.isFinite(v))).toBe(true);
    expect(maxAbsDiff(tiled.data, ref)).toBeLessThan(0.2);
    lr.dispose();
  });

  it('leaks no tensors; upscaleTiled returns exactly one new tensor', async () => {
    for (const arch of [EDSR, RCAN, SWIN]) {
      const n = net(arch, 4);
      const lr = randomLr(20, 17);
      await upscaleTiledData(n, lr, { tile: 8, overlap: 2 }); // warm-up
      const before = tf.memory().numTensors;
      await upscaleTiledData(n, lr, { tile: 8, overlap: 2 });
      await upscaleTiledData(n, lr, { tile: 0 });
      expect(tf.memory().numTensors).toBe(before);
      const t = await upscaleTiled(n, lr, { tile: 8, overlap: 2 });
      expect(t.shape).toEqual([1, 80, 68, 3]);
      expect(tf.memory().numTensors).toBe(before + 1);
      t.dispose();
      lr.dispose();
    }
  });

  it('upscaleTiled output matches the data variant', async () => {
    const n = net(EDSR, 2);
    const lr = randomLr(15, 15);
    const t = await upscaleTiled(n, lr, { tile: 20 });
    expect(t.dataSync()).toEqual(reference(n, lr));
    t.dispose();
    lr.dispose();
  });

  it('rejects batches and non-RGB inputs', async () => {
    const n = net(EDSR, 2);
    const two = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const grey = tf.zeros([1, 8, 8, 1]) as tf.Tensor4D;
    await expect(upscaleTiledData(n, two)).rejects.toThrow(/batch of 1/);
    await expect(upscaleTiledData(n, grey)).rejects.toThrow(/3 channels/);
    tf.dispose([two, grey]);
  });
});
