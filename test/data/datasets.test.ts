import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDataset } from '../../lib/data/datasets';
import { readImage } from '../../lib/data/decode';
import { lrCachePath } from '../../lib/data/lr-cache';
import { SYNTHETIC_SIZE, syntheticDataset, syntheticHr } from '../../lib/data/synthetic';
import { checkDataRoot } from '../../lib/data/data-check';
import { sharedPath } from '../shared';

const SET5 = sharedPath('data/benchmark/Set5');
const tmpRoots: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-datasets-'));
  tmpRoots.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function copy(src: string, dst: string): void {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.copyFileSync(src, dst);
  fs.chmodSync(dst, 0o644);
}

/** A DIV2K-shaped root whose images are Set5 files: 0001 = bird, 0002 = head (train), 0801 = woman (valid). */
function div2kRoot(scales: number[] = [2]): string {
  const root = tmpDir();
  const map: [string, string, 'train' | 'valid'][] = [['0001', 'bird', 'train'], ['0002', 'head', 'train'], ['0801', 'woman', 'valid']];
  for (const [id, name, split] of map) {
    copy(path.join(SET5, 'HR', `${name}.png`), path.join(root, `DIV2K_${split}_HR`, `${id}.png`));
    for (const s of scales) {
      copy(path.join(SET5, 'LR_bicubic', `X${s}`, `${name}x${s}.png`), path.join(root, `DIV2K_${split}_LR_bicubic`, `X${s}`, `${id}x${s}.png`));
    }
  }
  return root;
}

function sameImage(a: { data: Uint8Array; height: number; width: number }, b: { data: Uint8Array; height: number; width: number }): boolean {
  return a.height === b.height && a.width === b.width && Buffer.compare(Buffer.from(a.data), Buffer.from(b.data)) === 0;
}

describe('benchmark layout', () => {
  it('opens Set5 from the shared data and mod-crops HR (baby 512 -> 510 at x3)', async () => {
    const ds = openDataset({ kind: 'benchmark', root: sharedPath('data/benchmark'), set: 'Set5', scale: 3 });
    expect(ds.id).toBe('Set5-x3');
    expect(ds.pairs.map((p) => p.name)).toEqual(['baby', 'bird', 'butterfly', 'head', 'woman']);
    expect(ds.pairs[0].lrPath).toBe(path.join(SET5, 'LR_bicubic', 'X3', 'babyx3.png'));
    const { lr, hr } = await ds.pairs[0].load();
    expect([hr.height, hr.width]).toEqual([510, 510]);
    expect([lr.height, lr.width]).toEqual([170, 170]);
  });

  it('accepts the data root that contains benchmark/', () => {
    const ds = openDataset({ kind: 'benchmark', root: sharedPath('data'), set: 'Set5', scale: 4 });
    expect(ds.pairs).toHaveLength(5);
  });

  it('names a missing set folder', () => {
    expect(() => openDataset({ kind: 'benchmark', root: sharedPath('data/benchmark'), set: 'Nope', scale: 2 })).toThrow(/Nope/);
  });
});

