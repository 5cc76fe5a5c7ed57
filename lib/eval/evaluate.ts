/**
 * Benchmark evaluation exactly as BasicSR validation (`sr_model.py`, `psnr_ssim.py`):
 * 1. read HR and the stored LR (`<set>/LR_bicubic/X{s}`) as 8-bit RGB, divide by 255;
 * 2. crop HR to (h_lr * s, w_lr * s) from the top-left (openDataset's benchmark pairs do this and check it);
 * 3. run the network on the LR image (whole image by default; `tile` > 0 goes through eval/tiled.ts;
 *    SwinIR pads itself to its window, BasicSR reflect convention; `pad: 'flip'` follows SwinIR's test script
 *    instead, eval/test-pad.ts, and the protocol id gains '+flip-pad');
 * 4. quantise the output to uint8 (clamp to [0,1], x255, round half to even);
 * 5. Y (BT.601, float32) PSNR and SSIM with border crop = scale (`protocol`, PAPER_Y by default); the set
 *    mean is the mean of the per-image values.
 *
 * `evaluateOutputs` scores SR images computed elsewhere (e.g. published outputs) with score-folder.ts.
 * Results are plain JSON (the result object itself); `toCsv` gives one line per image and per set mean.
 * An infinite PSNR (identical images) is `Infinity` in the object, `null` in JSON and `inf` in CSV.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunId, Scale } from '../types';
import type { SRNet } from '../models/types';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import { writePng } from '../data/decode';
import { createImage, imageToTensor, quantizeUnit } from '../data/image';
import { PAPER_Y, scorePair, type EvalProtocol } from '../metrics/protocol';
import { scoreFolder } from '../metrics/score-folder';
import { type TestPad, padProtocolId, upscaleWithPad } from './test-pad';
import type { upscaleTiledData } from './tiled';

/** The benchmark sets the papers report, in table order. */
export const BENCHMARK_SETS: readonly string[] = ['Set5', 'Set14', 'B100', 'Urban100'];

export type EvalRow = {
  protocol: string;
  runId?: RunId;
  set: string;
  scale: number;
  image: string;
  psnr: number;
  ssim: number;
};

export type EvalSetMean = {
  protocol: string;
  runId?: RunId;
  set: string;
  scale: number;
  /** Mean of the per-image PSNRs (not the PSNR of the mean MSE). */
  psnr: number;
  ssim: number;
  images: number;
};

export type EvalResult = {
  /** Protocol id, e.g. 'paper-y'. */
  protocol: string;
  runId?: RunId;
  scale: number;
  /** Per image, grouped by set in the order asked, images in name order. */
  rows: EvalRow[];
  /** One per set, same order. */
  means: EvalSetMean[];
};

export interface EvaluateOptions {
  /** Benchmark names ('Set5', 'Set14', 'B100', 'Urban100', ...) looked up under `root`, or set folder paths. */
  readonly sets: readonly string[];
  readonly scale: Scale;
  /** Data root holding `<Set>/` or `benchmark/<Set>/` (default: env SRKD_DATA, else 'data/'). */
  readonly root?: string;
  readonly protocol?: EvalProtocol;
  /** LR window for tiled inference (eval/tiled.ts); default 0 = whole image (exact). */
  readonly tile?: number;
  /** Tile overlap (eval/tiled.ts default when omitted). */
  readonly overlap?: number;
  /** Test-time padding of windowed nets (eval/test-pad.ts): 'reflect' (default, BasicSR) or 'flip' (SwinIR's script). */
  readonly pad?: TestPad;
  /** 'files' (default): the stored LR_bicubic images; 'generate': MATLAB bicubic from HR (cached). */
  readonly lr?: 'files' | 'generate';
  /** Copied into every row and mean when given. */
  readonly runId?: RunId;
  /** Write each quantised SR image to `<saveDir>/<set>/<image>_x<s>.png` (scoreable by `evaluateOutputs`). */
  readonly saveDir?: string;
  /** Called after every image. */
  onImage?(row: EvalRow): void;
}

export interface EvaluateOutputsOptions {
  /** Set name (or set folder path) -> folder of SR images for it (names as score-folder.ts matches them). */
  readonly outputs: Readonly<Record<string, string>>;
  readonly scale: number;
  readonly root?: string;
  readonly protocol?: EvalProtocol;
  readonly runId?: RunId;
  onImage?(row: EvalRow): void;
}

const DOWNLOAD_HINT = "get the benchmarks with 'srkd data download benchmarks' (they go to <root>/benchmark/)";

function looksLikePath(set: string): boolean {
  return path.isAbsolute(set) || set.includes('/') || set.includes(path.sep) || set.startsWith('.');
}

/** The folder of a set (name under `root`, or a path) and the name rows carry. Errors say how to get the data. */
export function resolveSetDir(set: string, root: string = defaultDataRoot()): { name: string; dir: string } {
  if (looksLikePath(set)) {
    const dir = path.resolve(set);
    if (!fs.existsSync(dir)) throw new Error(`benchmark set folder ${dir} does not exist`);
    return { name: path.basename(dir), dir };
  }
  const direct = path.resolve(root, set);
  const nested = path.resolve(root, 'benchmark', set);
  for (const dir of [direct, nested]) if (fs.existsSync(dir)) return { name: set, dir };
  throw new Error(`benchmark set '${set}' not found: neither ${nested} nor ${direct} exists; ${DOWNLOAD_HINT}, ` +
    `or point root / SRKD_DATA at the folder that holds it`);
}

