/**
 * The held-out sets a reproduction job reports, scored with PAPER_Y (Y PSNR/SSIM, border = scale, uint8):
 * without a data root, every image of the synthetic set's 'valid' split (never trained on); with a DIV2K root, the
 * benchmark sets found under it (Set5, Set14, B100, Urban100, in table order) and, when `div2kVal` is set and
 * `DIV2K_valid_HR` exists, DIV2K 0801-0900 (Table 4's last column); with a folder of photos (job-data.ts), the
 * benchmark sets found under $SRKD_DATA, then the folder's held-out photos. Missing benchmark sets are skipped
 * with a note; none found under a DIV2K root is an error that says how to download them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDataset, type Dataset } from '../data/datasets';
import { BENCHMARK_SETS, resolveSetDir } from '../eval/evaluate';
import { scoreDataset } from '../eval/score-dataset';
import type { TestPad } from '../eval/test-pad';
import type { SRNet } from '../models/types';
import type { Scale } from '../types';
import { folderHeldOut, jobDataLayout } from './job-data';

export type HeldOutSet = { readonly name: string; readonly dataset: Dataset };
export type HeldOutScore = { readonly set: string; readonly psnr: number; readonly ssim: number; readonly images: number; readonly protocol: string };

export interface HeldOutOptions {
  readonly scale: Scale;
  /** Data root; null/undefined = synthetic valid split. */
  readonly data?: string | null;
  /** Also DIV2K valid when present under the root (Table 4). */
  readonly div2kVal?: boolean;
  /** Score at most N images per set (default all). */
  readonly limit?: number | null;
  log?(line: string): void;
}

/** The held-out sets for these options (opened, nothing decoded). */
export function heldOutSets(opts: HeldOutOptions): HeldOutSet[] {
  const layout = jobDataLayout(opts.data);
  if (layout.kind === 'synthetic' || !opts.data) return [{ name: 'synthetic-valid', dataset: openDataset({ kind: 'synthetic', scale: opts.scale, split: 'valid' }) }];
  const benchmarkRoot = layout.kind === 'folder' ? layout.benchmarkRoot : opts.data;
  const out: HeldOutSet[] = [];
  const missing: string[] = [];
  for (const set of BENCHMARK_SETS) {
    let dir: string;
    try {
      dir = resolveSetDir(set, benchmarkRoot).dir;
    } catch {
      missing.push(set);
      continue;
    }
    out.push({ name: set, dataset: openDataset({ kind: 'benchmark', root: path.dirname(dir), set: path.basename(dir), scale: opts.scale }) });
  }
  if (layout.kind === 'folder') {
    if (missing.length) opts.log?.(`held-out: ${missing.join(', ')} not found under ${benchmarkRoot} ($SRKD_DATA); scoring the held-out photos`);
    return [...out, folderHeldOut(layout, opts.scale)];
  }
  if (opts.div2kVal && fs.existsSync(path.join(opts.data, 'DIV2K_valid_HR'))) {
    out.push({ name: 'DIV2K-val', dataset: openDataset({ kind: 'div2k', root: opts.data, split: 'valid', scale: opts.scale }) });
  }
  if (out.length === 0) {
    throw new Error(`no held-out set under ${opts.data}: none of ${BENCHMARK_SETS.join(', ')} found; get them with 'srkd data download benchmarks --root ${opts.data}'`);
  }
  if (missing.length) opts.log?.(`held-out: ${missing.join(', ')} not found under ${opts.data}; skipped`);
  return out;
}

/** Mean PSNR/SSIM per held-out set (mean of per-image values); `pad`: eval/test-pad.ts. Leaves no tensors behind. */
export async function scoreHeldOut(net: SRNet, sets: readonly HeldOutSet[], limit?: number | null, pad: TestPad = 'reflect'): Promise<HeldOutScore[]> {
  const out: HeldOutScore[] = [];
  for (const { name, dataset } of sets) out.push({ set: name, ...(await scoreDataset(net, dataset, limit, pad)) });
  return out;
}
