/**
 * SYNTHETIC embedded dataset, for machines without DIV2K (smoke runs, tests, notebooks offline).
 *
 * The images are NOT photographs: each HR image is drawn procedurally from a seeded Rng (same seed ->
 * same pixels on every machine) with structure that matters for super-resolution: text-like glyph
 * strokes, straight lines at many angles, stripe and Siemens-star patterns, grids and checkerboards,
 * sharp-edged polygons, discs and rings, smooth linear/radial gradients, and multi-octave value-noise
 * textures with fine grain. Edges of shapes are anti-aliased from their signed distance; periodic patterns
 * are 4x4 supersampled. LR = MATLAB-exact uint8 bicubic down-scaling of the HR (lr-cache.ts `bicubicLr`).
 * Defaults: 32 train + 8 held-out ('valid') images of 192x192 (divisible by 2, 3 and 4, so no mod-crop;
 * LR is 48x48 at x4, enough for the default 48 px LR patch). Numbers obtained on it say nothing about
 * DIV2K or benchmark quality; use them to check that code runs and learns.
 */
import { Rng } from '../util/rng';
import type { Scale } from '../types';
import { createImage, cropImage, type RgbImage } from './image';
import { bicubicLr } from './lr-cache';
import type { Dataset, DatasetPair, DatasetSplit } from './datasets';

export const SYNTHETIC_SIZE = 192;
export const SYNTHETIC_COUNTS: Readonly<Record<DatasetSplit, number>> = { train: 32, valid: 8 };

type Rgb = [number, number, number];

class Canvas {
  readonly px: Float32Array;
  constructor(readonly size: number) {
    this.px = new Float32Array(size * size * 3);
  }
  blend(x: number, y: number, c: Rgb, a: number): void {
    if (a <= 0) return;
    const i = (y * this.size + x) * 3;
    const p = this.px;
    p[i] += (c[0] - p[i]) * a;
    p[i + 1] += (c[1] - p[i + 1]) * a;
    p[i + 2] += (c[2] - p[i + 2]) * a;
  }
  /** Paints `c` with coverage from a signed distance (pixels, negative inside), over a bounding box. */
  fillSdf(x0: number, y0: number, x1: number, y1: number, sdf: (x: number, y: number) => number, c: Rgb, opacity = 1): void {
    const n = this.size;
    const xa = Math.max(0, Math.floor(x0) - 1), xb = Math.min(n - 1, Math.ceil(x1) + 1);
    const ya = Math.max(0, Math.floor(y0) - 1), yb = Math.min(n - 1, Math.ceil(y1) + 1);
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const d = sdf(x + 0.5, y + 0.5);
        const cov = d <= -0.5 ? 1 : d >= 0.5 ? 0 : 0.5 - d;
        this.blend(x, y, c, cov * opacity);
      }
    }
  }
  /** Mixes colours a/b by a pattern in [0,1], 4x4 supersampled, inside a mask sdf (pixels). */
  fillPattern(x0: number, y0: number, x1: number, y1: number, mask: (x: number, y: number) => number,
    pattern: (x: number, y: number) => number, a: Rgb, b: Rgb): void {
    const n = this.size;
    const xa = Math.max(0, Math.floor(x0)), xb = Math.min(n - 1, Math.ceil(x1));
    const ya = Math.max(0, Math.floor(y0)), yb = Math.min(n - 1, Math.ceil(y1));
    const c: Rgb = [0, 0, 0];
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const d = mask(x + 0.5, y + 0.5);
        const cov = d <= -0.5 ? 1 : d >= 0.5 ? 0 : 0.5 - d;
        if (cov <= 0) continue;
        let t = 0;
        for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) t += pattern(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4);
        t /= 16;
        for (let k = 0; k < 3; k++) c[k] = a[k] + (b[k] - a[k]) * t;
        this.blend(x, y, c, cov);
      }
    }
  }
  toImage(): RgbImage {
    const img = createImage(this.size, this.size);
    for (let i = 0; i < this.px.length; i++) {
      const v = Math.round(this.px[i] * 255);
      img.data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    return img;
  }
}

function color(rng: Rng): Rgb {
  return [rng.next(), rng.next(), rng.next()];
}

