/**
 * Scores a folder of SR outputs against a folder of HR images: pairs files by name, crops HR to
 * the SR size (= HR mod-cropped to the scale, as the LR files were made), and computes per-image and
 * mean PSNR/SSIM under an evaluation protocol.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readImage } from '../data/decode';
import { cropImage } from '../data/image';
import { PAPER_Y, scorePair, type EvalProtocol } from './protocol';

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.bmp', '.jpg', '.jpeg', '.tif', '.tiff', '.webp'];

export type ScoreRow = { image: string; psnr: number; ssim: number };
export type FolderScore = {
  protocol: string;
  scale: number;
  rows: ScoreRow[];
  /** Mean of the per-image values (not PSNR of the mean MSE). */
  mean: { psnr: number; ssim: number };
  /** SR files whose name matched no HR file. */
  unmatchedSr: string[];
  /** HR files with no SR file. */
  missingSr: string[];
};

export type ScoreFolderOptions = { srDir: string; hrDir: string; scale: number; protocol?: EvalProtocol };

/** Image files (by extension) in a folder, sorted by name. */
export async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    throw new Error(`cannot list folder '${dir}': ${(err as Error).message}`);
  }
  return names.filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort();
}

function stem(file: string): string {
  return path.basename(file, path.extname(file));
}

/**
 * The HR stem an SR stem belongs to: the longest HR stem that starts the SR stem and is followed by
 * nothing, a separator (`_`, `-`, `.`, space) or a scale tag `x<digits>` (`baby_RCAN_x4`, `babyx4`,
 * `baby_SR`, `baby`). Null when none matches.
 */
export function matchHrStem(srStem: string, hrStems: readonly string[]): string | null {
  let best: string | null = null;
  for (const h of hrStems) {
    if (!srStem.startsWith(h) || (best !== null && h.length <= best.length)) continue;
    const rest = srStem.slice(h.length);
    if (rest === '' || /^[_\-. ]/.test(rest) || /^[xX]\d+/.test(rest)) best = h;
  }
  return best;
}

export async function scoreFolder(opts: ScoreFolderOptions): Promise<FolderScore> {
  const { srDir, hrDir, scale } = opts;
  const protocol = opts.protocol ?? PAPER_Y;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer (got ${scale})`);
  const srFiles = await listImages(srDir);
  const hrFiles = await listImages(hrDir);
  const hrByStem = new Map(hrFiles.map((f) => [stem(f), f]));
  const hrStems = [...hrByStem.keys()];

  const pairs: { image: string; sr: string; hr: string }[] = [];
  const unmatchedSr: string[] = [];
  const taken = new Map<string, string>();
  for (const f of srFiles) {
    const h = matchHrStem(stem(f), hrStems);
    if (h === null) {
      unmatchedSr.push(f);
      continue;
    }
    const prev = taken.get(h);
    if (prev) throw new Error(`SR files '${prev}' and '${f}' both match HR image '${hrByStem.get(h)}'`);
    taken.set(h, f);
    pairs.push({ image: h, sr: path.join(srDir, f), hr: path.join(hrDir, hrByStem.get(h) as string) });
  }
  if (pairs.length === 0) {
    throw new Error(`no SR file in '${srDir}' matches an HR file in '${hrDir}' (SR: ${srFiles.length} images, HR: ${hrFiles.length})`);
  }
  pairs.sort((a, b) => (a.image < b.image ? -1 : a.image > b.image ? 1 : 0));

  const rows: ScoreRow[] = [];
  for (const p of pairs) {
    const sr = await readImage(p.sr);
    const hrFull = await readImage(p.hr);
    const h = hrFull.height - (hrFull.height % scale);
    const w = hrFull.width - (hrFull.width % scale);
    if (sr.height !== h || sr.width !== w) {
      throw new Error(
        `'${p.sr}' is ${sr.height}x${sr.width}, but x${scale} of HR '${p.hr}' (${hrFull.height}x${hrFull.width}) ` +
          `mod-cropped to the scale is ${h}x${w}`,
      );
    }
    const hr = h === hrFull.height && w === hrFull.width ? hrFull : cropImage(hrFull, 0, 0, h, w);
    rows.push({ image: p.image, ...scorePair(sr, hr, scale, protocol) });
  }
  const mean = {
    psnr: rows.reduce((s, r) => s + r.psnr, 0) / rows.length,
    ssim: rows.reduce((s, r) => s + r.ssim, 0) / rows.length,
  };
  const missingSr = hrStems.filter((s) => !taken.has(s)).map((s) => hrByStem.get(s) as string);
  return { protocol: protocol.id, scale, rows, mean, unmatchedSr, missingSr };
}
