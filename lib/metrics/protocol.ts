/**
 * The evaluation protocol as a value: every result row and table names its protocol, so numbers made under
 * different protocols are never compared unawares. `PAPER_Y` is what the DUKD paper and
 * BasicSR report: Y (BT.601) PSNR/SSIM, `scale` border pixels cropped, outputs quantised to uint8,
 * LR inputs made by MATLAB bicubic (BasicSR `psnr_ssim.py`, RCAN's `Evaluate_PSNR_SSIM.m`).
 */
import type { RgbImage } from '../data/image';
import { psnrRgb, psnrY } from './psnr';
import { ssimRgb, ssimY } from './ssim';

export interface EvalProtocol {
  readonly id: string;
  /** Which channel(s) the metrics read. */
  readonly channel: 'y-bt601' | 'rgb';
  /** Border pixels removed on every side: the scale, or a fixed number. */
  readonly crop: 'scale' | number;
  /** How network outputs become images before scoring. */
  readonly quantize: 'uint8';
  /** How LR inputs are made from HR. */
  readonly lrFrom: 'matlab-bicubic';
}

export const PAPER_Y: EvalProtocol = { id: 'paper-y', channel: 'y-bt601', crop: 'scale', quantize: 'uint8', lrFrom: 'matlab-bicubic' };

/** One line, e.g. "paper-y: PSNR/SSIM on Y (BT.601), border crop = scale, uint8 outputs, LR by MATLAB bicubic". */
export function describeProtocol(p: EvalProtocol): string {
  const channel = p.channel === 'y-bt601' ? 'Y (BT.601)' : 'RGB';
  const crop = p.crop === 'scale' ? 'scale' : `${p.crop} px`;
  return `${p.id}: PSNR/SSIM on ${channel}, border crop = ${crop}, outputs quantised to ${p.quantize}, LR by ${p.lrFrom.replace('-', ' ')}`;
}

/** Border crop the protocol uses at this scale. */
export function cropBorder(p: EvalProtocol, scale: number): number {
  return p.crop === 'scale' ? scale : p.crop;
}

export type ImageScore = { psnr: number; ssim: number };

/** PSNR and SSIM of one SR/HR pair (same size, HR already mod-cropped) under `protocol`. */
export function scorePair(sr: RgbImage, hr: RgbImage, scale: number, protocol: EvalProtocol = PAPER_Y): ImageScore {
  const crop = cropBorder(protocol, scale);
  if (protocol.channel === 'y-bt601') return { psnr: psnrY(sr, hr, crop), ssim: ssimY(sr, hr, crop) };
  return { psnr: psnrRgb(sr, hr, crop), ssim: ssimRgb(sr, hr, crop) };
}
