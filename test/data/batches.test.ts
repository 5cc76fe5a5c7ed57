import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BatchStream, epochOrder, type BatchRecord, type BatchStreamState } from '../../lib/data/batches';
import type { Dataset, DatasetPair } from '../../lib/data/datasets';
import { createImage, cropImage, type RgbImage } from '../../lib/data/image';
import { applyDihedral, cutPatchPair, planPatch, writePatchFloat, type Dihedral } from '../../lib/data/patches';
import { openDataset } from '../../lib/data/datasets';
import { WorkerBatchStream } from '../../lib/data/worker-batches';
import { Rng } from '../../lib/util/rng';
import type { Scale } from '../../lib/types';

function randomImage(rng: Rng, h: number, w: number): RgbImage {
  const img = createImage(h, w);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.int(256);
  return img;
}

function nearestUp(img: RgbImage, s: number): RgbImage {
  const out = createImage(img.height * s, img.width * s);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const src = (Math.floor(y / s) * img.width + Math.floor(x / s)) * 3;
      out.data.set(img.data.subarray(src, src + 3), (y * out.width + x) * 3);
    }
  }
  return out;
}

/** Pairs with random LR of different sizes and HR = nearest-neighbour upsample of LR: any misaligned crop shows. */
function nearestDataset(n: number, scale: Scale, seed = 1): Dataset & { loads: number[] } {
  const rng = new Rng(seed);
  const loads: number[] = [];
  const pairs: DatasetPair[] = [];
  for (let i = 0; i < n; i++) {
    const lr = randomImage(rng, 20 + rng.int(12), 20 + rng.int(12));
    const hr = nearestUp(lr, scale);
    pairs.push({ name: `p${i}`, hrPath: null, lrPath: null, load: async () => (loads.push(i), { lr, hr }) });
  }
  return { id: `nearest-x${scale}`, kind: 'synthetic', scale, split: 'train', pairs, loads };
}

const OPS: Dihedral[] = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => ({ hflip: (k & 1) > 0, vflip: (k & 2) > 0, transpose: (k & 4) > 0 }));

function floatsToImage(f: Float32Array, offset: number, h: number, w: number): RgbImage {
  return createImage(h, w, Uint8Array.from(f.subarray(offset, offset + h * w * 3), (v) => Math.round(v * 255)));
}

describe('patches', () => {
  it('writePatchFloat = crop then applyDihedral, for all 8 ops', () => {
    const img = randomImage(new Rng(3), 13, 17);
    for (const op of OPS) {
      const f = new Float32Array(5 + 6 * 6 * 3);
      writePatchFloat(img, 4, 9, 6, op, f, 5);
      expect(Array.from(floatsToImage(f, 5, 6, 6).data)).toEqual(Array.from(applyDihedral(cropImage(img, 4, 9, 6, 6), op).data));
    }
  });

  it('applyDihedral: hflip/vflip/transpose are what they say, and the 8 ops are distinct', () => {
    const img = createImage(2, 3, Uint8Array.from({ length: 18 }, (_, i) => i));
    const px = (im: RgbImage, y: number, x: number): number => im.data[(y * im.width + x) * 3];
    const h = applyDihedral(img, { hflip: true, vflip: false, transpose: false });
    expect(px(h, 0, 0)).toBe(px(img, 0, 2));
    const v = applyDihedral(img, { hflip: false, vflip: true, transpose: false });
    expect(px(v, 0, 0)).toBe(px(img, 1, 0));
    const t = applyDihedral(img, { hflip: false, vflip: false, transpose: true });
    expect([t.height, t.width]).toEqual([3, 2]);
    expect(px(t, 2, 1)).toBe(px(img, 1, 2));
    const sq = randomImage(new Rng(4), 4, 4);
    expect(new Set(OPS.map((op) => Buffer.from(applyDihedral(sq, op).data).toString('hex'))).size).toBe(8);
  });

  it('cutPatchPair keeps LR/HR aligned under every op', () => {
    const rng = new Rng(5);
    const lr = randomImage(rng, 30, 25);
    const pair = { lr, hr: nearestUp(lr, 3) };
    for (let k = 0; k < 20; k++) {
      const plan = planPatch(0, rng, true);
      const cut = cutPatchPair(pair, plan, 3, 8);
      expect(Array.from(cut.hr.data)).toEqual(Array.from(nearestUp(cut.lr, 3).data));
    }
  });
});

