/** SwinIR's record (ArchSpec): residual Swin transformer blocks; inputs are padded to a window multiple. */
import { type Check, arrayOf, fail, finite, oneOf, posInt } from '../../config/checks';
import { swinirGraph } from '../../io/export-graph/swinir';
import type { ArchSpec } from '../arch-spec';
import { convMacs, convParams, upsamplerComplexity } from '../complexity';
import { padAmount } from '../layers/reflect-pad';
import { buildSwinIR, swinirTaps } from '../swinir';
import type { SwinIRConfig } from '../types';

const anything: Check = () => undefined; // checked in checkCross (needs other keys)

export const SWINIR: ArchSpec<SwinIRConfig> = {
  name: 'swinir',
  title: 'SwinIR',
  schema: {
    embedDim: posInt,
    depths: arrayOf(posInt),
    heads: anything,
    windowSize: posInt,
    mlpRatio: finite,
    upsampler: oneOf(['pixelshuffle', 'pixelshuffledirect']),
    upsampleFeats: posInt,
  },
  checkCross(cfg, path) {
    if (!Array.isArray(cfg.heads) || cfg.heads.length !== cfg.depths.length) {
      fail(`${path}.heads`, `an array as long as ${path}.depths (${cfg.depths.length})`, cfg.heads);
    }
    cfg.heads.forEach((h, i) => {
      posInt(`${path}.heads[${i}]`, h);
      if (cfg.embedDim % h !== 0) fail(`${path}.heads[${i}]`, `a divisor of ${path}.embedDim (${cfg.embedDim})`, h);
    });
    if (Math.floor(cfg.embedDim * cfg.mlpRatio) < 1) fail(`${path}.mlpRatio`, '> 0', cfg.mlpRatio);
  },
  build: buildSwinIR,
  taps: swinirTaps,
  bodyUnits: (cfg) => cfg.depths.length,
  // the FAKD code's thirds rule over RSTBs (no official FAKD SwinIR code; 'dukd4' adds only 'head')
  fakdUnits: (cfg) => [Math.floor(cfg.depths.length / 3), Math.floor((2 * cfg.depths.length) / 3)],
  complexity(cfg, scale, lrHeight, lrWidth) {
    const c = cfg.embedDim;
    const ws = cfg.windowSize;
    const n = ws * ws;
    const hid = Math.floor(c * cfg.mlpRatio);
    const p = (lrHeight + padAmount(lrHeight, ws)) * (lrWidth + padAmount(lrWidth, ws));
    const ln = 5 * c * p;
    let params = convParams(3, 3, c) + 2 * c; // conv_first, patch_embed.norm
    let macs = convMacs(3, 3, c, p) + ln;
    cfg.depths.forEach((depth, k) => {
      const heads = cfg.heads[k];
      const layerParams =
        2 * c + (2 * ws - 1) ** 2 * heads + (3 * c * c + 3 * c) + (c * c + c) + 2 * c + (c * hid + hid) + (hid * c + c);
      const layerMacs = 2 * ln + p * c * 3 * c + 2 * p * n * c + p * c * c + 2 * p * c * hid;
      params += depth * layerParams + convParams(3, c, c);
      macs += depth * layerMacs + convMacs(3, c, c, p);
    });
    params += 2 * c + convParams(3, c, c); // norm, conv_after_body
    macs += ln + convMacs(3, c, c, p);
    if (cfg.upsampler === 'pixelshuffle') {
      const f = cfg.upsampleFeats;
      const up = upsamplerComplexity(f, scale, p);
      params += convParams(3, c, f) + up.params + convParams(3, f, 3);
      macs += convMacs(3, c, f, p) + up.macs + convMacs(3, f, 3, p * scale * scale);
    } else {
      params += convParams(3, c, 3 * scale * scale);
      macs += convMacs(3, c, 3 * scale * scale, p);
    }
    return { params, macs };
  },
  describe: (a) =>
    `SwinIR embedDim=${a.embedDim} depths=[${a.depths.join(',')}] heads=[${a.heads.join(',')}] ` +
    `windowSize=${a.windowSize} mlpRatio=${a.mlpRatio} upsampler=${a.upsampler}` +
    (a.upsampler === 'pixelshuffle' ? ` upsampleFeats=${a.upsampleFeats}` : ''),
  recognises: (keys) => keys.some((k) => k.startsWith('patch_embed.') || /^layers\.\d+\.residual_group\.blocks\./.test(k)),
  fromWeights(w) {
    const embedDim = w.need('conv_first.weight')[3];
    const rstbs = w.count(/^layers\.(\d+)\.conv\.weight$/);
    const depths: number[] = [];
    const heads: number[] = [];
    for (let k = 0; k < rstbs; k++) {
      depths.push(w.count(new RegExp(`^layers\\.${k}\\.residual_group\\.blocks\\.(\\d+)\\.norm1\\.weight$`)));
      heads.push(w.need(`layers.${k}.residual_group.blocks.0.attn.relative_position_bias_table`)[1]);
    }
    const span = Math.sqrt(w.need('layers.0.residual_group.blocks.0.attn.relative_position_bias_table')[0]);
    const windowSize = (span + 1) / 2;
    const hidden = w.need('layers.0.residual_group.blocks.0.mlp.fc1.weight')[1];
    const before = w.shape('conv_before_upsample.0.weight');
    const upsampler = before !== null ? 'pixelshuffle' : 'pixelshuffledirect';
    return {
      arch: {
        arch: 'swinir', embedDim, depths, heads, windowSize, mlpRatio: hidden / embedDim, upsampler,
        upsampleFeats: before !== null ? before[3] : 64,
      },
      guessed: before !== null ? [] : ['upsampleFeats'],
    };
  },
  exportGraph: swinirGraph,
  tileMultiple: (cfg) => cfg.windowSize,
  // BasicSR's SwinIR: drop_path_rate 0.1 by default, linear over the blocks (models/layers/drop-path.ts)
  dropPath: true,
  exactOverlap: () => null,
  dukdDefaults: () => ({ recWeight: 5, kdWeight: 1, zoomOut: false, invAug: true, tiles: 1 }),
  augkdZoomOut: false,
};
