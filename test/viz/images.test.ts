import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { repositorySampleRoot } from '../../lib/data/data-root';
import { createImage } from '../../lib/data/image';
import { centreCrop, centreCropPair, exampleDataset, imageGrid, toRgbImages } from '../../lib/viz/images';
import { sharedPath } from '../shared';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function solid(h: number, w: number, rgb: [number, number, number]) {
  const img = createImage(h, w);
  for (let i = 0; i < h * w; i++) img.data.set(rgb, i * 3);
  return img;
}

describe('imageGrid', () => {
  it('lays images out in columns with gaps, zoom and captions', async () => {
    const a = solid(4, 4, [255, 0, 0]);
    const b = solid(4, 6, [0, 0, 255]);
    const png = await imageGrid([a, b, a], { labels: ['a', 'b', 'a'], columns: 2, zoom: 2, gap: 2, labelHeight: 10 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    // columns: 2+8+2+12+2 = 26 wide; rows: 2 + (8+10+2) + (8+10+2) = 42 high
    expect([info.width, info.height]).toEqual([26, 42]);
    const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    expect(px(2, 2)).toEqual([255, 0, 0]); // first cell, top-left
    expect(px(9, 9)).toEqual([255, 0, 0]); // first cell, bottom-right (zoomed 4 -> 8)
    expect(px(12, 2)).toEqual([0, 0, 255]); // second cell
    expect(px(0, 0)).toEqual([255, 255, 255]); // gap
    expect(px(2, 22)).toEqual([255, 0, 0]); // second row
  });

  it('splits tensors into their batch and quantises them', () => {
    const t = tf.tensor4d([0, 0.5, 1, 1.2, -1, 0.25], [2, 1, 1, 3]);
    const imgs = toRgbImages([t, tf.zeros([2, 2, 3]) as tf.Tensor3D]);
    expect(imgs.length).toBe(3);
    expect(Array.from(imgs[0].data)).toEqual([0, 128, 255]);
    expect(Array.from(imgs[1].data)).toEqual([255, 0, 64]);
    expect([imgs[2].height, imgs[2].width]).toEqual([2, 2]);
  });

  it('enlarges to minSide and rejects mismatched labels', async () => {
    const png = await imageGrid([solid(5, 3, [1, 2, 3])], { minSide: 20, gap: 0 });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([12, 20]);
    await expect(imageGrid([solid(2, 2, [0, 0, 0])], { labels: ['x', 'y'] })).rejects.toThrow(/2 labels for 1 images/);
  });
});

describe('exampleDataset / centreCrop', () => {
  it('falls back to the synthetic set when neither the data root nor the sample root has the set', () => {
    const lines: string[] = [];
    const ds = exampleDataset(2, { root: '/nonexistent-srkd-root', sampleRoot: null, log: (l) => lines.push(l) });
    expect(ds.kind).toBe('synthetic');
    expect(lines[0]).toMatch(/no Set5 under \/nonexistent-srkd-root/);
    const more: string[] = [];
    expect(exampleDataset(2, { root: '/nonexistent-srkd-root', sampleRoot: '/nonexistent-sample', log: (l) => more.push(l) }).kind).toBe('synthetic');
    expect(more[0]).toMatch(/nor under \/nonexistent-sample; using the embedded synthetic set/);
  });

  it('finds Set5 in a data root laid out as <root>/benchmark/Set5', async () => {
    const ds = exampleDataset(2, { root: sharedPath('data'), sampleRoot: null, log: () => {} });
    expect(ds.id).toBe('Set5-x2');
    expect(ds.pairs.map((p) => p.name)).toContain('butterfly');
  });

  it("falls back to the repository's Set5 (test/fixtures/data) when the data root has none", () => {
    expect(repositorySampleRoot()).toBe(sharedPath('data'));
    const lines: string[] = [];
    const ds = exampleDataset(3, { root: '/nonexistent-srkd-root', log: (l) => lines.push(l) });
    expect(ds.id).toBe('Set5-x3');
    expect(ds.pairs.map((p) => p.name)).toEqual(['baby', 'bird', 'butterfly', 'head', 'woman']);
    expect(lines).toEqual([expect.stringMatching(/^images: no Set5 under \/nonexistent-srkd-root .*; Set5-x3 from the repository's copy /)]);
  });

  it('crops the centre', () => {
    const img = createImage(4, 5, Uint8Array.from({ length: 60 }, (_, i) => i));
    const c = centreCrop(img, 2);
    expect(Array.from(c.data.subarray(0, 3))).toEqual(Array.from(img.data.subarray((1 * 5 + 1) * 3, (1 * 5 + 1) * 3 + 3)));
  });

  it('crops an LR/HR pair in register (odd margins included)', () => {
    const lr = createImage(5, 6, Uint8Array.from({ length: 90 }, (_, i) => i));
    const hr = createImage(10, 12, Uint8Array.from({ length: 360 }, (_, i) => i % 251));
    const c = centreCropPair({ lr, hr }, 2, 2); // LR margin 3 (odd): top 1, left 2 -> HR top 2, left 4
    expect([c.lr.height, c.hr.height]).toEqual([2, 4]);
    expect(c.lr.data[0]).toBe(lr.data[(1 * 6 + 2) * 3]);
    expect(c.hr.data[0]).toBe(hr.data[(2 * 12 + 4) * 3]);
  });
});