describe('batch stream', () => {
  it('batches are aligned (HR patch = nearest-upsample of LR patch) with dihedral augmentation', async () => {
    const ds = nearestDataset(7, 2);
    const stream = new BatchStream(ds, { batchSize: 5, patchSizeLr: 12, seed: 11, prefetch: 2 });
    for (let b = 0; b < 4; b++) {
      const r = await stream.nextRecord();
      expect(r.lrShape).toEqual([5, 12, 12, 3]);
      expect(r.hrShape).toEqual([5, 24, 24, 3]);
      for (let k = 0; k < 5; k++) {
        const lr = floatsToImage(r.lr, k * 12 * 12 * 3, 12, 12);
        const hr = floatsToImage(r.hr, k * 24 * 24 * 3, 24, 24);
        expect(Buffer.compare(Buffer.from(hr.data), Buffer.from(nearestUp(lr, 2).data))).toBe(0);
      }
    }
    stream.close();
  });

  it('augmentation actually flips: a patch of a pair is not always in the original orientation', async () => {
    // one 12x12 LR image, patch = whole image: the only variation is the dihedral op
    const rng = new Rng(8);
    const lr = randomImage(rng, 12, 12);
    const ds: Dataset = { id: 'one', kind: 'synthetic', scale: 2, split: 'train',
      pairs: [{ name: 'one', hrPath: null, lrPath: null, load: async () => ({ lr, hr: nearestUp(lr, 2) }) }] };
    const seen = new Set<string>();
    const stream = new BatchStream(ds, { batchSize: 16, patchSizeLr: 12, seed: 1 });
    const r = await stream.nextRecord();
    for (let k = 0; k < 16; k++) seen.add(Buffer.from(floatsToImage(r.lr, k * 432, 12, 12).data).toString('hex'));
    expect(seen.size).toBeGreaterThan(4);
    const flat = new BatchStream(ds, { batchSize: 4, patchSizeLr: 12, seed: 1, augment: false });
    const f = await flat.nextRecord();
    expect(Array.from(floatsToImage(f.lr, 432, 12, 12).data)).toEqual(Array.from(lr.data));
  });

  it('each epoch visits every pair once, in a seeded order', async () => {
    const ds = nearestDataset(6, 2);
    const stream = new BatchStream(ds, { batchSize: 3, patchSizeLr: 8, seed: 5, prefetch: 0 });
    const idx: number[] = [];
    for (let b = 0; b < 4; b++) idx.push(...(await stream.nextRecord()).indices);
    expect([...idx.slice(0, 6)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([...idx.slice(6, 12)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(idx.slice(0, 6)).toEqual(Array.from(epochOrder(5, 0, 6)));
    expect(idx.slice(0, 6)).not.toEqual(idx.slice(6, 12));
  });

  it('save/restore of state() reproduces the same batches, across epochs and with prefetch', async () => {
    const ds = nearestDataset(5, 3);
    const opts = { batchSize: 4, patchSizeLr: 10, seed: 123, prefetch: 3 };
    const a = new BatchStream(ds, opts);
    for (let i = 0; i < 3; i++) await a.nextRecord();
    const saved: BatchStreamState = JSON.parse(JSON.stringify(a.state()));
    expect(saved.batches).toBe(3);
    const rest: BatchRecord[] = [];
    for (let i = 0; i < 4; i++) rest.push(await a.nextRecord());
    const b = new BatchStream(ds, { ...opts, prefetch: 1 }, saved);
    for (let i = 0; i < 4; i++) {
      const r = await b.nextRecord();
      expect(r.indices).toEqual(rest[i].indices);
      expect(Buffer.compare(Buffer.from(r.lr.buffer), Buffer.from(rest[i].lr.buffer))).toBe(0);
      expect(Buffer.compare(Buffer.from(r.hr.buffer), Buffer.from(rest[i].hr.buffer))).toBe(0);
    }
    // the same seed from scratch gives the same first batches; another seed does not
    const c = new BatchStream(ds, opts);
    const d = new BatchStream(ds, { ...opts, seed: 124 });
    const [c1, d1] = [await c.nextRecord(), await d.nextRecord()];
    const a2 = new BatchStream(ds, opts);
    expect(Buffer.compare(Buffer.from(c1.lr.buffer), Buffer.from((await a2.nextRecord()).lr.buffer))).toBe(0);
    expect(Buffer.compare(Buffer.from(c1.lr.buffer), Buffer.from(d1.lr.buffer))).not.toBe(0);
    expect(() => new BatchStream(ds, { ...opts, seed: 1 }, saved)).toThrow(/seed/);
  });

  it('next() gives SRBatch tensors; stats() reports waiting; the cache loads each pair once', async () => {
    const ds = nearestDataset(4, 2);
    const stream = new BatchStream(ds, { batchSize: 2, patchSizeLr: 8, seed: 0 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 6; i++) {
      const batch = await stream.next();
      expect(batch.lr.shape).toEqual([2, 8, 8, 3]);
      expect(batch.hr.shape).toEqual([2, 16, 16, 3]);
      tf.dispose(batch);
    }
    expect(tf.memory().numTensors).toBe(before);
    const s = stream.stats();
    expect(s.batches).toBe(6);
    expect(s.waitFraction).toBeGreaterThanOrEqual(0);
    expect(s.waitFraction).toBeLessThanOrEqual(1);
    expect(s.cacheMisses).toBe(4);
    expect(new Set(ds.loads).size).toBe(4);
    expect(ds.loads).toHaveLength(4);
    stream.close();
  });

  it('a tiny cache budget still works (evicts and reloads)', async () => {
    const ds = nearestDataset(4, 2);
    const stream = new BatchStream(ds, { batchSize: 2, patchSizeLr: 8, seed: 0, cacheBytes: 1 });
    for (let i = 0; i < 6; i++) await stream.nextRecord();
    expect(ds.loads.length).toBeGreaterThan(4);
    expect(stream.stats().cacheEntries).toBeLessThanOrEqual(2);
  });

  it('an LR image smaller than the patch is an error naming the pair', async () => {
    const ds = openDataset({ kind: 'synthetic', scale: 4, limit: 2 });
    const stream = new BatchStream(ds, { batchSize: 1, patchSizeLr: 64, seed: 0, prefetch: 0 });
    await expect(stream.nextRecord()).rejects.toThrow(/synthetic-train-00\d.*smaller than the 64x64 patch/);
  });

  it('runs on the synthetic set with the paper patch size', async () => {
    const ds = openDataset({ kind: 'synthetic', scale: 2 });
    const stream = new BatchStream(ds, { batchSize: 16, patchSizeLr: 48, seed: 0 });
    const r = await stream.nextRecord();
    expect(r.hrShape).toEqual([16, 96, 96, 3]);
    let mn = 1, mx = 0;
    for (const v of r.hr) { mn = Math.min(mn, v); mx = Math.max(mx, v); }
    expect(mn).toBeGreaterThanOrEqual(0);
    expect(mx).toBeLessThanOrEqual(1);
    stream.close();
  });
});

describe('worker batch stream', () => {
  it('yields the same batches as the in-thread stream, resumes from state(), and reports errors', async () => {
    const spec = { kind: 'synthetic', scale: 2, limit: 5 } as const;
    const opts = { batchSize: 3, patchSizeLr: 16, seed: 9, prefetch: 2 };
    const local = new BatchStream(openDataset(spec), opts);
    const ref: BatchRecord[] = [];
    for (let i = 0; i < 5; i++) ref.push(await local.nextRecord());
    local.close();
    const w = new WorkerBatchStream(spec, opts);
    try {
      await w.ready();
      expect(w.state().batches).toBe(0);
      for (let i = 0; i < 2; i++) {
        const r = await w.nextRecord();
        expect(r.indices).toEqual(ref[i].indices);
        expect(Buffer.compare(Buffer.from(r.hr.buffer), Buffer.from(ref[i].hr.buffer))).toBe(0);
      }
      const saved = w.state();
      expect(saved.batches).toBe(2);
      const resumed = new WorkerBatchStream(spec, opts, JSON.parse(JSON.stringify(saved)));
      try {
        for (let i = 2; i < 5; i++) {
          const batch = await resumed.next();
          expect(batch.lr.shape).toEqual([3, 16, 16, 3]);
          expect(Buffer.compare(Buffer.from((await batch.hr.data()).buffer), Buffer.from(ref[i].hr.buffer))).toBe(0);
          tf.dispose(batch);
        }
        expect(resumed.stats().batches).toBe(3);
      } finally {
        await resumed.close();
      }
    } finally {
      await w.close();
    }
    const bad = new WorkerBatchStream({ kind: 'div2k', root: '/nonexistent-srkd-root', scale: 2 }, opts);
    await expect(bad.ready()).rejects.toThrow(/nonexistent-srkd-root/);
    await bad.close();
  });
});
