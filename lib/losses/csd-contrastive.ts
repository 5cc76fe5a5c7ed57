/**
 * CSD's contrastive loss L_CL (Wang et al., IJCAI 2021; CSD-code `loss/contrast_loss.py` ContrastLoss.L1_forward
 * with `--d_func L1 --contrast_t_detach`):
 *
 *   L_CL = Σ_{i=1..5} w_i · mean|φ_i(T) − φ_i(S)| / (mean Σ_k |φ_i(n_k) − φ_i(S)| + 1e-7)
 *
 * φ_i = torchvision VGG-19 relu1_1 .. relu5_1 (slices [0:2], [2:7], [7:12], [12:21], [21:30]) of 255-scaled RGB
 * images without mean/std normalisation, w = 1/32, 1/16, 1/8, 1/4, 1 (`--vgg_weight`). T = the full-width
 * output (detached), S = the width-w student output, n_k = the K negatives: bicubic upsamplings of the first K LR
 * patches of the whole batch (`lr[torch.randperm(neg_num)]`, nn.Upsample bicubic), the same K for every anchor.
 * Images enter in the kit's [0, 1] range; the 255 scaling happens here.
 *
 * API
 *   csdNegativeOrder(rng, k, batchSize) → number[]         CSD's randperm(K): the first K samples, shuffled
 *   csdNegatives(lr, order, scale) → [K, sH, sW, 3]        the negatives (PyTorch bicubic), in [0, 1]
 *   csdVggFeatures(vgg, images) → φ_1..φ_5                 features of [0, 1] images
 *   csdContrastiveSums(vgg, { teacher, student, negatives }) → RatioSums   per-share sufficient statistics
 *   csdContrastiveLoss(vgg, { teacher, student, negatives }, weights?) → L_CL of that batch
 *   csdContrastiveLayers(vgg, { teacher, student, negatives }, weights?) → per VGG tap: d_i, e_i, the ratio
 *       d_i / (e_i + 1e-7) and w_i times it (the five `weighted` sum to csdContrastiveLoss)
 * The teacher output and the negatives are detached inside (their VGG passes run off the gradient tape,
 * lib/util/without-tape.ts): CSD detaches the teacher in L_CL while its own L1 term still trains the shared
 * weights through it; gradients of L_CL reach only the student's output.
 *
 * Data parallelism: D_i and E_i are batch means and the negatives come from the whole batch, so a share computes
 * its sums with the full batch's K negatives (gather the first K LR patches from wherever they live), and the
 * shares combine through lib/losses/contrastive-ratio.ts (readRatioSums, addRatioTotals, ratioFromTotals,
 * contrastiveRatioShareSurrogate): exact, not a mean of per-share ratios.
 */
import * as tf from '@tensorflow/tfjs';
import { torchUpsampleBicubic } from '../data/torch-interpolate';
import { CSD_VGG_SLICE_ENDS, CSD_VGG_TAP_NAMES, type VggFeatures, vggInput } from '../models/features/vgg19';
import type { Rng } from '../util/rng';
import { withoutTape } from '../util/without-tape';
import { type RatioLayer, type RatioSums, contrastiveRatio, contrastiveRatioSums, ratioLayers, readRatioSums } from './contrastive-ratio';

/** `--vgg_weight` of CSD-code option.py. */
export const CSD_VGG_WEIGHTS: readonly number[] = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1];

/** λ_CL for [0, 1] images: CSD's `--contra_lambda 200` was tuned with 0-255 L1 terms (the kit's images are in [0, 1], so 200 becomes 200/255). */
export const CSD_LAMBDA_CL_01 = 200 / 255;

/** CSD's `torch.randperm(neg_num)`: a random order of the batch's first K samples (K <= batch size). */
export function csdNegativeOrder(rng: Rng, k: number, batchSize: number): number[] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`CSD negatives: K must be a positive integer (got ${k})`);
  if (k > batchSize) throw new Error(`CSD negatives: K = ${k} needs a batch of at least ${k} (got ${batchSize}); CSD takes its negatives from the batch`);
  const order = Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** The negatives: PyTorch-bicubic ×scale upsampling of lr[order] ([0, 1] in, [0, 1]-range out, unclamped). */
