/**
 * EDSR (Lim et al. 2017), BasicSR layout (`edsr_arch.py`): B residual blocks conv-ReLU-conv scaled by resScale.
 * Taps: 'head' (conv_first output), 'body.{i}' (residual block i output), 'body.out' (conv_after_body + skip).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../types';
import type { Rng } from '../util/rng';
import { conv2dBias, conv2dBiasRelu } from './layers/conv';
import { addMean, subtractMean } from './layers/mean-shift';
import { assembleNet } from './layers/assemble';
import type { ConvWeights } from './layers/param-builder';
import { makeUpsample, upsample } from './layers/upsample';
import type { EdsrConfig, SRNet } from './types';

const IMG_RANGE = 255;

export function edsrTaps(cfg: EdsrConfig): TapName[] {
  return ['head', ...Array.from({ length: cfg.blocks }, (_, i) => `body.${i}`), 'body.out'];
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
    return {
      arch: cfg,
      scale,
      taps: edsrTaps(cfg),
      run(lr, tap) {
        const s = conv2dBias(subtractMean(lr, IMG_RANGE), convFirst);
        tap('head', s);
        let x = s;
        blocks.forEach((b, i) => {
          const t = conv2dBias(conv2dBiasRelu(x, b.conv1), b.conv2);
          x = tf.add<tf.Tensor4D>(x, cfg.resScale === 1 ? t : tf.mul(t, cfg.resScale));
          tap(`body.${i}`, x);
        });
        const r = tf.add<tf.Tensor4D>(conv2dBias(x, convAfterBody), s);
        tap('body.out', r);
        return addMean(conv2dBias(upsample(r, ups), convLast), IMG_RANGE);
      },
    };
  });
}
