/**
 * Validation during training: the (EMA) student on the configured sets, scored with the paper's protocol
 * (PAPER_Y: Y PSNR/SSIM, border crop = scale, uint8 outputs). 'synthetic' is the synthetic set's held-out split;
 * other names are benchmark sets (or set folders) under `val.root` / `data.root` / $SRKD_DATA.
 */
import * as path from 'node:path';
import { defaultDataRoot, openDataset, type Dataset } from '../data/datasets';
import { createImage, imageToTensor, quantizeUnit } from '../data/image';
import type { TrainConfig } from '../config/train';
import { resolveSetDir } from '../eval/evaluate';
import { upscaleTiledData } from '../eval/tiled';
import { PAPER_Y, scorePair } from '../metrics/protocol';
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
    const ds = openValSet(set, cfg);
    const pairs = cfg.val.limit === null ? ds.pairs : ds.pairs.slice(0, cfg.val.limit);
    let psnr = 0;
    let ssim = 0;
    for (const pair of pairs) {
      const { lr, hr } = await pair.load();
      const x = imageToTensor(lr);
      let y: Awaited<ReturnType<typeof upscaleTiledData>>;
      try {
        y = await upscaleTiledData(net, x, { tile: 0 });
      } finally {
        x.dispose();
      }
      const score = scorePair(createImage(y.height, y.width, quantizeUnit(y.data)), hr, cfg.scale, PAPER_Y);
      psnr += score.psnr;
      ssim += score.ssim;
    }
    const n = Math.max(1, pairs.length);
    out.push({ set: set === 'synthetic' ? 'synthetic-valid' : path.basename(set), psnr: psnr / n, ssim: ssim / n, images: pairs.length, protocol: PAPER_Y.id });
  }
  return out;
}