export function csdNegatives(lr: tf.Tensor4D, order: readonly number[], scale: number): tf.Tensor4D {
  const b = lr.shape[0];
  for (const i of order) if (!Number.isInteger(i) || i < 0 || i >= b) throw new Error(`CSD negatives: index ${i} outside the batch of ${b}`);
  return tf.tidy(() => torchUpsampleBicubic(tf.gather(lr, tf.tensor1d(order.slice(), 'int32')) as tf.Tensor4D, scale));
}

/** φ_1..φ_5 of [0, 1] images (255-scaled inside, as CSD feeds its 0-255 tensors). */
export function csdVggFeatures(vgg: VggFeatures, images: tf.Tensor4D): tf.Tensor4D[] {
  return tf.tidy(() => vgg.forward(vggInput(images, 'raw255'), CSD_VGG_SLICE_ENDS));
}

export type CsdContrastiveInputs = {
  /** T(x) of this share, [B, H, W, 3] in [0, 1]; detached here (no gradient flows back through it from L_CL). */
  readonly teacher: tf.Tensor4D;
  /** S(x) of this share, same shape. */
  readonly student: tf.Tensor4D;
  /** The K negatives of the whole batch, [K, H, W, 3]. */
  readonly negatives: tf.Tensor4D;
};

/** Per-share sums of L_CL (anchor = student, positive = teacher, each negative broadcast over the batch). */
export function csdContrastiveSums(vgg: VggFeatures, inp: CsdContrastiveInputs): RatioSums {
  const [b, h, w] = inp.student.shape;
  const { teacher, negatives } = inp;
  if (teacher.shape.join() !== inp.student.shape.join()) throw new Error(`CSD L_CL: teacher [${teacher.shape}] and student [${inp.student.shape}] differ`);
  if (negatives.shape[1] !== h || negatives.shape[2] !== w) throw new Error(`CSD L_CL: negatives [${negatives.shape}] are not ${h}x${w} like the outputs (batch ${b})`);
  const k = negatives.shape[0];
  return tf.tidy(() => {
    const s = csdVggFeatures(vgg, inp.student);
    // Teacher and negatives are detached (CSD: teacher[i].detach() under --contrast_t_detach, neg_i.detach()).
    const t = withoutTape(() => csdVggFeatures(vgg, teacher));
    const n = withoutTape(() => csdVggFeatures(vgg, negatives));
    const perNegative = Array.from({ length: k }, (_, j) => n.map((f) => tf.slice(f, [j, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D));
    return contrastiveRatioSums(s, t, perNegative);
  });
}

/** L_CL of the batch the inputs cover (one worker, or the reference for a whole batch). */
export function csdContrastiveLoss(vgg: VggFeatures, inp: CsdContrastiveInputs, weights: readonly number[] = CSD_VGG_WEIGHTS): tf.Scalar {
  return tf.tidy(() => contrastiveRatio(csdContrastiveSums(vgg, inp), weights));
}

/** One VGG tap's part of L_CL (relu1_1 .. relu5_1). */
export type CsdLayerRatio = RatioLayer & { readonly layer: string };

/** L_CL of the batch split by VGG tap: d_i, e_i, d_i / (e_i + 1e-7), w_i times it. The inputs stay the caller's. */
export async function csdContrastiveLayers(vgg: VggFeatures, inp: CsdContrastiveInputs, weights: readonly number[] = CSD_VGG_WEIGHTS): Promise<CsdLayerRatio[]> {
  const sums = csdContrastiveSums(vgg, inp);
  try {
    return ratioLayers(await readRatioSums(sums), weights).map((r, i) => ({ layer: CSD_VGG_TAP_NAMES[i] ?? `layer ${i + 1}`, ...r }));
  } finally {
    tf.dispose([sums.num, sums.den]);
  }
}
