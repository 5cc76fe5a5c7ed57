/** SwinIR as a TF.js layers graph, op for op the kit's forward pass (weights placed by GraphBuilder). */
import * as tf from '@tensorflow/tfjs';
import type { SwinIRConfig } from '../../models/types';
import { CropToScale, MeanShift, PixelShuffle, SWIN_LAYER_WEIGHTS, SwinLayer, WindowPad } from '../tfjs-layers';
import { type GraphBuilder, type SymT, add } from './builder';

export function swinirGraph(g: GraphBuilder, x: SymT, cfg: SwinIRConfig, scale: number): SymT {
  const ws = cfg.windowSize;
  const shift = Math.floor(ws / 2);
  const hidden = Math.floor(cfg.embedDim * cfg.mlpRatio);
  const xp = new WindowPad({ name: 'window_pad', multiple: ws }).apply(x) as SymT;
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 1 }).apply(xp) as SymT, 'conv_first');
  let h = g.layerNorm(s, 'patch_embed.norm');
  cfg.depths.forEach((depth, k) => {
    let y = h;
    for (let d = 0; d < depth; d++) {
      const key = `layers.${k}.residual_group.blocks.${d}`;
      const layer = new SwinLayer({
        name: key, dim: cfg.embedDim, heads: cfg.heads[k], windowSize: ws, shift: d % 2 === 1 ? shift : 0, hidden,
      });
      y = layer.apply(y) as SymT;
      g.bind(layer, SWIN_LAYER_WEIGHTS.map((w) => `${key}.${w}`)); // SwinLayer creates its weights in this order
    }
    h = add(`layers.${k}.add`, g.conv(y, `layers.${k}.conv`), h);
  });
  const r = add('body.add_skip', g.conv(g.layerNorm(h, 'norm'), 'conv_after_body'), s);
  let out: SymT;
  if (cfg.upsampler === 'pixelshuffle') {
    const before = tf.layers.leakyReLU({ name: 'conv_before_upsample.1', alpha: 0.01 }).apply(g.conv(r, 'conv_before_upsample.0')) as SymT;
    out = g.conv(g.upsample(before, 'upsample', scale), 'conv_last');
  } else {
    out = new PixelShuffle({ name: 'upsample.1', factor: scale }).apply(g.conv(r, 'upsample.0')) as SymT;
  }
  const y = new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 1 }).apply(out) as SymT;
  return new CropToScale({ name: 'crop', scale }).apply([y, x]) as SymT;
}
