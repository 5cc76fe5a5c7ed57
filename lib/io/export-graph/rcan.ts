/** RCAN as a TF.js layers graph, op for op the kit's forward pass (weights placed by GraphBuilder). */
import * as tf from '@tensorflow/tfjs';
import type { RcanConfig } from '../../models/types';
import { MeanShift, Scale } from '../tfjs-layers';
import { type GraphBuilder, type SymT, add } from './builder';

export function rcanGraph(g: GraphBuilder, x: SymT, cfg: RcanConfig, scale: number): SymT {
  const c = cfg.feats;
  const s = g.conv(new MeanShift({ name: 'sub_mean', mode: 'sub', imgRange: 255 }).apply(x) as SymT, 'conv_first');
  let h = s;
  for (let gi = 0; gi < cfg.groups; gi++) {
    let y = h;
    for (let b = 0; b < cfg.blocks; b++) {
      const k = `body.${gi}.residual_group.${b}.rcab`;
      const t = g.conv(g.conv(y, `${k}.0`, 'relu'), `${k}.2`);
      const pooled = tf.layers.globalAveragePooling2d({ name: `${k}.3.attention.0` }).apply(t) as SymT;
      const p4 = tf.layers.reshape({ name: `${k}.3.attention.0.reshape`, targetShape: [1, 1, c] }).apply(pooled) as SymT;
      const a = g.conv(g.conv(p4, `${k}.3.attention.1`, 'relu'), `${k}.3.attention.3`, 'sigmoid');
      let ta = tf.layers.multiply({ name: `${k}.3.multiply` }).apply([t, a]) as SymT;
      if (cfg.resScale !== 1) ta = new Scale({ name: `${k}.res_scale`, factor: cfg.resScale }).apply(ta) as SymT;
      y = add(`${k}.add`, y, ta);
    }
    h = add(`body.${gi}.add`, g.conv(y, `body.${gi}.conv`), h);
  }
  const r = add('body.add_skip', g.conv(h, 'conv_after_body'), s);
  const out = g.conv(g.upsample(r, 'upsample', scale), 'conv_last');
  return new MeanShift({ name: 'add_mean', mode: 'add', imgRange: 255 }).apply(out) as SymT;
}
