/**
 * Dataset layouts -> lists of LR/HR pairs with lazy loaders. Layouts (paths relative to `root`):
 *
 * - `div2k`: `DIV2K_train_HR/0001.png` + `DIV2K_train_LR_bicubic/X{s}/0001x{s}.png` (train, 0001-0800);
 *   `DIV2K_valid_HR` + `DIV2K_valid_LR_bicubic` (valid, 0801-0900).
 * - `df2k`: train = DIV2K train + `Flickr2K_HR/000001.png` + `Flickr2K_LR_bicubic/X{s}/000001x{s}.png`;
 *   valid = DIV2K valid.
 * - `benchmark`: `<root>/<set>/HR/<name>.png` + `<root>/<set>/LR_bicubic/X{s}/<name>x{s}.png`
 *   (`root` may also be the folder that contains `benchmark/`).
 * - `folder`: any folder of HR images; LR made with the MATLAB-exact bicubic resize and cached on disk
 *   (lr-cache.ts). `lr: 'generate'` does the same for the other layouts.
 * - `synthetic`: the embedded procedural set (synthetic.ts); no files.
 *
 * Every loaded pair obeys BasicSR's rule: HR is mod-cropped to the scale (top-left), and LR must then be
 * exactly HR / scale. Missing folders, empty folders, missing LR files and size mismatches throw errors
 * that name the file or folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Scale } from '../types';
import type { RgbImage } from './image';
import { readImage } from './decode';
import { modCrop } from './bicubic';
import { cachedBicubicLr, defaultLrCacheDir } from './lr-cache';
import { syntheticDataset } from './synthetic';
import { withPixelCache } from './pixel-cache';

export { defaultDataRoot } from './data-root';

export type DatasetKind = 'div2k' | 'df2k' | 'benchmark' | 'folder' | 'synthetic';
export type DatasetSplit = 'train' | 'valid';

/** Plain, JSON-serialisable description of a dataset (goes into configs). */
export interface DatasetSpec {
  readonly kind: DatasetKind;
  /** Data root (div2k/df2k: the folder holding DIV2K_train_HR; benchmark: the folder holding <set>; folder: the HR folder). */
  readonly root?: string;
  readonly scale: Scale;
  /** Default 'train' (benchmark and folder ignore it). */
  readonly split?: DatasetSplit;
  /** Benchmark set name, e.g. 'Set5', 'Set14', 'B100', 'Urban100'. */
  readonly set?: string;
  /** 'files' (default for all but `folder`): read the stored LR images; 'generate': bicubic from HR, cached. */
  readonly lr?: 'files' | 'generate';
  /** LR cache folder for generated LR (default lr-cache.ts `defaultLrCacheDir()`). */
  readonly cacheDir?: string;
  /** Keep only the first N pairs (in name order). */
  readonly limit?: number;
  /** Synthetic set only: generator seed (default 0). */
  readonly seed?: number;
  /** Keep decoded pixels of every pair in this folder as raw files (pixel-cache.ts): later loads skip PNG decoding. */
  readonly pixelCacheDir?: string;
}

/** A decoded, aligned pair: `hr` is mod-cropped and exactly `scale` times `lr`. */
export type ImagePair = { lr: RgbImage; hr: RgbImage };

export interface DatasetPair {
  /** Image name without extension, e.g. '0001' or 'baby'. */
  readonly name: string;
  readonly hrPath: string | null;
  /** null when LR is generated (or synthetic). */
  readonly lrPath: string | null;
  load(): Promise<ImagePair>;
}

export interface Dataset {
  /** e.g. 'DIV2K-train-x4', 'Set5-x2', 'folder:photos-x3', 'synthetic-train-x2'. */
  readonly id: string;
  readonly kind: DatasetKind;
  readonly scale: Scale;
  readonly split: DatasetSplit;
  readonly pairs: readonly DatasetPair[];
}

const IMAGE_EXT = /\.(png|jpe?g|bmp|tiff?|webp)$/i;

