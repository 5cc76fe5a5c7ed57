/**
 * CSD's shared weights seen from outside a run, for notebook 11 and reports:
 *
 *   csdSharedNet(runDir, { ema }) → the full-width shared EDSR of a CSD run's newest checkpoint (EMA values by
 *       default; the run's model/ holds only the slice)
 *   csdWidthOutputs(shared, lr, hr, widthMult) → T(x) (width 1) and S(x) (width w) of the same weights, each with
 *       its PSNR/SSIM against `hr` (PAPER_Y: Y channel, border = scale)
 *   csdLayerRatios(cfg, shared, lr) → L_CL of an LR batch split by VGG tap (d_i, e_i, d_i / (e_i + 1e-7), w_i times
 *       it), with the method's feature network and negatives made as in training (the first K LR images in a seeded
 *       random order, PyTorch bicubic), and the note when that network is the untrained stand-in
 *   csdRatioFigure(layers, note) → bars of the ratio and its weighted part per tap
 */
import * as tf from '@tensorflow/tfjs';
import type { CsdConfig } from '../distill/csd';
import { csdFeatureNet } from '../distill/csd';
import { tensorToImage } from '../data/image';
import { CSD_VGG_WEIGHTS, type CsdLayerRatio, csdContrastiveLayers, csdNegativeOrder, csdNegatives } from '../losses/csd-contrastive';
import { PAPER_Y, scorePair, type ImageScore } from '../metrics/protocol';
import { buildModel } from '../models/build';
import { assertCsdBackbone, slimEdsrForward } from '../models/csd-edsr';
import type { SRNet } from '../models/types';
import { latestCheckpoint } from '../train/checkpoint';
import type { Scale } from '../types';
import { Rng } from '../util/rng';
import type { PlotFigure } from '../viz/plot';

/** The shared full-width EDSR of a CSD run (the caller disposes `net`); errors name the run and what is missing. */
export function csdSharedNet(runDir: string, opts: { readonly ema?: boolean } = {}): { net: SRNet; step: number; config: CsdConfig; ema: boolean } {
  const ckpt = latestCheckpoint(runDir);
  if (ckpt === null) throw new Error(`csd run ${runDir}: no checkpoint under ckpt/ (the shared weights live only there; model/ is the slice)`);
  const cfg = ckpt.config;
  if (cfg.method.kind !== 'csd') throw new Error(`csd run ${runDir}: method.kind is '${cfg.method.kind}', not 'csd'`);
  if (cfg.teacher === null) throw new Error(`csd run ${runDir}: config has no teacher (the shared network)`);
  assertCsdBackbone(cfg.teacher);
  const useEma = (opts.ema ?? true) && ckpt.ema !== null;
  const values = useEma ? ckpt.ema! : ckpt.weights;
  const net = buildModel(cfg.teacher, cfg.scale as Scale, { seed: 0 });
  try {
    const params = [...net.params.entries()];
    if (values.length !== params.length) throw new Error(`csd run ${runDir}: checkpoint step ${ckpt.state.step} has ${values.length} arrays, the shared EDSR ${params.length} parameters`);
    params.forEach(([k, v], i) => {
      if (values[i].length !== v.size) throw new Error(`csd run ${runDir}: checkpoint array ${i} has ${values[i].length} values, '${k}' [${v.shape}] needs ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(values[i], v.shape, 'float32')));
    });
  } catch (e) {
    net.dispose();
    throw e;
  }
  return { net, step: ckpt.state.step, config: cfg.method, ema: useEma };
}

export type CsdWidthOutputs = {
  /** T(x): the shared weights at width 1, [1, sH, sW, 3]. */
  teacher: tf.Tensor4D;
  /** S(x): their first int(C·w) channels, same shape. */
  student: tf.Tensor4D;
};

/** T(x) and S(x) of one LR image and their scores against `hr` (outputs clamped to [0, 1] for scoring). The caller owns the tensors. */
export function csdWidthOutputs(shared: SRNet, lr: tf.Tensor4D, hr: tf.Tensor4D, widthMult: number): CsdWidthOutputs & { scores: { teacher: ImageScore; student: ImageScore } } {
  if (lr.shape[0] !== 1) throw new Error(`csdWidthOutputs: one image at a time (lr has batch ${lr.shape[0]})`);
  const out = tf.tidy(() => ({
    teacher: tf.clipByValue(shared.forward(lr).out, 0, 1) as tf.Tensor4D,
    student: tf.clipByValue(slimEdsrForward(shared, lr, widthMult), 0, 1) as tf.Tensor4D,
  }));
  const ref = tensorToImage(hr);
  const score = (t: tf.Tensor4D): ImageScore => scorePair(tensorToImage(t), ref, shared.scale, PAPER_Y);
  return { ...out, scores: { teacher: score(out.teacher), student: score(out.student) } };
}

/** See the file comment. `lr`: a batch of at least one LR image (K = min(cfg.negatives, batch)); the caller owns it. */
export async function csdLayerRatios(
  cfg: Pick<CsdConfig, 'featureWeights' | 'negatives' | 'widthMult'>, shared: SRNet, lr: tf.Tensor4D, opts: { readonly seed?: number } = {},
): Promise<{ layers: CsdLayerRatio[]; loss: number; negatives: number; note: string | null }> {
  const b = lr.shape[0];
  const k = Math.min(cfg.negatives, b);
  const order = csdNegativeOrder(new Rng(opts.seed ?? 0), k, b);
  const { net, note } = csdFeatureNet(cfg);
  const inp = tf.tidy(() => ({
    teacher: shared.forward(lr).out, student: slimEdsrForward(shared, lr, cfg.widthMult), negatives: csdNegatives(lr, order, shared.scale),
  }));
  try {
    const layers = await csdContrastiveLayers(net, inp, CSD_VGG_WEIGHTS);
    return { layers, loss: layers.reduce((s, l) => s + l.weighted, 0), negatives: k, note };
  } finally {
    tf.dispose(inp);
    net.dispose();
  }
}

/** Bars per VGG tap: the ratio d_i / (e_i + 1e-7) and w_i times it (what L_CL sums). */
export function csdRatioFigure(layers: readonly CsdLayerRatio[], opts: { readonly note?: string | null; readonly title?: string } = {}): PlotFigure {
  const x = layers.map((l) => l.layer);
  const title = opts.title ?? 'CSD contrastive ratio per VGG-19 tap';
  return {
    data: [
      { type: 'bar', name: 'd_i / (e_i + 1e-7)', x, y: layers.map((l) => l.ratio) },
      { type: 'bar', name: 'w_i · ratio (summed into L_CL)', x, y: layers.map((l) => l.weighted) },
    ],
    layout: {
      title: { text: `${title}${opts.note ? ` (${opts.note})` : ''}` }, barmode: 'group',
      xaxis: { title: { text: 'VGG-19 tap' } }, yaxis: { title: { text: 'ratio' } },
    },
  };
}
