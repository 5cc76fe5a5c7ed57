/**
 * Image grids for notebooks: several images (8-bit `RgbImage`s or NHWC [0,1] tensors) laid out in one PNG
 * (via sharp), each optionally enlarged with nearest-neighbour sampling (so 8-48 px tiles stay visible) and
 * captioned below. The result is PNG bytes: `nb.show(await imageGrid(images, { labels }))`.
 *
 * Also: `exampleDataset` (a benchmark set from the data root, else the repository's copy of Set5/Set14, else the
 * embedded synthetic set) and `centreCrop`, the real images notebooks show.
 *
 * Captions are SVG text rendered by sharp's librsvg; on a machine without fonts they come out blank (no error).
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { defaultDataRoot, repositorySampleRoot } from '../data/data-root';
import { type Dataset, openDataset } from '../data/datasets';
import { cropImage, type RgbImage, tensorToImages } from '../data/image';
import { syntheticDataset } from '../data/synthetic';
import type { Scale } from '../types';

/** What a grid cell may be: an 8-bit image, or a float [0,1] tensor [H,W,3] or [N,H,W,3] (every image of the batch). */
export type GridImage = RgbImage | tf.Tensor3D | tf.Tensor4D;

export interface ImageGridOptions {
  /** One caption per image (after tensors are split into their batch). */
  readonly labels?: readonly string[];
  /** Images per row (default: all in one row, at most 8). */
  readonly columns?: number;
  /** Integer nearest-neighbour enlargement of every image (default 1). */
  readonly zoom?: number;
  /** Or: enlarge each image (integer factor, nearest) until its longer side is at least this many pixels. */
  readonly minSide?: number;
  /** Pixels between cells (default 6). */
  readonly gap?: number;
  /** Caption strip height in pixels (default 18 when there are labels, else 0). */
  readonly labelHeight?: number;
  /** Caption font size in pixels (default 12). */
  readonly fontSize?: number;
}

/** Flattens the inputs to 8-bit images (tensors are clamped and quantised like BasicSR's tensor2img). */
export function toRgbImages(images: readonly GridImage[]): RgbImage[] {
  const out: RgbImage[] = [];
  for (const im of images) {
    if (im instanceof tf.Tensor) {
      if (im.rank === 3) out.push(...tf.tidy(() => tensorToImages(tf.expandDims(im, 0) as tf.Tensor4D)));
      else if (im.rank === 4) out.push(...tensorToImages(im as tf.Tensor4D));
      else throw new Error(`imageGrid: a tensor must be [H,W,3] or [N,H,W,3] (got [${im.shape.join(', ')}])`);
    } else {
      out.push(im);
    }
  }
  return out;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** Nearest-neighbour integer enlargement. */
function enlarge(img: RgbImage, k: number): RgbImage {
  if (k === 1) return img;
  const h = img.height * k;
  const w = img.width * k;
  const data = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / k);
    for (let x = 0; x < w; x++) {
      const s = (sy * img.width + Math.floor(x / k)) * 3;
      const d = (y * w + x) * 3;
      data[d] = img.data[s];
      data[d + 1] = img.data[s + 1];
      data[d + 2] = img.data[s + 2];
    }
  }
  return { data, height: h, width: w, channels: 3 };
}