describe('DIV2K / DF2K layouts', () => {
  it('lists train and valid pairs and loads them', async () => {
    const root = div2kRoot();
    const train = openDataset({ kind: 'div2k', root, scale: 2, split: 'train' });
    expect(train.id).toBe('DIV2K-train-x2');
    expect(train.pairs.map((p) => p.name)).toEqual(['0001', '0002']);
    expect(train.pairs[1].lrPath).toBe(path.join(root, 'DIV2K_train_LR_bicubic', 'X2', '0002x2.png'));
    const valid = openDataset({ kind: 'div2k', root, scale: 2, split: 'valid' });
    expect(valid.pairs.map((p) => p.name)).toEqual(['0801']);
    const { lr, hr } = await train.pairs[0].load();
    expect([hr.height, hr.width]).toEqual([lr.height * 2, lr.width * 2]);
    expect(sameImage(lr, await readImage(path.join(SET5, 'LR_bicubic/X2/birdx2.png')))).toBe(true);
  });

  it('DF2K = DIV2K train + Flickr2K', () => {
    const root = div2kRoot();
    copy(path.join(SET5, 'HR', 'baby.png'), path.join(root, 'Flickr2K_HR', '000001.png'));
    copy(path.join(SET5, 'LR_bicubic/X2/babyx2.png'), path.join(root, 'Flickr2K_LR_bicubic', 'X2', '000001x2.png'));
    const ds = openDataset({ kind: 'df2k', root, scale: 2 });
    expect(ds.pairs.map((p) => p.name)).toEqual(['0001', '0002', '000001']);
    expect(openDataset({ kind: 'df2k', root, scale: 2, split: 'valid' }).pairs.map((p) => p.name)).toEqual(['0801']);
  });

  it('errors name the missing LR file, the empty or missing folder, and the mismatched files', async () => {
    const root = div2kRoot();
    const lr2 = path.join(root, 'DIV2K_train_LR_bicubic', 'X2', '0002x2.png');
    fs.rmSync(lr2);
    expect(() => openDataset({ kind: 'div2k', root, scale: 2 })).toThrow(lr2);
    // the LR folder of another scale does not exist
    expect(() => openDataset({ kind: 'div2k', root, scale: 4 })).toThrow(path.join(root, 'DIV2K_train_LR_bicubic', 'X4'));
    // size mismatch: an x3 LR image stored as x2
    copy(path.join(SET5, 'LR_bicubic/X3/headx3.png'), lr2);
    const ds = openDataset({ kind: 'div2k', root, scale: 2 });
    const err = await ds.pairs[1].load().then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/size mismatch/);
    expect(err?.message).toContain(lr2);
    expect(err?.message).toContain(path.join(root, 'DIV2K_train_HR', '0002.png'));
    // empty HR folder
    const empty = tmpDir();
    fs.mkdirSync(path.join(empty, 'DIV2K_train_HR'));
    fs.mkdirSync(path.join(empty, 'DIV2K_train_LR_bicubic', 'X2'), { recursive: true });
    expect(() => openDataset({ kind: 'div2k', root: empty, scale: 2 })).toThrow(`no images found in ${path.join(empty, 'DIV2K_train_HR')}`);
    // no DIV2K at all
    expect(() => openDataset({ kind: 'div2k', root: tmpDir(), scale: 2 })).toThrow(/DIV2K_train_HR does not exist/);
  });

  it('limit keeps the first pairs', () => {
    const ds = openDataset({ kind: 'div2k', root: div2kRoot(), scale: 2, limit: 1 });
    expect(ds.pairs.map((p) => p.name)).toEqual(['0001']);
  });
});

describe('pixel cache', () => {
  it('stores decoded pairs as raw files and serves identical pixels; a changed source gets a new entry', async () => {
    const root = div2kRoot();
    const cache = path.join(tmpDir(), 'pix');
    const plain = openDataset({ kind: 'div2k', root, scale: 2 });
    const cached = openDataset({ kind: 'div2k', root, scale: 2, pixelCacheDir: cache });
    const ref = await plain.pairs[0].load();
    const first = await cached.pairs[0].load();
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.pix'))).toHaveLength(1);
    const second = await cached.pairs[0].load(); // from the raw file
    for (const p of [first, second]) {
      expect(sameImage(p.hr, ref.hr)).toBe(true);
      expect(sameImage(p.lr, ref.lr)).toBe(true);
    }
    fs.utimesSync(path.join(root, 'DIV2K_train_HR', '0001.png'), new Date(), new Date(Date.now() + 5000));
    await openDataset({ kind: 'div2k', root, scale: 2, pixelCacheDir: cache }).pairs[0].load();
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.pix'))).toHaveLength(2);
    // synthetic pairs have no files and pass through
    expect((await openDataset({ kind: 'synthetic', scale: 2, limit: 1, pixelCacheDir: cache }).pairs[0].load()).hr.height).toBe(192);
  });
});

