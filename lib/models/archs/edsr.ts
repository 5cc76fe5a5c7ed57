/** EDSR's record (ArchSpec): BasicSR layout, conv-only (so tiles with enough overlap are exact). */
import { finite, posInt } from '../../config/checks';
import { edsrGraph } from '../../io/export-graph/edsr';
import type { ArchSpec } from '../arch-spec';
import { convMacs, convParams, upsamplerComplexity } from '../complexity';
import { buildEdsr, edsrTaps } from '../edsr';
import { upsampleFactors } from '../layers/upsample';
import type { EdsrConfig } from '../types';

export const EDSR: ArchSpec<EdsrConfig> = {
  name: 'edsr',
  title: 'EDSR',
  schema: { feats: posInt, blocks: posInt, resScale: finite },
  build: buildEdsr,
  taps: edsrTaps,
  bodyUnits: (cfg) => cfg.blocks,
  // FAKD code: after floor(n/3) and floor(2n/3) blocks; DUKD code taps 0-based blocks floor(n/3) and
  // floor(2n/3), i.e. one block later (EDSR 32: after blocks 11 and 22 = taps body.10, body.21).
  fakdUnits: (cfg, mode) => {
    const n = cfg.blocks;
    const [a, b] = [Math.floor(n / 3), Math.floor((2 * n) / 3)];
    return mode === 'thirds' ? [a, b] : [a + 1, b + 1];
  },
  complexity(cfg, scale, lrHeight, lrWidth) {
    const c = cfg.feats;
    const p = lrHeight * lrWidth;
    const params = convParams(3, 3, c) + convParams(3, c, c) + convParams(3, c, 3) + cfg.blocks * 2 * convParams(3, c, c);
    const macs = convMacs(3, 3, c, p) + convMacs(3, c, c, p) + convMacs(3, c, 3, p * scale * scale) + cfg.blocks * 2 * convMacs(3, c, c, p);
    const up = upsamplerComplexity(c, scale, p);
    return { params: params + up.params, macs: macs + up.macs };
  },
  describe: (a) => `EDSR feats=${a.feats} blocks=${a.blocks}`,
  recognises: (keys) => keys.some((k) => /^body\.\d+\.conv[12]\./.test(k)),
  fromWeights(w) {
    const feats = w.need('conv_first.weight')[3];
    const blocks = w.count(/^body\.(\d+)\.conv1\.weight$/);
    // res_scale leaves no trace in the weights: the original EDSR-baseline (C64 B16, also BasicSR's EDSR_M
    // conversions) uses 1, every DUKD EDSR and the full EDSR 0.1.
    const resScale = feats === 64 && blocks === 16 ? 1 : 0.1;
    return { arch: { arch: 'edsr', feats, blocks, resScale }, guessed: ['resScale'] };
  },
  exportGraph: edsrGraph,
  tileMultiple: () => 1,
  // conv_first + 2 per residual block + conv_after_body + one per upsample stage + conv_last
  exactOverlap: (cfg, scale) => 1 + 2 * cfg.blocks + 1 + upsampleFactors(scale).length + 1,
  dukdDefaults: (scale) => ({ recWeight: 5, kdWeight: 1, zoomOut: true, invAug: true, tiles: scale === 2 ? 2 : 1 }),
  augkdZoomOut: true,
};
