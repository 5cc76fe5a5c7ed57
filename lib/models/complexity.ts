/**
 * Analytic model complexity (spec/architectures.md 5 and 5.1).
 * - Parameters: every trainable tensor (SwinIR's relative_position_bias_table included; buffers and the fixed
 *   RGB mean excluded), i.e. BasicSR's nn.Parameter count.
 * - MACs, fvcore convention (what DUKD Table 1 calls "FLOPs"): 1 per multiply-accumulate of conv / linear /
 *   batched matmul (SwinIR's q k^T and attn v included; bias adds not counted), + 5 per input element of each
 *   affine LayerNorm, + 1 per input element of global average pooling (RCAN). Element-wise ops, activations,
 *   softmax, pixel shuffle, roll and the mean shift are free. SwinIR is counted on the window-padded input.
 */
import type { Scale } from '../types';
import { padAmount } from './layers/reflect-pad';
import { upsampleFactors } from './layers/upsample';
import type { ArchConfig, SRNet } from './types';

export type Complexity = { params: number; macs: number };

const convParams = (k: number, cin: number, cout: number): number => k * k * cin * cout + cout;
const convMacs = (k: number, cin: number, cout: number, pixels: number): number => pixels * cout * cin * k * k;

/** Params and MACs of the conv+shuffle upsampler at `pixels` input pixels. */
function upsampler(feats: number, scale: number, pixels: number): Complexity {
  let params = 0;
  let macs = 0;
  let p = pixels;
  for (const r of upsampleFactors(scale)) {
    params += convParams(3, feats, r * r * feats);
    macs += convMacs(3, feats, r * r * feats, p);
    p *= r * r;
  }
  return { params, macs };
}

/**
 * Parameter count and MAC count of `arch` at `scale` for an LR input of lrHeight x lrWidth
 * (default 256 x 256, the Table 1 setting). Batch size 1.
 */
export function analyticComplexity(arch: ArchConfig, scale: Scale, lrHeight = 256, lrWidth = 256): Complexity {
  switch (arch.arch) {
    case 'edsr':
    case 'rcan': {
      const c = arch.feats;
      const p = lrHeight * lrWidth;
      let params = convParams(3, 3, c) + convParams(3, c, c) + convParams(3, c, 3); // first, after_body, last
      let macs = convMacs(3, 3, c, p) + convMacs(3, c, c, p) + convMacs(3, c, 3, p * scale * scale);
      if (arch.arch === 'edsr') {
        params += arch.blocks * 2 * convParams(3, c, c);
        macs += arch.blocks * 2 * convMacs(3, c, c, p);
      } else {
        const cr = Math.floor(c / arch.reduction);
        const rcabParams = 2 * convParams(3, c, c) + convParams(1, c, cr) + convParams(1, cr, c);
        const rcabMacs = 2 * convMacs(3, c, c, p) + c * p + convMacs(1, c, cr, 1) + convMacs(1, cr, c, 1);
        params += arch.groups * (arch.blocks * rcabParams + convParams(3, c, c));
        macs += arch.groups * (arch.blocks * rcabMacs + convMacs(3, c, c, p));
      }
      const up = upsampler(c, scale, p);
      return { params: params + up.params, macs: macs + up.macs };
    }
    case 'swinir': {
      const c = arch.embedDim;
      const ws = arch.windowSize;
      const n = ws * ws;
      const hid = Math.floor(c * arch.mlpRatio);
      const p = (lrHeight + padAmount(lrHeight, ws)) * (lrWidth + padAmount(lrWidth, ws));
      const ln = 5 * c * p;
      let params = convParams(3, 3, c) + 2 * c; // conv_first, patch_embed.norm
      let macs = convMacs(3, 3, c, p) + ln;
      arch.depths.forEach((depth, k) => {
        const heads = arch.heads[k];
        const layerParams =
          2 * c + (2 * ws - 1) ** 2 * heads + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (c * hid + hid) + (hid * c + c);
        const layerMacs = 2 * ln + p * c * 3 * c + 2 * p * n * c + p * c * c + 2 * p * c * hid;
        params += depth * layerParams + convParams(3, c, c);
        macs += depth * layerMacs + convMacs(3, c, c, p);
      });
      params += 2 * c + convParams(3, c, c); // norm, conv_after_body
      macs += ln + convMacs(3, c, c, p);
      if (arch.upsampler === 'pixelshuffle') {
        const f = arch.upsampleFeats;
        const up = upsampler(f, scale, p);
        params += convParams(3, c, f) + up.params + convParams(3, f, 3);
        macs += convMacs(3, c, f, p) + up.macs + convMacs(3, f, 3, p * scale * scale);
      } else {
        params += convParams(3, c, 3 * scale * scale);
        macs += convMacs(3, c, 3 * scale * scale, p);
      }
      return { params, macs };
    }
  }
}

/** Analytic parameter count (see analyticComplexity). */
export function analyticParams(arch: ArchConfig, scale: Scale): number {
  return analyticComplexity(arch, scale, 8, 8).params;
}

/** Analytic MAC count (fvcore convention; Table 1 "FLOPs") for an LR input of lrHeight x lrWidth. */
export function analyticMacs(arch: ArchConfig, scale: Scale, lrHeight = 256, lrWidth = 256): number {
  return analyticComplexity(arch, scale, lrHeight, lrWidth).macs;
}

/** Number of trainable values actually held by a built network. */
export function countParams(net: SRNet): number {
  let n = 0;
  for (const v of net.params.values()) n += v.size;
  return n;
}