function openSet(dir: string, scale: Scale, lr: 'files' | 'generate'): Dataset {
  try {
    return openDataset({ kind: 'benchmark', root: path.dirname(dir), set: path.basename(dir), scale, lr });
  } catch (err) {
    throw new Error(`${(err as Error).message} (${DOWNLOAD_HINT}; or evaluate with lr: 'generate')`);
  }
}

function withRun<T extends object>(row: T, runId: RunId | undefined): T & { runId?: RunId } {
  return runId === undefined ? row : { ...row, runId };
}

function meanOf(rows: readonly EvalRow[], base: Omit<EvalSetMean, 'psnr' | 'ssim' | 'images'>): EvalSetMean {
  const n = rows.length;
  return {
    ...base,
    psnr: rows.reduce((s, r) => s + r.psnr, 0) / n,
    ssim: rows.reduce((s, r) => s + r.ssim, 0) / n,
    images: n,
  };
}

/** Runs `net` over benchmark sets and scores every image (steps 1-5 above). Leaves no tensors behind. */
export async function evaluate(net: SRNet, opts: EvaluateOptions): Promise<EvalResult> {
  const protocol = opts.protocol ?? PAPER_Y;
  const pad = opts.pad ?? 'reflect';
  const protocolId = padProtocolId(protocol.id, pad, net.arch);
  const scale = opts.scale;
  if (net.scale !== scale) throw new Error(`evaluate: the network is x${net.scale} but scale ${scale} was asked`);
  if (opts.sets.length === 0) throw new Error(`evaluate: no sets given (e.g. ${BENCHMARK_SETS.join(', ')})`);
  const root = opts.root ?? defaultDataRoot();
  // resolve every set first so a missing one fails before any compute
  const sets = opts.sets.map((s) => {
    const { name, dir } = resolveSetDir(s, root);
    return { name, data: openSet(dir, scale, opts.lr ?? 'files') };
  });
  const rows: EvalRow[] = [];
  const means: EvalSetMean[] = [];
  for (const { name, data } of sets) {
    const setRows: EvalRow[] = [];
    for (const pair of data.pairs) {
      const { lr, hr } = await pair.load();
      const lrT = imageToTensor(lr);
      let out: Awaited<ReturnType<typeof upscaleTiledData>>;
      try {
        out = await upscaleWithPad(net, lrT, pad, { tile: opts.tile ?? 0, overlap: opts.overlap });
      } finally {
        lrT.dispose();
      }
      if (out.height !== hr.height || out.width !== hr.width) {
        throw new Error(`${pair.name}: output is ${out.height}x${out.width}, HR (cropped) is ${hr.height}x${hr.width}`);
      }
      const sr = createImage(out.height, out.width, quantizeUnit(out.data));
      if (opts.saveDir) await writePng(path.join(opts.saveDir, name, `${pair.name}_x${scale}.png`), sr);
      const row = withRun({ protocol: protocolId, set: name, scale, image: pair.name, ...scorePair(sr, hr, scale, protocol) }, opts.runId);
      setRows.push(row);
      opts.onImage?.(row);
    }
    rows.push(...setRows);
    means.push(meanOf(setRows, withRun({ protocol: protocolId, set: name, scale }, opts.runId)));
  }
  return withRun({ protocol: protocolId, scale, rows, means }, opts.runId);
}

/**
 * Scores precomputed SR images against the sets' HR images (score-folder.ts: names matched with suffixes
 * such as `baby_RCAN_x4.png`, HR mod-cropped to the scale). Every HR image needs an SR image.
 */
export async function evaluateOutputs(opts: EvaluateOutputsOptions): Promise<EvalResult> {
  const protocol = opts.protocol ?? PAPER_Y;
  const { scale } = opts;
  const root = opts.root ?? defaultDataRoot();
  const entries = Object.entries(opts.outputs);
  if (entries.length === 0) throw new Error('evaluateOutputs: no outputs given (set name -> folder of SR images)');
  const rows: EvalRow[] = [];
  const means: EvalSetMean[] = [];
  for (const [set, srDir] of entries) {
    const { name, dir } = resolveSetDir(set, root);
    const hrDir = path.join(dir, 'HR');
    if (!fs.existsSync(hrDir)) throw new Error(`benchmark set '${name}': folder ${hrDir} does not exist; ${DOWNLOAD_HINT}`);
    const score = await scoreFolder({ srDir, hrDir, scale, protocol });
    if (score.missingSr.length) {
      throw new Error(`${srDir}: no SR image for ${score.missingSr.length} of the ${name} HR images (${score.missingSr.join(', ')})`);
    }
    const setRows = score.rows.map((r) => withRun({ protocol: protocol.id, set: name, scale, image: r.image, psnr: r.psnr, ssim: r.ssim }, opts.runId));
    for (const r of setRows) opts.onImage?.(r);
    rows.push(...setRows);
    means.push(meanOf(setRows, withRun({ protocol: protocol.id, set: name, scale }, opts.runId)));
  }
  return withRun({ protocol: protocol.id, scale, rows, means }, opts.runId);
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : String(v);
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * CSV with header `protocol,runId,set,scale,image,psnr,ssim,images`: one line per image (images empty), then
 * one line per set mean with image `mean` and the image count. Full float precision.
 */
export function toCsv(result: EvalResult): string {
  const header = ['protocol', 'runId', 'set', 'scale', 'image', 'psnr', 'ssim', 'images'];
  const lines = [header.join(',')];
  for (const r of result.rows) {
    lines.push([r.protocol, r.runId, r.set, r.scale, r.image, r.psnr, r.ssim, undefined].map(csvCell).join(','));
  }
  for (const m of result.means) {
    lines.push([m.protocol, m.runId, m.set, m.scale, 'mean', m.psnr, m.ssim, m.images].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