/** The images in a grid on a white background, captions below each; PNG bytes. */
export async function imageGrid(images: readonly GridImage[], opts: ImageGridOptions = {}): Promise<Buffer> {
  const imgs = toRgbImages(images);
  if (imgs.length === 0) throw new Error('imageGrid needs at least one image');
  const labels = opts.labels ?? [];
  if (labels.length > 0 && labels.length !== imgs.length) {
    throw new Error(`imageGrid: ${labels.length} labels for ${imgs.length} images`);
  }
  const zoomOf = (im: RgbImage): number => {
    if (opts.minSide !== undefined) return Math.max(1, Math.ceil(opts.minSide / Math.max(im.height, im.width)));
    const z = opts.zoom ?? 1;
    if (!Number.isInteger(z) || z < 1) throw new Error(`imageGrid: zoom must be a positive integer (got ${z})`);
    return z;
  };
  const cells = imgs.map((im) => enlarge(im, zoomOf(im)));
  const columns = Math.max(1, Math.min(opts.columns ?? Math.min(8, cells.length), cells.length));
  const rows = Math.ceil(cells.length / columns);
  const gap = opts.gap ?? 6;
  const labelH = opts.labelHeight ?? (labels.length > 0 ? 18 : 0);
  const fontSize = opts.fontSize ?? 12;
  const colW = Array.from({ length: columns }, (_, c) => Math.max(0, ...cells.filter((_, i) => i % columns === c).map((m) => m.width)));
  const rowH = Array.from({ length: rows }, (_, r) => Math.max(0, ...cells.slice(r * columns, (r + 1) * columns).map((m) => m.height)));
  const colX = colW.map((_, c) => gap + colW.slice(0, c).reduce((a, b) => a + b + gap, 0));
  const rowY = rowH.map((_, r) => gap + rowH.slice(0, r).reduce((a, b) => a + b + labelH + gap, 0));
  const width = colX[columns - 1] + colW[columns - 1] + gap;
  const height = rowY[rows - 1] + rowH[rows - 1] + labelH + gap;

  const composites: { input: Buffer; left: number; top: number; raw?: { width: number; height: number; channels: 3 } }[] = [];
  cells.forEach((m, i) => {
    const left = colX[i % columns];
    const top = rowY[Math.floor(i / columns)];
    composites.push({ input: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), left, top, raw: { width: m.width, height: m.height, channels: 3 } });
  });
  if (labels.length > 0 && labelH > 0) {
    const texts = labels.map((label, i) => {
      const x = colX[i % columns];
      const y = rowY[Math.floor(i / columns)] + rowH[Math.floor(i / columns)] + labelH - Math.max(3, Math.round((labelH - fontSize) / 2) + 2);
      return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#222">${escapeXml(label)}</text>`;
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${texts.join('')}</svg>`;
    composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(composites)
    .png()
    .toBuffer();
}

/**
 * Real images for a notebook: benchmark `set` (default Set5) under `root` (default the data root, env SRKD_DATA),
 * else under `sampleRoot` (default the repository's copy, test/fixtures/data; null: none), else the embedded
 * synthetic validation set. Says which on `log` (default stdout).
 */
export function exampleDataset(
  scale: Scale,
  opts: { readonly set?: string; readonly root?: string; readonly sampleRoot?: string | null; log?(line: string): void } = {},
): Dataset {
  const root = opts.root ?? defaultDataRoot();
  const sampleRoot = opts.sampleRoot === undefined ? repositorySampleRoot() : opts.sampleRoot;
  const set = opts.set ?? 'Set5';
  const log = opts.log ?? ((line: string) => console.log(line));
  const open = (dir: string): Dataset | string => {
    try {
      return openDataset({ kind: 'benchmark', root: dir, set, scale });
    } catch (err) {
      return (err as Error).message;
    }
  };
  const own = open(root);
  if (typeof own !== 'string') {
    log(`images: ${own.id} from ${root}`);
    return own;
  }
  const missing = `no ${set} under ${root} (${own})`;
  const sample = sampleRoot !== null && path.resolve(sampleRoot) !== path.resolve(root) ? open(sampleRoot) : null;
  if (sample !== null && typeof sample !== 'string') {
    log(`images: ${missing}; ${sample.id} from the repository's copy ${sampleRoot}`);
    return sample;
  }
  log(`images: ${missing}${typeof sample === 'string' ? ` nor under ${sampleRoot}` : ''}; using the embedded synthetic set`);
  return syntheticDataset({ scale, split: 'valid' });
}

/** The centred side x side window of `img` (top-left rounded down). */
export function centreCrop(img: RgbImage, side: number): RgbImage {
  return cropImage(img, Math.floor((img.height - side) / 2), Math.floor((img.width - side) / 2), side, side);
}

/** Aligned centre crops of an LR/HR pair: `lrSide` square LR and the `scale` times larger HR window over it. */
export function centreCropPair(pair: { readonly lr: RgbImage; readonly hr: RgbImage }, lrSide: number, scale: number): { lr: RgbImage; hr: RgbImage } {
  const top = Math.floor((pair.lr.height - lrSide) / 2);
  const left = Math.floor((pair.lr.width - lrSide) / 2);
  return {
    lr: cropImage(pair.lr, top, left, lrSide, lrSide),
    hr: cropImage(pair.hr, top * scale, left * scale, lrSide * scale, lrSide * scale),
  };
}
