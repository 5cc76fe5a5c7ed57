/**
 * Validation during training: the (EMA) student on the configured sets, scored with the paper's protocol
 * (PAPER_Y: Y PSNR/SSIM, border crop = scale, uint8 outputs). 'synthetic' is the synthetic set's held-out split;
 * other names are benchmark sets (or set folders) under `val.root` / `data.root` / $SRKD_DATA.
 */
import * as path from 'node:path';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import type { TrainConfig } from '../config/train';
import { resolveSetDir } from '../eval/evaluate';
import { scoreDataset } from '../eval/score-dataset';
import type { SRNet } from '../models/types';

export type ValSetResult = { readonly set: string; readonly psnr: number; readonly ssim: number; readonly images: number; readonly protocol: string };

function openValSet(set: string, cfg: TrainConfig): Dataset {
  if (set === 'synthetic') return openDataset({ kind: 'synthetic', scale: cfg.scale, split: 'valid' });
  const root = cfg.val.root ?? cfg.data.root ?? defaultDataRoot();
  const { dir } = resolveSetDir(set, root);
  return openDataset({ kind: 'benchmark', root: path.dirname(dir), set: path.basename(dir), scale: cfg.scale });
}

/** Checks every validation set can be opened (so a bad name fails before training starts). */
export function checkValSets(cfg: TrainConfig): void {
  for (const s of cfg.val.sets) openValSet(s, cfg);
}

/** Mean PSNR/SSIM per set (mean of per-image values). Leaves no tensors behind. */
export async function validate(net: SRNet, cfg: TrainConfig): Promise<ValSetResult[]> {
  const out: ValSetResult[] = [];
  for (const set of cfg.val.sets) {
    const score = await scoreDataset(net, openValSet(set, cfg), cfg.val.limit);
    out.push({ set: set === 'synthetic' ? 'synthetic-valid' : path.basename(set), ...score });
  }
  return out;
}
