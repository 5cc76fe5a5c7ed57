import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImage, type RgbImage } from '../../lib/data/image';
import { buildModel } from '../../lib/models/build';
import { cropMontage, cropScores, pickCrops, upscaleImage } from '../../lib/viz/crops';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Flat grey with a checkerboard in the square at (top, left) of side `side`. */
function flatWithTexture(h: number, w: number, top: number, left: number, side: number): RgbImage {
  const img = createImage(h, w);
  img.data.fill(128);
  for (let y = top; y < top + side; y++) for (let x = left; x < left + side; x++) img.data.fill((x + y) % 2 ? 250 : 5, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return img;
}

/** `img` with a deterministic +-amp perturbation. */
function perturbed(img: RgbImage, amp: number): RgbImage {
  const out = createImage(img.height, img.width, Uint8Array.from(img.data));
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.max(0, Math.min(255, out.data[i] + (((i * 7919) % 3) - 1) * amp));
  return out;
}

describe('pickCrops', () => {
  it('finds the textured window first and never overlaps', () => {
    const img = flatWithTexture(64, 64, 32, 32, 16);
    const boxes = pickCrops(img, { count: 3, size: 16 });
    expect(boxes).toHaveLength(3);
    expect(boxes[0]).toEqual({ top: 32, left: 32, size: 16 });
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a.top < b.top + b.size && b.top < a.top + a.size && a.left < b.left + b.size && b.left < a.left + a.size;
        expect(overlap).toBe(false);
      }
    }
  });

  it('clamps the window to the image', () => {
    expect(pickCrops(createImage(10, 20), { count: 1, size: 48 })[0].size).toBe(10);
  });
});

describe('cropScores and cropMontage', () => {
  const hr = flatWithTexture(32, 32, 8, 8, 16);
  const outputs = [
    { label: 'close', image: perturbed(hr, 2) },
    { label: 'far', image: perturbed(hr, 20) },
  ];

  it('scores each crop of each output against the HR crop', () => {
    const scores = cropScores(hr, outputs, [{ top: 8, left: 8, size: 16 }], 2);
    expect(scores.map((s) => s.image)).toEqual(['close', 'far']);
    expect(scores[0].psnr).toBeGreaterThan(scores[1].psnr);
    expect(scores[0].psnr).toBeGreaterThan(40);
  });

  it('rejects outputs of another size', () => {
    expect(() => cropScores(hr, [{ label: 'small', image: createImage(16, 16) }], [{ top: 0, left: 0, size: 8 }], 2)).toThrow(/small is 16x16/);
  });

  it('lays out one row per region and one column per image (HR first)', async () => {
    const m = await cropMontage(hr, outputs, { scale: 2, boxes: [{ top: 0, left: 0, size: 16 }, { top: 16, left: 16, size: 16 }], minSide: 32 });
    expect(m.scores).toHaveLength(4);
    const info = await sharp(Buffer.from(m.png)).metadata();
    // 3 columns of 32 px + 4 gaps of 6; 2 rows of (32 + 18 caption) + 3 gaps
    expect([info.width, info.height]).toEqual([3 * 32 + 4 * 6, 2 * (32 + 18) + 3 * 6]);
  });
});

describe('upscaleImage', () => {
  it('returns the net output as an image scale times larger, leaving no tensors', async () => {
    const net = buildModel({ arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, 2, { seed: 0 });
    const before = tf.memory().numTensors;
    const out = await upscaleImage(net, createImage(6, 5));
    expect([out.height, out.width]).toEqual([12, 10]);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
