/** RCAN's record (ArchSpec): residual groups of channel-attention blocks (global pooling: only whole-image tiles are exact). */
import { fail, finite, posInt } from '../../config/checks';
import { rcanGraph } from '../../io/export-graph/rcan';
import type { ArchSpec } from '../arch-spec';
import { convMacs, convParams, upsamplerComplexity } from '../complexity';
import { buildRcan, rcanTaps } from '../rcan';
import type { RcanConfig } from '../types';

export const RCAN: ArchSpec<RcanConfig> = {
  name: 'rcan',
  title: 'RCAN',
  schema: { feats: posInt, groups: posInt, blocks: posInt, reduction: posInt, resScale: finite },
  checkCross(cfg, path) {
    if (cfg.reduction > cfg.feats) fail(`${path}.reduction`, `at most ${path}.feats (${cfg.feats})`, cfg.reduction);
  },
  build: buildRcan,
  taps: rcanTaps,
  bodyUnits: (cfg) => cfg.groups,
  // FAKD code's RCAN (10 groups) taps after groups 3 and 7 (0-based 2 and 6); DUKD code the same.
  fakdUnits: (cfg) => (cfg.groups === 10 ? [3, 7] : [Math.floor(cfg.groups / 3), Math.floor((2 * cfg.groups) / 3)]),
  complexity(cfg, scale, lrHeight, lrWidth) {
    const c = cfg.feats;
    const p = lrHeight * lrWidth;
    const cr = Math.floor(c / cfg.reduction);
    const rcabParams = 2 * convParams(3, c, c) + convParams(1, c, cr) + convParams(1, cr, c);
    const rcabMacs = 2 * convMacs(3, c, c, p) + c * p + convMacs(1, c, cr, 1) + convMacs(1, cr, c, 1);
    const params = convParams(3, 3, c) + convParams(3, c, c) + convParams(3, c, 3) + cfg.groups * (cfg.blocks * rcabParams + convParams(3, c, c));
    const macs = convMacs(3, 3, c, p) + convMacs(3, c, c, p) + convMacs(3, c, 3, p * scale * scale) +
      cfg.groups * (cfg.blocks * rcabMacs + convMacs(3, c, c, p));
    const up = upsamplerComplexity(c, scale, p);
    return { params: params + up.params, macs: macs + up.macs };
  },
  describe: (a) => `RCAN feats=${a.feats} groups=${a.groups} blocks=${a.blocks} reduction=${a.reduction}`,
  recognises: (keys) => keys.some((k) => /^body\.\d+\.residual_group\.\d+\.rcab\./.test(k)),
  fromWeights(w) {
    const feats = w.need('conv_first.weight')[3];
    const groups = w.count(/^body\.(\d+)\.conv\.weight$/);
    const blocks = w.count(/^body\.0\.residual_group\.(\d+)\.rcab\.0\.weight$/);
    const squeezed = w.need('body.0.residual_group.0.rcab.3.attention.1.weight')[3];
    return { arch: { arch: 'rcan', feats, groups, blocks, reduction: Math.round(feats / squeezed), resScale: 1 }, guessed: ['resScale'] };
  },
  exportGraph: rcanGraph,
  tileMultiple: () => 1,
  exactOverlap: () => null,
  // x3: weights 2/1 with zoom-out and augmentation; x2 has no `noisy` block and x4 probability 0.0: both mean
  // no invertible augmentation, and neither config zooms out.
  dukdDefaults: (scale) =>
    scale === 3
      ? { recWeight: 2, kdWeight: 1, zoomOut: true, invAug: true, tiles: 1 }
      : { recWeight: 1, kdWeight: 1, zoomOut: false, invAug: false, tiles: 1 },
  augkdZoomOut: true,
};
