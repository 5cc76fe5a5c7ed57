/**
 * DCKD's dynamic contrastive loss L_dcl (Zhou et al., AAAI 2025, Eq. 7; DCKD-code `ContrasLoss.L1_forward` on
 * `net_vqgan.get_feas([s_out, t_out, n_0 .. n_{N-1}])`):
 *
 *   L_dcl = Σ_{i=1..5} λ_i · mean|f_i(a) − f_i(t)| / (mean Σ_j |f_i(a) − f_i(n_j)| + 1e-7)
 *
 * f_i = the VQGAN encoder's first-res-block map of level i (lib/models/features/vqgan-encoder.ts `features`),
 * λ = 1/32, 1/16, 1/8, 1/4, 1; a = S(x) (the anchor, the only input with gradient), t = T(x), n_j = the history
 * model's output on the clean LR (j = 0) and on N−1 degraded LRs (lib/augment/degrade.ts), one per sample.
 * Images in [0, 1], fed as they are (DCKD does not remap to [−1, 1]). Unweighted by λ_dcl (0.1 in DCKD).
 *
 * API
 *   dckdContrastiveSums(vq, { anchor, positive, negatives }) → RatioSums   per-share sufficient statistics
 *   dckdContrastiveLoss(vq, { anchor, positive, negatives }, weights?) → L_dcl of that batch
 * Positive and negatives are detached here and go through the encoder one at a time, each pass the anchor's shape:
 * while the history model equals the student (DCKD's first iteration) n_0 = a exactly, and |f_i(a) − f_i(n_0)| must
 * stay exactly 0 (L1's gradient there is 0). Backends choose kernels by shape: tfjs-webgpu's stride-2 3x3 conv of
 * a [B, 3, 3, 64] map rounds differently at batch 2 and batch 6 (1e-6 relative, measured on Mesa llvmpipe), which in
 * one batched pass left f_5(a) − f_5(n_0) a rounding error whose signs changed the L_dcl gradient by 45 %. Data parallelism: D_i and E_i are batch means; combine the shares'
 * sums with lib/losses/contrastive-ratio.ts (readRatioSums, addRatioTotals, ratioFromTotals,
 * contrastiveRatioShareSurrogate). Each share needs only its own samples' negatives.
 */
import * as tf from '@tensorflow/tfjs';
import { DCKD_FEATURE_WEIGHTS, type VqganEncoder } from '../models/features/vqgan-encoder';
import { withoutTape } from '../util/without-tape';
import { type RatioSums, contrastiveRatio, contrastiveRatioSums } from './contrastive-ratio';

export type DckdContrastiveInputs = {
  /** S(x), [B, H, W, 3] in [0, 1]. */
  readonly anchor: tf.Tensor4D;
  /** T(x), same shape; detached here. */
  readonly positive: tf.Tensor4D;
  /** The N negatives, each the same shape as the anchor (n_0 = history model on the clean LR); detached here. */
  readonly negatives: readonly tf.Tensor4D[];
};

/**
 * What L_dcl needs of a feature network: DCKD's VQGAN `get_feas`, or (the documented `dcr-vgg` variant) CSD's
 * VGG-19 taps. Any frozen network whose `features` maps [B, H, W, 3] images to per-layer maps qualifies.
 */
export type FeatureMaps = Pick<VqganEncoder, 'features'>;

/** Throws unless positive and every negative have the anchor's shape and there is at least one negative. */
export function checkContrastiveInputs(inp: DckdContrastiveInputs): void {
  const { anchor, positive, negatives } = inp;
  const shape = anchor.shape.join();
  for (const [what, t] of [['positive', positive], ...negatives.map((n, j) => [`negative ${j}`, n] as const)] as const) {
    if (t.shape.join() !== shape) throw new Error(`DCKD L_dcl: ${what} has shape [${t.shape}], anchor [${anchor.shape}]`);
  }
  if (negatives.length === 0) throw new Error('DCKD L_dcl: no negatives');
}

export function dckdContrastiveSums(vq: FeatureMaps, inp: DckdContrastiveInputs): RatioSums {
  checkContrastiveInputs(inp);
  const { anchor, positive, negatives } = inp;
  return tf.tidy(() => {
    const a = vq.features(anchor);
    // one pass per image set, each of the anchor's shape (see above: batch-dependent kernels)
    const detached = (x: tf.Tensor4D): tf.Tensor4D[] => withoutTape(() => vq.features(x));
    return contrastiveRatioSums(a, detached(positive), negatives.map(detached));
  });
}

export function dckdContrastiveLoss(vq: FeatureMaps, inp: DckdContrastiveInputs, weights: readonly number[] = DCKD_FEATURE_WEIGHTS): tf.Scalar {
  return tf.tidy(() => contrastiveRatio(dckdContrastiveSums(vq, inp), weights));
}
