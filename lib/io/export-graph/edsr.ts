/** EDSR as a TF.js layers graph, op for op the kit's forward pass (weights placed by GraphBuilder). */
import * as tf from '@tensorflow/tfjs';
import type { EdsrConfig } from '../../models/types';
import { MeanShift, Scale } from '../tfjs-layers';
import { type GraphBuilder, type SymT, add } from './builder';

export function edsrGraph(g: GraphBuilder, x: SymT, cfg: EdsrConfig, scale: number): SymT {
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 255 }).apply(x) as SymT, 'conv_first');
  let h = s;
  for (let i = 0; i < cfg.blocks; i++) {
    let t = g.conv(g.conv(h, `body.${i}.conv1`, 'relu'), `body.${i}.conv2`);
    if (cfg.resScale !== 1) t = new Scale({ name: `body.${i}.res_scale`, factor: cfg.resScale }).apply(t) as SymT;
    h = add(`body.${i}.add`, h, t);
  }
  const r = add('body.add_skip', g.conv(h, 'conv_after_body'), s);
  const out = g.conv(g.upsample(r, 'upsample', scale), 'conv_last');
  return new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 255 }).apply(out) as SymT;
}
