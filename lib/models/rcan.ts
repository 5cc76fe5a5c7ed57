/**
 * RCAN (Zhang et al. 2018), BasicSR layout (`rcan_arch.py`): G residual groups of B channel-attention blocks.
 * Taps: 'head' (conv_first output), 'body.{g}' (residual group g output), 'body.out' (conv_after_body + skip).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../types';
import type { Rng } from '../util/rng';
import { type ChannelAttentionWeights, channelAttention } from './layers/channel-attention';
import { conv2dBias, conv2dBiasRelu } from './layers/conv';
import { addMean, subtractMean } from './layers/mean-shift';
import { assembleNet } from './layers/assemble';
import { blockScope } from './layers/block-scope';
import type { ConvWeights } from './layers/param-builder';
import { makeUpsample, upsample } from './layers/upsample';
import type { RcanConfig, SRNet } from './types';

const IMG_RANGE = 255;

type Rcab = { conv1: ConvWeights; conv2: ConvWeights; ca: ChannelAttentionWeights };
type Group = { rcabs: Rcab[]; conv: ConvWeights };

export function rcanTaps(cfg: RcanConfig): TapName[] {
  return ['head', ...Array.from({ length: cfg.groups }, (_, g) => `body.${g}`), 'body.out'];
}

/** Builds an RCAN with fresh weights drawn from `rng` (validate `cfg` first: see build.ts). */
export function buildRcan(cfg: RcanConfig, scale: Scale, rng: Rng): SRNet {
  return assembleNet(rng, (pb) => {
    const c = cfg.feats;
    const cr = Math.floor(c / cfg.reduction);
    const convFirst = pb.conv('conv_first', 3, 3, c);
    const groups: Group[] = [];
    for (let g = 0; g < cfg.groups; g++) {
      const rcabs: Rcab[] = [];
      for (let b = 0; b < cfg.blocks; b++) {
        const k = `body.${g}.residual_group.${b}.rcab`;
        rcabs.push({
          conv1: pb.conv(`${k}.0`, 3, c, c),
          conv2: pb.conv(`${k}.2`, 3, c, c),
          ca: { down: pb.conv(`${k}.3.attention.1`, 1, c, cr), up: pb.conv(`${k}.3.attention.3`, 1, cr, c) },
        });
      }
      groups.push({ rcabs, conv: pb.conv(`body.${g}.conv`, 3, c, c) });
    }
    const convAfterBody = pb.conv('conv_after_body', 3, c, c);
    const ups = makeUpsample(pb, 'upsample', scale, c);
    const convLast = pb.conv('conv_last', 3, c, 3);
    return {
      arch: cfg,
      scale,
      taps: rcanTaps(cfg),
      run(lr, tap) {
        const s = conv2dBias(subtractMean(lr, IMG_RANGE), convFirst);
        tap('head', s);
        let x = s;
        groups.forEach((grp, g) => {
          let y = x;
          for (const b of grp.rcabs) {
            const input = y;
            y = blockScope(() => {
              const t = channelAttention(conv2dBias(conv2dBiasRelu(input, b.conv1), b.conv2), b.ca);
              return tf.add<tf.Tensor4D>(input, cfg.resScale === 1 ? t : tf.mul(t, cfg.resScale));
            });
          }
          x = tf.add<tf.Tensor4D>(conv2dBias(y, grp.conv), x);
          tap(`body.${g}`, x);
        });
        const r = tf.add<tf.Tensor4D>(conv2dBias(x, convAfterBody), s);
        tap('body.out', r);
        return addMean(conv2dBias(upsample(r, ups), convLast), IMG_RANGE);
      },
    };
  });
}