describe('folder of HR images (LR made on the fly, cached on disk)', () => {
  it('makes the standard LR bit-exactly, caches it, and does not reuse a stale cache', async () => {
    const dir = tmpDir();
    const cacheDir = path.join(tmpDir(), 'lr');
    copy(path.join(SET5, 'HR', 'head.png'), path.join(dir, 'head.png'));
    copy(path.join(SET5, 'HR', 'baby.png'), path.join(dir, 'baby.png'));
    const ds = openDataset({ kind: 'folder', root: dir, scale: 3, cacheDir });
    expect(ds.pairs.map((p) => p.name)).toEqual(['baby', 'head']);
    const { lr, hr } = await ds.pairs[0].load();
    expect([hr.height, hr.width]).toEqual([510, 510]);
    expect(sameImage(lr, await readImage(path.join(SET5, 'LR_bicubic/X3/babyx3.png')))).toBe(true);
    const cached = lrCachePath(path.join(dir, 'baby.png'), 3, cacheDir);
    expect(fs.existsSync(cached)).toBe(true);
    expect(sameImage(await readImage(cached), lr)).toBe(true);
    // second load comes from the cache and is identical
    expect(sameImage((await ds.pairs[0].load()).lr, lr)).toBe(true);
    // replacing the HR file changes the key: the old LR is not used
    fs.rmSync(path.join(dir, 'baby.png'));
    copy(path.join(SET5, 'HR', 'head.png'), path.join(dir, 'baby.png'));
    fs.utimesSync(path.join(dir, 'baby.png'), new Date(), new Date(Date.now() + 5000));
    expect(lrCachePath(path.join(dir, 'baby.png'), 3, cacheDir)).not.toBe(cached);
    const again = await openDataset({ kind: 'folder', root: dir, scale: 3, cacheDir }).pairs[0].load();
    expect(sameImage(again.lr, await readImage(path.join(SET5, 'LR_bicubic/X3/headx3.png')))).toBe(true);
  });

  it('names an empty folder', () => {
    const dir = tmpDir();
    expect(() => openDataset({ kind: 'folder', root: dir, scale: 2 })).toThrow(dir);
  });

  it("benchmark with lr: 'generate' equals the stored LR files", async () => {
    const ds = openDataset({ kind: 'benchmark', root: sharedPath('data/benchmark'), set: 'Set5', scale: 4, lr: 'generate',
      cacheDir: path.join(tmpDir(), 'lr') });
    const { lr } = await ds.pairs[3].load();
    expect(sameImage(lr, await readImage(path.join(SET5, 'LR_bicubic/X4/headx4.png')))).toBe(true);
  });
});

describe('synthetic dataset', () => {
  it('is deterministic, 32 train + 8 valid, LR = HR / scale', async () => {
    const a = syntheticHr(3, 'train');
    const b = syntheticHr(3, 'train');
    expect(sameImage(a, b)).toBe(true);
    expect(sameImage(a, syntheticHr(3, 'valid'))).toBe(false);
    expect(sameImage(a, syntheticHr(4, 'train'))).toBe(false);
    expect(sameImage(a, syntheticHr(3, 'train', 1))).toBe(false);
    expect([a.height, a.width]).toEqual([SYNTHETIC_SIZE, SYNTHETIC_SIZE]);
    const train = openDataset({ kind: 'synthetic', scale: 4 });
    expect(train.pairs).toHaveLength(32);
    expect(openDataset({ kind: 'synthetic', scale: 4, split: 'valid' }).pairs).toHaveLength(8);
    const p = await train.pairs[3].load();
    expect(sameImage(p.hr, a)).toBe(true);
    expect([p.lr.height, p.lr.width]).toEqual([48, 48]);
    const again = await syntheticDataset({ scale: 4 }).pairs[3].load();
    expect(sameImage(again.lr, p.lr)).toBe(true);
  });

  it('has structure: many distinct colours, strong edges and flat areas', () => {
    const img = syntheticHr(0, 'train');
    const colours = new Set<number>();
    let strong = 0;
    let flat = 0;
    const d = img.data;
    for (let i = 0; i < d.length - 3; i += 3) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      const diff = Math.abs(d[i] - d[i + 3]) + Math.abs(d[i + 1] - d[i + 4]) + Math.abs(d[i + 2] - d[i + 5]);
      if (diff > 120) strong++;
      if (diff < 6) flat++;
    }
    expect(colours.size).toBeGreaterThan(500);
    expect(strong).toBeGreaterThan(100);
    expect(flat).toBeGreaterThan(1000);
  });
});

describe('data check', () => {
  it('counts HR and LR images per layout', () => {
    const root = div2kRoot([2, 3, 4]);
    const rows = checkDataRoot(root);
    const train = rows.find((r) => r.name === 'DIV2K train');
    expect(train?.hr).toBe(2);
    expect(train?.status).toBe('partial'); // 2 of 800
    expect(train?.lr.x3.present).toBe(2);
    expect(rows.find((r) => r.name === 'Set5')?.status).toBe('absent');
    const shared = checkDataRoot(sharedPath('data')).find((r) => r.name === 'Set5');
    expect(shared?.status).toBe('complete');
  });
});