/** Sorted image file names of a folder; errors name the folder when it is missing or has no images. */
export function listImages(dir: string, what: string, ext: RegExp = IMAGE_EXT): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    throw new Error(`${what}: folder ${dir} does not exist`);
  }
  const imgs = names.filter((n) => ext.test(n) && !n.startsWith('.')).sort();
  if (imgs.length === 0) throw new Error(`${what}: no images found in ${dir}`);
  return imgs;
}

function stemOf(file: string): string {
  return file.replace(/\.[^.]+$/, '');
}

function sizeText(img: RgbImage): string {
  return `${img.height}x${img.width}`;
}

/** Reads a stored pair and checks the BasicSR size rule. */
export async function loadStoredPair(hrPath: string, lrPath: string, scale: number): Promise<ImagePair> {
  const [hrFull, lr] = await Promise.all([readImage(hrPath), readImage(lrPath)]);
  const hr = modCrop(hrFull, scale);
  if (lr.height * scale !== hr.height || lr.width * scale !== hr.width) {
    throw new Error(`LR/HR size mismatch: ${lrPath} is ${sizeText(lr)}, so HR should be ${lr.height * scale}x${lr.width * scale} ` +
      `at x${scale}, but ${hrPath} is ${sizeText(hrFull)} (${sizeText(hr)} after mod-crop)`);
  }
  return { lr, hr };
}

function storedPairs(hrDir: string, lrDir: string, scale: Scale, what: string): DatasetPair[] {
  const hrNames = listImages(hrDir, what);
  let lrNames: Set<string>;
  try {
    lrNames = new Set(fs.readdirSync(lrDir));
  } catch {
    throw new Error(`${what}: LR folder ${lrDir} does not exist (needed for the x${scale} pairs of ${hrDir})`);
  }
  return hrNames.map((file) => {
    const name = stemOf(file);
    const hrPath = path.join(hrDir, file);
    const lrFile = `${name}x${scale}.png`;
    if (!lrNames.has(lrFile)) throw new Error(`${what}: missing LR counterpart ${path.join(lrDir, lrFile)} for ${hrPath}`);
    const lrPath = path.join(lrDir, lrFile);
    return { name, hrPath, lrPath, load: () => loadStoredPair(hrPath, lrPath, scale) };
  });
}

function generatedPairs(hrDir: string, scale: Scale, cacheDir: string, what: string): DatasetPair[] {
  return listImages(hrDir, what).map((file) => {
    const hrPath = path.join(hrDir, file);
    return {
      name: stemOf(file),
      hrPath,
      lrPath: null,
      load: async () => {
        const full = await readImage(hrPath);
        const hr = modCrop(full, scale);
        if (hr.height < scale || hr.width < scale) throw new Error(`${what}: ${hrPath} (${sizeText(full)}) is smaller than the scale ${scale}`);
        const lr = await cachedBicubicLr(hrPath, scale, cacheDir, full);
        return { lr, hr };
      },
    };
  });
}

function requireRoot(spec: DatasetSpec): string {
  if (!spec.root) throw new Error(`dataset kind '${spec.kind}' needs a root folder`);
  return path.resolve(spec.root);
}

function div2kPairs(root: string, split: DatasetSplit, spec: DatasetSpec, cacheDir: string): DatasetPair[] {
  const hrDir = path.join(root, `DIV2K_${split}_HR`);
  const lrDir = path.join(root, `DIV2K_${split}_LR_bicubic`, `X${spec.scale}`);
  const what = `DIV2K ${split}`;
  if (!fs.existsSync(hrDir)) throw new Error(`${what}: folder ${hrDir} does not exist (run 'srkd data download div2k --root ${root}')`);
  return spec.lr === 'generate' ? generatedPairs(hrDir, spec.scale, cacheDir, what) : storedPairs(hrDir, lrDir, spec.scale, what);
}