function luma(c: Rgb): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** A colour whose luma differs from `from` by at least 0.35 (sharp, visible edges). */
function contrasting(rng: Rng, from: Rgb): Rgb {
  for (let i = 0; i < 16; i++) {
    const c = color(rng);
    if (Math.abs(luma(c) - luma(from)) >= 0.35) return c;
  }
  return luma(from) > 0.5 ? [0.05, 0.05, 0.08] : [0.95, 0.94, 0.9];
}

function uniform(rng: Rng, a: number, b: number): number {
  return a + (b - a) * rng.next();
}

function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  const qx = ax + t * dx - px, qy = ay + t * dy - py;
  return Math.sqrt(qx * qx + qy * qy);
}

/** Smooth value noise on a lattice of `cell` pixels (bicubic-smoothstep interpolation). */
function valueNoise(rng: Rng, size: number, cell: number): Float32Array {
  const g = Math.ceil(size / cell) + 2;
  const lattice = new Float32Array(g * g);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const fy = y / cell, iy = Math.floor(fy), ty = fy - iy, sy = ty * ty * (3 - 2 * ty);
    for (let x = 0; x < size; x++) {
      const fx = x / cell, ix = Math.floor(fx), tx = fx - ix, sx = tx * tx * (3 - 2 * tx);
      const a = lattice[iy * g + ix], b = lattice[iy * g + ix + 1];
      const c = lattice[(iy + 1) * g + ix], d = lattice[(iy + 1) * g + ix + 1];
      out[y * size + x] = (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy;
    }
  }
  return out;
}

function background(cv: Canvas, rng: Rng): void {
  const n = cv.size;
  const c0 = color(rng), c1 = color(rng);
  const kind = rng.int(3);
  const ang = uniform(rng, 0, 2 * Math.PI), cx = uniform(rng, 0, n), cy = uniform(rng, 0, n);
  const ca = Math.cos(ang), sa = Math.sin(ang);
  let noise: Float32Array | null = null;
  let amp = 0;
  if (kind === 2) {
    // multi-octave texture
    noise = new Float32Array(n * n);
    let w = 0.5;
    for (const cell of [48, 16, 6, 2]) {
      const o = valueNoise(rng, n, cell);
      for (let i = 0; i < o.length; i++) noise[i] += w * o[i];
      w *= 0.55;
    }
    amp = 1 / 0.9;
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      let t: number;
      if (kind === 0) t = Math.min(1, Math.max(0, 0.5 + ((x - n / 2) * ca + (y - n / 2) * sa) / n)); // linear
      else if (kind === 1) t = Math.min(1, Math.hypot(x - cx, y - cy) / n); // radial
      else t = Math.min(1, (noise as Float32Array)[y * n + x] * amp);
      const i = (y * n + x) * 3;
      for (let k = 0; k < 3; k++) cv.px[i + k] = c0[k] + (c1[k] - c0[k]) * t;
    }
  }
}

function textBlock(cv: Canvas, rng: Rng): void {
  const n = cv.size;
  const g = 6 + rng.int(15); // glyph cell, pixels
  const rows = 1 + rng.int(4), cols = 2 + rng.int(8);
  const x0 = uniform(rng, -g, n - g * 2), y0 = uniform(rng, -g, n - g * 2);
  const paper = color(rng), ink = contrasting(rng, paper);
  const w = Math.max(0.6, g * uniform(rng, 0.08, 0.18));
  if (rng.bernoulli(0.5)) {
    const bw = cols * g * 0.8 + g * 0.4, bh = rows * g * 1.2 + g * 0.4;
    cv.fillSdf(x0, y0, x0 + bw, y0 + bh, (x, y) => Math.max(x0 - x, x - x0 - bw, y0 - y, y - y0 - bh), paper);
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (rng.bernoulli(0.12)) continue; // a space
      const ox = x0 + g * 0.2 + c * g * 0.8, oy = y0 + g * 0.2 + r * g * 1.2;
      // strokes between points of a 3x3 grid inside the cell, like a crude font
      const pts = (i: number): [number, number] => [ox + (i % 3) * g * 0.3 + g * 0.1, oy + Math.floor(i / 3) * g * 0.45 + g * 0.05];
      const strokes = 2 + rng.int(3);
      for (let s = 0; s < strokes; s++) {
        const [ax, ay] = pts(rng.int(9));
        let [bx, by] = pts(rng.int(9));
        if (ax === bx && ay === by) [bx, by] = pts((rng.int(8) + 1) % 9);
        cv.fillSdf(Math.min(ax, bx) - w, Math.min(ay, by) - w, Math.max(ax, bx) + w, Math.max(ay, by) + w,
          (x, y) => segDist(x, y, ax, ay, bx, by) - w / 2, ink);
      }
    }
  }
}

