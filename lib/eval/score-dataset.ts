/**
 * Mean Y-PSNR/SSIM of a network over a dataset's pairs (mean of per-image values), whole-image inference,
 * PAPER_Y protocol (with '+flip-pad' when `pad` is 'flip' on a windowed net: eval/test-pad.ts). Shared by validation during training and the reproduction jobs' held-out scores.
 */
import type { Dataset } from '../data/datasets';
import { createImage, imageToTensor, quantizeUnit } from '../data/image';
import { PAPER_Y, scorePair } from '../metrics/protocol';
import type { SRNet } from '../models/types';
import { type TestPad, padProtocolId, upscaleWithPad } from './test-pad';
import type { upscaleTiledData } from './tiled';

export type DatasetScore = { readonly psnr: number; readonly ssim: number; readonly images: number; readonly protocol: string };

/** Leaves no tensors behind; `limit` scores only the first N pairs. */
export async function scoreDataset(net: SRNet, dataset: Dataset, limit?: number | null, pad: TestPad = 'reflect'): Promise<DatasetScore> {
  const pairs = limit ? dataset.pairs.slice(0, limit) : dataset.pairs;
  let psnr = 0;
  let ssim = 0;
  for (const pair of pairs) {
    const { lr, hr } = await pair.load();
    const x = imageToTensor(lr);
    let y: Awaited<ReturnType<typeof upscaleTiledData>>;
    try {
      y = await upscaleWithPad(net, x, pad, { tile: 0 });
    } finally {
      x.dispose();
    }
    const s = scorePair(createImage(y.height, y.width, quantizeUnit(y.data)), hr, net.scale, PAPER_Y);
    psnr += s.psnr;
    ssim += s.ssim;
  }
  const n = Math.max(1, pairs.length);
  return { psnr: psnr / n, ssim: ssim / n, images: pairs.length, protocol: padProtocolId(PAPER_Y.id, pad, net.arch) };
}
