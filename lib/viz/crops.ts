/**
 * Figure 6 style visual comparison: the same cropped regions of HR and of every method's output, side by side,
 * each crop captioned with its PSNR against the HR crop (Y channel, PAPER_Y, border = scale, so crops stay
 * comparable with the tables). One row per region, one column per image; the montage is PNG bytes (imageGrid,
 * via sharp): `nb.show((await cropMontage(hr, outputs, { scale })).png)`.
 *
 * Regions: given boxes, or `pickCrops` (the `count` most textured windows on a coarse grid, non-overlapping;
 * SR differences show on edges and texture, not on flat areas).
 */
import { createImage, cropImage, imageToTensor, quantizeUnit, type RgbImage } from '../data/image';
import { upscaleTiledData } from '../eval/tiled';
import { PAPER_Y, scorePair } from '../metrics/protocol';
import type { SRNet } from '../models/types';
import { imageGrid } from './images';

/** A square region of the HR image (HR pixel coordinates). */
export type CropBox = { readonly top: number; readonly left: number; readonly size: number };

export type CropScore = { readonly region: number; readonly box: CropBox; readonly image: string; readonly psnr: number; readonly ssim: number };

export interface CropMontageOptions {
  /** SR scale (border shaved by the PSNR, PAPER_Y). */
  readonly scale: number;
  /** Regions (default: pickCrops(hr, { count, size })). */
  readonly boxes?: readonly CropBox[];
  /** Number of auto-picked regions (default 2). */
  readonly count?: number;
  /** Side of auto-picked regions in HR pixels (default min(48, the image's shorter side)). */
  readonly size?: number;
  /** Longer side each crop is enlarged to at least (nearest neighbour; default 160). */
  readonly minSide?: number;
}

export type CropMontage = { readonly png: Uint8Array; readonly boxes: readonly CropBox[]; readonly scores: readonly CropScore[] };

/** Variance of the luma in a window (a texture measure). */
function lumaVariance(img: RgbImage, box: CropBox): number {
  let s = 0;
  let s2 = 0;
  const n = box.size * box.size;
  for (let y = box.top; y < box.top + box.size; y++) {
    for (let x = box.left; x < box.left + box.size; x++) {
      const i = (y * img.width + x) * 3;
      const v = 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
      s += v;
      s2 += v * v;
    }
  }
  return s2 / n - (s / n) ** 2;
}

/** The `count` most textured non-overlapping `size`-pixel windows on a half-window grid, best first. */
export function pickCrops(img: RgbImage, opts: { readonly count?: number; readonly size?: number } = {}): CropBox[] {
  const size = Math.min(opts.size ?? 48, img.height, img.width);
  const count = opts.count ?? 2;
  const step = Math.max(1, Math.floor(size / 2));
  const cands: { box: CropBox; v: number }[] = [];
  for (let top = 0; top + size <= img.height; top += step) {
    for (let left = 0; left + size <= img.width; left += step) cands.push({ box: { top, left, size }, v: lumaVariance(img, { top, left, size }) });
  }
  cands.sort((a, b) => b.v - a.v);
  const out: CropBox[] = [];
  const overlaps = (a: CropBox, b: CropBox): boolean =>
    a.top < b.top + b.size && b.top < a.top + a.size && a.left < b.left + b.size && b.left < a.left + a.size;
  for (const c of cands) {
    if (out.length >= count) break;
    if (!out.some((o) => overlaps(o, c.box))) out.push(c.box);
  }
  return out;
}

/** Per-crop PSNR/SSIM of every output against the HR crop (PAPER_Y). */
export function cropScores(hr: RgbImage, outputs: readonly { readonly label: string; readonly image: RgbImage }[], boxes: readonly CropBox[], scale: number): CropScore[] {
  const out: CropScore[] = [];
  boxes.forEach((box, region) => {
    const ref = cropImage(hr, box.top, box.left, box.size, box.size);
    for (const o of outputs) {
      if (o.image.height !== hr.height || o.image.width !== hr.width) {
        throw new Error(`cropScores: ${o.label} is ${o.image.height}x${o.image.width}, HR ${hr.height}x${hr.width}`);
      }
      const s = scorePair(cropImage(o.image, box.top, box.left, box.size, box.size), ref, scale, PAPER_Y);
      out.push({ region, box, image: o.label, psnr: s.psnr, ssim: s.ssim });
    }
  });
  return out;
}

/** The montage (rows = regions; columns = HR, then each output with its crop PSNR) and the scores. */
export async function cropMontage(hr: RgbImage, outputs: readonly { readonly label: string; readonly image: RgbImage }[], opts: CropMontageOptions): Promise<CropMontage> {
  const boxes = opts.boxes ?? pickCrops(hr, { count: opts.count, size: opts.size });
  if (boxes.length === 0) throw new Error('cropMontage: no regions');
  const scores = cropScores(hr, outputs, boxes, opts.scale);
  const images: RgbImage[] = [];
  const labels: string[] = [];
  boxes.forEach((box, region) => {
    images.push(cropImage(hr, box.top, box.left, box.size, box.size));
    labels.push(`HR (${box.left},${box.top})`);
    for (const o of outputs) {
      images.push(cropImage(o.image, box.top, box.left, box.size, box.size));
      const s = scores.find((x) => x.region === region && x.image === o.label) as CropScore;
      labels.push(`${o.label} ${s.psnr.toFixed(2)} dB`);
    }
  });
  const png = await imageGrid(images, { labels, columns: outputs.length + 1, minSide: opts.minSide ?? 160 });
  return { png, boxes, scores };
}

/** A net's 8-bit output for one LR image (whole image, no tiling; no tensors left behind). */
export async function upscaleImage(net: SRNet, lr: RgbImage): Promise<RgbImage> {
  const x = imageToTensor(lr);
  try {
    const y = await upscaleTiledData(net, x, { tile: 0 });
    return createImage(y.height, y.width, quantizeUnit(y.data));
  } finally {
    x.dispose();
  }
}
