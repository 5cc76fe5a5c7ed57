/**
 * Analytic model complexity; reproduces every params/FLOPs value of DUKD Table 1 to the printed digits.
 * - Parameters: every trainable tensor (SwinIR's relative_position_bias_table included; buffers and the fixed
 *   RGB mean excluded), i.e. BasicSR's nn.Parameter count.
 * - MACs, fvcore convention (what DUKD Table 1 calls "FLOPs"): 1 per multiply-accumulate of conv / linear /
 *   batched matmul (SwinIR's q k^T and attn v included; bias adds not counted), + 5 per input element of each
 *   affine LayerNorm, + 1 per input element of global average pooling (RCAN). Element-wise ops, activations,
 *   softmax, pixel shuffle, roll and the mean shift are free. SwinIR is counted on the window-padded input.
 * This file holds the building blocks; each backbone's count is its ArchSpec.complexity (archs/), the totals
 * are `analyticComplexity` in archs/index.ts.
 */
import { upsampleFactors } from './layers/upsample';
import type { Complexity } from './arch-spec';
import type { SRNet } from './types';

export type { Complexity };

export const convParams = (k: number, cin: number, cout: number): number => k * k * cin * cout + cout;
export const convMacs = (k: number, cin: number, cout: number, pixels: number): number => pixels * cout * cin * k * k;

/** Params and MACs of the conv+shuffle upsampler at `pixels` input pixels. */
export function upsamplerComplexity(feats: number, scale: number, pixels: number): Complexity {
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

/** Number of trainable values actually held by a built network. */
export function countParams(net: SRNet): number {
  let n = 0;
  for (const v of net.params.values()) n += v.size;
  return n;
}
