/**
 * The conv + PixelShuffle upsampler of EDSR, RCAN and SwinIR 'pixelshuffle' (BasicSR `arch_util.Upsample`):
 * x2: conv3 F->4F (`upsample.0`) + shuffle(2); x3: conv3 F->9F + shuffle(3); x4: two x2 stages
 * (`upsample.0`, `upsample.2`). No activation inside.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBias, type ConvParams } from './conv';
import type { ParamBuilder } from './param-builder';
import { pixelShuffle } from './pixel-shuffle';

export type UpsampleStage = { conv: ConvParams; r: number };

/** Shuffle factors of the stages for a scale: powers of two use x2 stages, 3 uses one x3 stage. */
export function upsampleFactors(scale: number): number[] {
  if (scale === 3) return [3];
  const out: number[] = [];
  let s = scale;
  while (s > 1 && s % 2 === 0) {
    out.push(2);
    s /= 2;
  }
  if (s !== 1) throw new Error(`upsampler supports scales 2^n and 3 (got ${scale})`);
  return out;
}

export function makeUpsample(pb: ParamBuilder, prefix: string, scale: number, feats: number): UpsampleStage[] {
  return upsampleFactors(scale).map((r, i) => ({ conv: pb.conv(`${prefix}.${2 * i}`, 3, feats, r * r * feats), r }));
}

export function upsample(x: tf.Tensor4D, stages: readonly UpsampleStage[]): tf.Tensor4D {
  let y = x;
  for (const s of stages) y = pixelShuffle(conv2dBias(y, s.conv), s.r);
  return y;
}
