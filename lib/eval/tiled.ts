/**
 * Overlapping-tile inference for images too large for one forward pass; with a tile that covers the image it
 * matches the untiled forward exactly.
 *
 * Tiling scheme (per axis; rows and columns are planned independently):
 * - every network input is a `tile` x `tile` LR window (smaller only where the image itself is smaller);
 *   windows start every `tile - 2 * overlap` pixels and the last one is pushed back to end at the image
 *   border, so adjacent windows share at least `2 * overlap` LR pixels;
 * - there is no blending: the output is cut between adjacent windows at the middle of their shared
 *   band and each window contributes only its own (central) part. Every kept pixel is therefore at least
 *   `overlap` LR pixels away from any window edge that is not an image edge;
 * - kept parts are read back to the host one window at a time and assembled into one Float32Array.
 *
 * Exactness: a convolution-only network (EDSR) whose receptive-field radius is R LR pixels gives the same
 * output tiled and untiled (to float rounding, < 1e-5) whenever `overlap >= R`; `exactOverlap` returns
 * that R. RCAN's channel attention averages over the whole input, and SwinIR's (shifted) window attention
 * and reflect padding depend on the input size, so for them tiling is an approximation whose error
 * shrinks with the overlap; only a tile that covers the whole image (or `tile: 0`) is exact. With a tile
 * at least as large as the image the network runs once on the untouched input, i.e. exactly untiled.
 *
 * SwinIR: the tile is rounded down to a multiple of the window size (at least one window), so full
 * windows need no padding; windows at a smaller image dimension are padded by the model's own forward
 * (BasicSR reflect convention, `padLrForWindow`) and cropped back, exactly as an untiled run.
 */
import * as tf from '@tensorflow/tfjs';
import { archSpec } from '../models/archs/index';
import type { ArchConfig, SRNet } from '../models/types';
import type { Scale } from '../types';

export const DEFAULT_TILE = 128;
export const DEFAULT_OVERLAP = 16;

export interface TileOptions {
  /** Network input window, LR pixels (default 128). 0 = the whole image in one pass. */
  readonly tile?: number;
  /** Context kept around every window's output, LR pixels (default `defaultOverlap(tile)`); see the file comment. */
  readonly overlap?: number;
  /** Called with (0, total) before the first window, then after each with (windows done, total). */
  onTile?(done: number, total: number): void;
}

/** One window along one axis: input [start, start + size), output kept for LR [keepStart, keepEnd). */
export type TileSpan = { readonly start: number; readonly size: number; readonly keepStart: number; readonly keepEnd: number };

export type TilePlan = {
  /** Window size after SwinIR rounding (0: whole image). */
  readonly tile: number;
  readonly overlap: number;
  readonly rows: readonly TileSpan[];
  readonly cols: readonly TileSpan[];
  /** rows.length * cols.length */
  readonly count: number;
};

/** 16 LR pixels, or a quarter of a smaller tile (so windows still advance by half a tile). */
export function defaultOverlap(tile: number): number {
  return Math.min(DEFAULT_OVERLAP, Math.floor(tile / 4));
}

function nonNegInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer (got ${v})`);
}

/** Windows covering [0, length): see the file comment. `tile` 0 or >= length gives one window. */
export function tileSpans(length: number, tile: number, overlap: number): TileSpan[] {
  nonNegInt('tile', tile);
  nonNegInt('overlap', overlap);
  if (tile === 0 || tile >= length) return [{ start: 0, size: length, keepStart: 0, keepEnd: length }];
  const stride = tile - 2 * overlap;
  if (stride < 1) throw new Error(`overlap must be less than half the tile (tile ${tile}, overlap ${overlap})`);
  const starts: number[] = [];
  for (let s = 0; s + tile < length; s += stride) starts.push(s);
  starts.push(length - tile);
  return starts.map((start, i) => {
    // cut in the middle of the band shared with each neighbour (both sides keep >= overlap of context)
    const keepStart = i === 0 ? 0 : Math.floor((start + starts[i - 1] + tile) / 2);
    const keepEnd = i === starts.length - 1 ? length : Math.floor((starts[i + 1] + start + tile) / 2);
    return { start, size: tile, keepStart, keepEnd };
  });
}

/** The tile side used for an architecture: rounded down to its tile multiple (SwinIR: its window; at least one). */
export function effectiveTile(arch: ArchConfig, tile: number): number {
  const m = archSpec(arch).tileMultiple(arch);
  if (tile === 0 || m === 1) return tile;
  return Math.max(m, Math.floor(tile / m) * m);
}

/** Plans the windows for an `height` x `width` LR image. */
export function planTiles(height: number, width: number, arch: ArchConfig, opts: Pick<TileOptions, 'tile' | 'overlap'> = {}): TilePlan {
  const requested = opts.tile ?? DEFAULT_TILE;
  nonNegInt('tile', requested);
  const tile = effectiveTile(arch, requested);
  const overlap = opts.overlap ?? defaultOverlap(tile);
  const rows = tileSpans(height, tile, overlap);
  const cols = tileSpans(width, tile, overlap);
  return { tile, overlap, rows, cols, count: rows.length * cols.length };
}

/**
 * Receptive-field radius in LR pixels of a convolution-only network, i.e. the smallest `overlap` for which
 * tiled equals untiled (a safe upper bound: each 3x3 conv counts one LR pixel, also those running at the
 * upsampled resolution). Null when no finite overlap is exact (RCAN: global pooling; SwinIR: attention).
 */
export function exactOverlap(arch: ArchConfig, scale: Scale): number | null {
  return archSpec(arch).exactOverlap(arch, scale);
}

export type TiledOutput = { data: Float32Array; height: number; width: number };

/**
 * Runs `net` on a [1, H, W, 3] LR tensor window by window and returns the (unclamped) output on the host,
 * HWC float32, (H * scale) x (W * scale). Does not dispose `lr`.
 */
export async function upscaleTiledData(net: SRNet, lr: tf.Tensor4D, opts: TileOptions = {}): Promise<TiledOutput> {
  const [n, h, w, c] = lr.shape;
  if (n !== 1) throw new Error(`upscaleTiled expects a batch of 1 (got ${n}); run images one at a time`);
  if (c !== 3) throw new Error(`upscaleTiled expects 3 channels (got shape [${lr.shape.join(', ')}])`);
  const s = net.scale;
  const plan = planTiles(h, w, net.arch, opts);
  const outH = h * s;
  const outW = w * s;
  const out = new Float32Array(outH * outW * 3);
  const whole = plan.count === 1;
  let done = 0;
  opts.onTile?.(0, plan.count);
  for (const r of plan.rows) {
    for (const col of plan.cols) {
      const kept = tf.tidy(() => {
        const x = whole ? lr : tf.slice(lr, [0, r.start, col.start, 0], [1, r.size, col.size, 3]);
        const y = net.forward(x, { taps: [] }).out;
        if (whole) return y;
        return tf.slice(y, [0, (r.keepStart - r.start) * s, (col.keepStart - col.start) * s, 0],
          [1, (r.keepEnd - r.keepStart) * s, (col.keepEnd - col.keepStart) * s, 3]);
      });
      let vals: Float32Array;
      try {
        vals = (await kept.data()) as Float32Array;
      } finally {
        kept.dispose();
      }
      const kh = (r.keepEnd - r.keepStart) * s;
      const rowLen = (col.keepEnd - col.keepStart) * s * 3;
      for (let y = 0; y < kh; y++) {
        out.set(vals.subarray(y * rowLen, (y + 1) * rowLen), ((r.keepStart * s + y) * outW + col.keepStart * s) * 3);
      }
      done++;
      opts.onTile?.(done, plan.count);
    }
  }
  return { data: out, height: outH, width: outW };
}

/** `upscaleTiledData` as a [1, H*s, W*s, 3] tensor (the caller owns it). Does not dispose `lr`. */
export async function upscaleTiled(net: SRNet, lr: tf.Tensor4D, opts: TileOptions = {}): Promise<tf.Tensor4D> {
  const { data, height, width } = await upscaleTiledData(net, lr, opts);
  return tf.tensor4d(data, [1, height, width, 3], 'float32');
}