function lines(cv: Canvas, rng: Rng): void {
  const n = cv.size;
  const count = 2 + rng.int(6);
  const c = color(rng);
  for (let i = 0; i < count; i++) {
    const ang = uniform(rng, 0, Math.PI);
    const len = uniform(rng, n * 0.2, n * 0.9);
    const cx = uniform(rng, 0, n), cy = uniform(rng, 0, n);
    const dx = Math.cos(ang) * len / 2, dy = Math.sin(ang) * len / 2;
    const w = uniform(rng, 0.5, 4);
    const ax = cx - dx, ay = cy - dy, bx = cx + dx, by = cy + dy;
    cv.fillSdf(Math.min(ax, bx) - w, Math.min(ay, by) - w, Math.max(ax, bx) + w, Math.max(ay, by) + w,
      (x, y) => segDist(x, y, ax, ay, bx, by) - w / 2, rng.bernoulli(0.3) ? color(rng) : c);
  }
}

function discMask(cx: number, cy: number, r: number): (x: number, y: number) => number {
  return (x, y) => Math.hypot(x - cx, y - cy) - r;
}

function rotatedBoxMask(cx: number, cy: number, hw: number, hh: number, ang: number): (x: number, y: number) => number {
  const ca = Math.cos(ang), sa = Math.sin(ang);
  return (x, y) => {
    const u = (x - cx) * ca + (y - cy) * sa, v = -(x - cx) * sa + (y - cy) * ca;
    return Math.max(Math.abs(u) - hw, Math.abs(v) - hh);
  };
}

function patternPatch(cv: Canvas, rng: Rng): void {
  const n = cv.size;
  const r = uniform(rng, n * 0.12, n * 0.35);
  const cx = uniform(rng, r * 0.5, n - r * 0.5), cy = uniform(rng, r * 0.5, n - r * 0.5);
  const a = color(rng), b = contrasting(rng, a);
  const ang = uniform(rng, 0, Math.PI);
  const ca = Math.cos(ang), sa = Math.sin(ang);
  const period = uniform(rng, 2.2, 16);
  const kind = rng.int(4);
  let pattern: (x: number, y: number) => number;
  if (kind === 0) {
    // stripes at an arbitrary angle
    pattern = (x, y) => (((x * ca + y * sa) / period) % 1 + 1) % 1 < 0.5 ? 1 : 0;
  } else if (kind === 1) {
    // (rotated) checkerboard
    pattern = (x, y) => {
      const u = Math.floor((x * ca + y * sa) / period), v = Math.floor((-x * sa + y * ca) / period);
      return (u + v) & 1;
    };
  } else if (kind === 2) {
    // grid lines
    const lw = Math.max(0.7, period * 0.15);
    pattern = (x, y) => {
      const u = (((x * ca + y * sa) % period) + period) % period, v = (((-x * sa + y * ca) % period) + period) % period;
      return u < lw || v < lw ? 1 : 0;
    };
  } else {
    // Siemens star: many angles and spatial frequencies at once
    const spokes = 8 + 2 * rng.int(12);
    pattern = (x, y) => ((Math.atan2(y - cy, x - cx) / (2 * Math.PI) + 1) * spokes) % 1 < 0.5 ? 1 : 0;
  }
  const mask = rng.bernoulli(0.5) ? discMask(cx, cy, r) : rotatedBoxMask(cx, cy, r, r * uniform(rng, 0.4, 1), uniform(rng, 0, Math.PI));
  cv.fillPattern(cx - r * 1.5, cy - r * 1.5, cx + r * 1.5, cy + r * 1.5, mask, pattern, a, b);
}

