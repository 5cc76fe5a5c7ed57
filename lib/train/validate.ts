/**
 * Validation during training: the (EMA) student on the configured sets, scored with the paper's protocol
 * (PAPER_Y: Y PSNR/SSIM, border crop = scale, uint8 outputs). 'synthetic' is the synthetic set's held-out split;
 * 'DIV2K-val' is DIV2K 0801-0900 (`DIV2K_valid_HR`); other names are benchmark sets (or set folders) under
 * `val.root` / `data.root` / $SRKD_DATA. 'present' stands for every one of Set5, Set14, B100, Urban100 and
 * DIV2K-val found under that root when the run starts (DUKD's released BasicSR configs validate all five).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import type { TrainConfig } from '../config/train';
import { BENCHMARK_SETS, resolveSetDir } from '../eval/evaluate';
import { scoreDataset } from '../eval/score-dataset';
import type { SRNet } from '../models/types';

export type ValSetResult = { readonly set: string; readonly psnr: number; readonly ssim: number; readonly images: number; readonly protocol: string };

/** The val.sets entry that expands to the sets found under the root. */
export const PRESENT_VAL_SETS = 'present';
/** The DIV2K validation split as a val.sets name. */
export const DIV2K_VAL = 'DIV2K-val';

const valRoot = (cfg: TrainConfig): string => cfg.val.root ?? cfg.data.root ?? defaultDataRoot();

function openValSet(set: string, cfg: TrainConfig): Dataset {
  if (set === 'synthetic') return openDataset({ kind: 'synthetic', scale: cfg.scale, split: 'valid' });
  const root = valRoot(cfg);
  if (set === DIV2K_VAL) {
    const stored = fs.existsSync(path.join(root, 'DIV2K_valid_LR_bicubic', `X${cfg.scale}`));
    return openDataset({ kind: 'div2k', root, split: 'valid', scale: cfg.scale, lr: stored ? 'files' : 'generate' });
  }
  const { dir } = resolveSetDir(set, root);
  return openDataset({ kind: 'benchmark', root: path.dirname(dir), set: path.basename(dir), scale: cfg.scale });
}

/** Which of Set5, Set14, B100, Urban100, DIV2K-val exist under `root` (in that order). */
export function presentValSets(root: string): string[] {
  const found = BENCHMARK_SETS.filter((s) => {
    try {
      resolveSetDir(s, root);
      return true;
    } catch {
      return false;
    }
  });
  return fs.existsSync(path.join(root, 'DIV2K_valid_HR')) ? [...found, DIV2K_VAL] : found;
}

/** val.sets with 'present' replaced by the sets found under the validation root (duplicates dropped). */
export function resolveValSets(cfg: TrainConfig): string[] {
  const out: string[] = [];
  for (const s of cfg.val.sets) for (const x of s === PRESENT_VAL_SETS ? presentValSets(valRoot(cfg)) : [s]) if (!out.includes(x)) out.push(x);
  return out;
}

/**
 * Resolves the validation sets and checks each can be opened (so a bad name fails before training starts).
 * Returns the resolved names, to pass to `validate`.
 */
export function checkValSets(cfg: TrainConfig): string[] {
  const sets = resolveValSets(cfg);
  for (const s of sets) openValSet(s, cfg);
  return sets;
}

/** Mean PSNR/SSIM per set (mean of per-image values); `sets`: resolved names (default: resolveValSets). No tensors left. */
export async function validate(net: SRNet, cfg: TrainConfig, sets: readonly string[] = resolveValSets(cfg)): Promise<ValSetResult[]> {
  const out: ValSetResult[] = [];
  for (const set of sets) {
    const score = await scoreDataset(net, openValSet(set, cfg), cfg.val.limit);
    out.push({ set: set === 'synthetic' ? 'synthetic-valid' : path.basename(set), ...score });
  }
  return out;
}
