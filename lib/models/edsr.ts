/**
 * EDSR (Lim et al. 2017), BasicSR layout (`edsr_arch.py`): B residual blocks conv-ReLU-conv scaled by resScale.
 * Taps: 'head' (conv_first output), 'body.{i}' (residual block i output), 'body.out' (conv_after_body + skip).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../types';
import type { Rng } from '../util/rng';
import { conv2dBias, conv2dBiasRelu, type ConvParams } from './layers/conv';
import { addMean, subtractMean } from './layers/mean-shift';
import { assembleNet, type TapRecorder } from './layers/assemble';
import { blockScope } from './layers/block-scope';
import type { ConvWeights } from './layers/param-builder';
import { makeUpsample, upsample, type UpsampleStage } from './layers/upsample';
import type { EdsrConfig, SRNet } from './types';

const IMG_RANGE = 255;

export function edsrTaps(cfg: EdsrConfig): TapName[] {
  return ['head', ...Array.from({ length: cfg.blocks }, (_, i) => `body.${i}`), 'body.out'];
}

/** EDSR's weights in forward order: variables of a built net, or slices of them (CSD's width-w student). */
export type EdsrWeights = {
  readonly convFirst: ConvParams;
  readonly blocks: readonly { readonly conv1: ConvParams; readonly conv2: ConvParams }[];
  readonly convAfterBody: ConvParams;
  readonly upsample: readonly UpsampleStage[];
  readonly convLast: ConvParams;
};

/** The EDSR forward pass over given weights (call inside tf.tidy). */
export function edsrForward(w: EdsrWeights, resScale: number, lr: tf.Tensor4D, tap: TapRecorder): tf.Tensor4D {
  const s = conv2dBias(subtractMean(lr, IMG_RANGE), w.convFirst);
  tap('head', s);
  let x = s;
  w.blocks.forEach((b, i) => {
    const input = x;
    x = blockScope(() => {
      const t = conv2dBias(conv2dBiasRelu(input, b.conv1), b.conv2);
      return tf.add<tf.Tensor4D>(input, resScale === 1 ? t : tf.mul(t, resScale));
    });
    tap(`body.${i}`, x);
  });
  const r = tf.add<tf.Tensor4D>(conv2dBias(x, w.convAfterBody), s);
  tap('body.out', r);
  return addMean(conv2dBias(upsample(r, w.upsample), w.convLast), IMG_RANGE);
}

/** Builds an EDSR with fresh weights drawn from `rng` (validate `cfg` first: see build.ts). */
export function buildEdsr(cfg: EdsrConfig, scale: Scale, rng: Rng): SRNet {
  return assembleNet(rng, (pb) => {
    const c = cfg.feats;
    const convFirst = pb.conv('conv_first', 3, 3, c);
    const blocks: { conv1: ConvWeights; conv2: ConvWeights }[] = [];
    for (let i = 0; i < cfg.blocks; i++) {
      blocks.push({ conv1: pb.conv(`body.${i}.conv1`, 3, c, c), conv2: pb.conv(`body.${i}.conv2`, 3, c, c) });
    }
    const convAfterBody = pb.conv('conv_after_body', 3, c, c);
    const ups = makeUpsample(pb, 'upsample', scale, c);
    const convLast = pb.conv('conv_last', 3, c, 3);
    const weights: EdsrWeights = { convFirst, blocks, convAfterBody, upsample: ups, convLast };
    return {
      arch: cfg,
      scale,
      taps: edsrTaps(cfg),
      run: (lr, tap) => edsrForward(weights, cfg.resScale, lr, tap),
    };
  });
}