function shape(cv: Canvas, rng: Rng): void {
  const n = cv.size;
  const r = uniform(rng, 4, n * 0.25);
  const cx = uniform(rng, 0, n), cy = uniform(rng, 0, n);
  const c = color(rng);
  const kind = rng.int(3);
  if (kind === 0) {
    cv.fillSdf(cx - r, cy - r, cx + r, cy + r, discMask(cx, cy, r), c);
  } else if (kind === 1) {
    const w = uniform(rng, 0.8, 5);
    cv.fillSdf(cx - r - w, cy - r - w, cx + r + w, cy + r + w, (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) - w / 2, c);
  } else {
    const hh = r * uniform(rng, 0.3, 1);
    cv.fillSdf(cx - r * 1.5, cy - r * 1.5, cx + r * 1.5, cy + r * 1.5, rotatedBoxMask(cx, cy, r, hh, uniform(rng, 0, Math.PI)), c,
      rng.bernoulli(0.2) ? uniform(rng, 0.4, 0.8) : 1);
  }
}

function grain(cv: Canvas, rng: Rng): void {
  const sigma = uniform(rng, 0.005, 0.03);
  for (let i = 0; i < cv.px.length; i += 3) {
    const v = rng.normal() * sigma;
    cv.px[i] += v;
    cv.px[i + 1] += v;
    cv.px[i + 2] += v;
  }
}

/** The seed of image `index` of `split` (train and valid never share one). */
function imageSeed(seed: number, split: DatasetSplit, index: number): number {
  return ((seed * 7919) + (split === 'train' ? 0 : 1_000_003) + index * 104_729) | 0;
}

/** HR image `index` of the synthetic `split` (deterministic in seed, split, index and size). */
export function syntheticHr(index: number, split: DatasetSplit = 'train', seed = 0, size = SYNTHETIC_SIZE): RgbImage {
  const rng = new Rng(imageSeed(seed, split, index));
  const cv = new Canvas(size);
  background(cv, rng);
  // every image gets text and a periodic pattern; the rest is drawn at random
  const painters = [textBlock, patternPatch];
  const extra = 3 + rng.int(5);
  const pool = [textBlock, lines, lines, patternPatch, shape, shape, shape];
  for (let i = 0; i < extra; i++) painters.push(pool[rng.int(pool.length)]);
  for (let i = painters.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [painters[i], painters[j]] = [painters[j], painters[i]];
  }
  for (const paint of painters) paint(cv, rng);
  if (rng.bernoulli(0.5)) grain(cv, rng);
  return cv.toImage();
}

export interface SyntheticOptions {
  readonly scale: Scale;
  readonly split?: DatasetSplit;
  readonly seed?: number;
  /** Number of images (default 32 train / 8 valid). */
  readonly count?: number;
  /** HR side in pixels (default 192); mod-cropped to the scale. */
  readonly size?: number;
}

/** The embedded synthetic dataset (see the file comment); pairs are generated on first load and kept. */
export function syntheticDataset(opts: SyntheticOptions): Dataset {
  const split = opts.split ?? 'train';
  const seed = opts.seed ?? 0;
  const size = opts.size ?? SYNTHETIC_SIZE;
  const count = opts.count ?? SYNTHETIC_COUNTS[split];
  const side = size - (size % opts.scale);
  const pairs: DatasetPair[] = [];
  for (let i = 0; i < count; i++) {
    let memo: Promise<{ lr: RgbImage; hr: RgbImage }> | null = null;
    pairs.push({
      name: `synthetic-${split}-${String(i).padStart(3, '0')}`,
      hrPath: null,
      lrPath: null,
      load: () => {
        memo ??= Promise.resolve().then(() => {
          const full = syntheticHr(i, split, seed, size);
          const hr = side === size ? full : cropImage(full, 0, 0, side, side);
          return { lr: bicubicLr(hr, opts.scale), hr };
        });
        return memo;
      },
    });
  }
  return { id: `synthetic${seed ? `-s${seed}` : ''}-${split}-x${opts.scale}`, kind: 'synthetic', scale: opts.scale, split, pairs };
}