function flickrPairs(root: string, spec: DatasetSpec, cacheDir: string): DatasetPair[] {
  const hrDir = path.join(root, 'Flickr2K_HR');
  const lrDir = path.join(root, 'Flickr2K_LR_bicubic', `X${spec.scale}`);
  if (!fs.existsSync(hrDir)) throw new Error(`Flickr2K: folder ${hrDir} does not exist (run 'srkd data download flickr2k --root ${root}')`);
  return spec.lr === 'generate' ? generatedPairs(hrDir, spec.scale, cacheDir, 'Flickr2K') : storedPairs(hrDir, lrDir, spec.scale, 'Flickr2K');
}

/** The folder of a benchmark set: `<root>/<set>`, or `<root>/benchmark/<set>` when root is the data root. */
export function benchmarkDir(root: string, set: string): string {
  const direct = path.join(root, set);
  if (fs.existsSync(direct)) return direct;
  const nested = path.join(root, 'benchmark', set);
  if (fs.existsSync(nested)) return nested;
  throw new Error(`benchmark set '${set}': folder ${direct} does not exist (nor ${nested})`);
}

/** Opens a dataset; the pairs load lazily (nothing is decoded here). */
export function openDataset(spec: DatasetSpec): Dataset {
  const split: DatasetSplit = spec.split ?? 'train';
  if (![2, 3, 4].includes(spec.scale)) throw new Error(`dataset scale must be 2, 3 or 4 (got ${spec.scale})`);
  const cacheDir = spec.cacheDir ? path.resolve(spec.cacheDir) : defaultLrCacheDir();
  let id: string;
  let pairs: DatasetPair[];
  switch (spec.kind) {
    case 'synthetic':
      return limitPairs(syntheticDataset({ scale: spec.scale, split, seed: spec.seed }), spec.limit);
    case 'div2k': {
      const root = requireRoot(spec);
      id = `DIV2K-${split}-x${spec.scale}`;
      pairs = div2kPairs(root, split, spec, cacheDir);
      break;
    }
    case 'df2k': {
      const root = requireRoot(spec);
      id = `DF2K-${split}-x${spec.scale}`;
      pairs = split === 'train' ? [...div2kPairs(root, 'train', spec, cacheDir), ...flickrPairs(root, spec, cacheDir)]
        : div2kPairs(root, 'valid', spec, cacheDir);
      break;
    }
    case 'benchmark': {
      if (!spec.set) throw new Error(`dataset kind 'benchmark' needs a set name (e.g. 'Set5')`);
      const dir = benchmarkDir(requireRoot(spec), spec.set);
      id = `${spec.set}-x${spec.scale}`;
      const what = `benchmark ${spec.set}`;
      pairs = spec.lr === 'generate' ? generatedPairs(path.join(dir, 'HR'), spec.scale, cacheDir, what)
        : storedPairs(path.join(dir, 'HR'), path.join(dir, 'LR_bicubic', `X${spec.scale}`), spec.scale, what);
      break;
    }
    case 'folder': {
      const root = requireRoot(spec);
      id = `folder:${path.basename(root)}-x${spec.scale}`;
      if (spec.lr === 'files') throw new Error(`dataset kind 'folder' has no LR files; use lr: 'generate' (the default)`);
      pairs = generatedPairs(root, spec.scale, cacheDir, `image folder`);
      break;
    }
    default: {
      const bad: never = spec.kind;
      throw new Error(`unknown dataset kind '${String(bad)}' (expected div2k, df2k, benchmark, folder or synthetic)`);
    }
  }
  const ds = limitPairs({ id, kind: spec.kind, scale: spec.scale, split, pairs }, spec.limit);
  return spec.pixelCacheDir ? withPixelCache(ds, spec.pixelCacheDir) : ds;
}

function limitPairs(ds: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined) return ds;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`dataset limit must be a positive integer (got ${limit})`);
  return { ...ds, pairs: ds.pairs.slice(0, limit) };
}
