/**
 * The contrastive ratio shared by CSD's L_CL and DCKD's L_dcl:
 *
 *   L = Σ_i w_i · D_i / (E_i + eps),   D_i = mean |a_i − p_i|,   E_i = mean Σ_j |a_i − n_{j,i}|
 *
 * over feature layers i, with the means over every element of the anchor features a_i (batch, H, W, C): the
 * student's features (anchor), the teacher's (positive, no gradient) and those of the negatives n_j (no
 * gradient), summed over negatives before the mean. CSD-code `ContrastLoss.L1_forward` and DCKD-code
 * `ContrasLoss.L1_forward` both compute exactly this, eps = 1e-7. A negative's features either match the
 * anchor's shape (DCKD: one negative per sample) or have batch 1 and broadcast over the batch (CSD: the same
 * K negatives for every anchor).
 *
 * Data parallelism. D_i and E_i are batch means, so the ratio of a full batch is not the mean of the shares'
 * ratios. The API therefore splits into sufficient statistics and a combine step:
 *
 *   contrastiveRatioSums(a, p, n) → RatioSums  per layer: num_i = Σ|a − p|, den_i = Σ Σ_j |a − n_j|, count_i
 *   contrastiveRatio(sums, w)                  the loss from one set of sums (one worker: the whole batch)
 *   readRatioSums(sums) → RatioTotals          the sums as numbers, to all-reduce across workers
 *   addRatioTotals(a, b), ratioFromTotals(t, w)  combine the shares' totals; the full-batch loss value
 *   contrastiveRatioShareSurrogate(share, totals, w, shareWeight)
 *       a scalar whose gradient is this share's part of the full-batch gradient: with D_i, E_i from the
 *       all-reduced totals (constants), Σ_i w_i/N_i · (num_i/(E_i+eps) − den_i·D_i/(E_i+eps)²). The gradients of
 *       the shares' surrogates sum to ∇L exactly. `shareWeight` (default 1) divides the surrogate, for trainers
 *       that average share gradients with weights n_s/n (lib/parallel/data-parallel.ts): pass n_s/n there.
 *   ratioLayers(t, w) → RatioLayer[]           per layer D_i, E_i, D_i/(E_i+eps) and its weighted share of the loss
 *   The value of a surrogate is not the loss; log ratioFromTotals. One way to use it: a forward pass without
 *   gradients gives each share's sums, the totals are all-reduced, then each share differentiates its surrogate.
 *
 * Pure functions: the caller owns inputs and results; everything runs in tf.tidy.
 */
import * as tf from '@tensorflow/tfjs';
import { valueWithGradientOf } from '../util/value-with-gradient';

export const CONTRASTIVE_EPS = 1e-7;

/** Per-layer sums over one share: tensors (differentiable) plus the element counts N_i of the anchors. */
export type RatioSums = { num: tf.Tensor1D; den: tf.Tensor1D; count: number[] };

/** The same statistics as plain numbers (read back, or all-reduced over shares). */
export interface RatioTotals {
  readonly num: readonly number[];
  readonly den: readonly number[];
  readonly count: readonly number[];
}

function checkLayers(anchor: readonly tf.Tensor4D[], positive: readonly tf.Tensor4D[], negatives: readonly (readonly tf.Tensor4D[])[]): void {
  if (anchor.length === 0) throw new Error('contrastive ratio: no feature layers');
  if (positive.length !== anchor.length) throw new Error(`contrastive ratio: ${anchor.length} anchor layers but ${positive.length} positive layers`);
  if (negatives.length === 0) throw new Error('contrastive ratio: no negatives');
  anchor.forEach((a, i) => {
    const same = (t: tf.Tensor4D, what: string, batchOne: boolean): void => {
      const ok = t.shape.every((d, k) => d === a.shape[k] || (k === 0 && batchOne && d === 1));
      if (!ok) throw new Error(`contrastive ratio: layer ${i} ${what} has shape [${t.shape}], anchor [${a.shape}]`);
    };
    same(positive[i], 'positive', false);
    negatives.forEach((n, j) => {
      if (n.length !== anchor.length) throw new Error(`contrastive ratio: negative ${j} has ${n.length} layers, anchor ${anchor.length}`);
      same(n[i], `negative ${j}`, true);
    });
  });
}

/** Per-layer Σ|a − p| and Σ_j Σ|a − n_j| over this share (negatives[j][i] = layer i of negative j). */
export function contrastiveRatioSums(
  anchor: readonly tf.Tensor4D[], positive: readonly tf.Tensor4D[], negatives: readonly (readonly tf.Tensor4D[])[],
): RatioSums {
  checkLayers(anchor, positive, negatives);
  const { num, den } = tf.tidy(() => {
    const nums: tf.Scalar[] = [];
    const dens: tf.Scalar[] = [];
    anchor.forEach((a, i) => {
      nums.push(tf.sum(tf.abs(tf.sub(a, positive[i]))));
      // One negative at a time: never materialises the [negatives, B, H, W, C] stack.
      dens.push(tf.addN(negatives.map((n) => tf.sum(tf.abs(tf.sub(a, n[i]))))) as tf.Scalar);
    });
    return { num: tf.stack(nums) as tf.Tensor1D, den: tf.stack(dens) as tf.Tensor1D };
  });
  return { num, den, count: anchor.map((a) => a.size) };
}

function checkWeights(weights: readonly number[], layers: number): void {
  if (weights.length !== layers) throw new Error(`contrastive ratio: ${weights.length} layer weights for ${layers} layers`);
}

/** Σ_i w_i · (num_i/N_i) / (den_i/N_i + eps): the loss of the batch the sums cover. */
export function contrastiveRatio(sums: RatioSums, weights: readonly number[], eps = CONTRASTIVE_EPS): tf.Scalar {
  checkWeights(weights, sums.count.length);
  return tf.tidy(() => {
    const n = tf.tensor1d(sums.count);
    const d = tf.div(sums.num, n);
    const e = tf.div(sums.den, n);
    return tf.sum(tf.mul(tf.tensor1d(weights.slice()), tf.div(d, tf.add(e, eps)))) as tf.Scalar;
  });
}

/** The sums as numbers (one device read). */
export async function readRatioSums(sums: RatioSums): Promise<RatioTotals> {
  const [num, den] = await Promise.all([sums.num.data(), sums.den.data()]);
  return { num: Array.from(num), den: Array.from(den), count: sums.count.slice() };
}

/** Element-wise sum of two shares' totals (float64). */
export function addRatioTotals(a: RatioTotals, b: RatioTotals): RatioTotals {
  if (a.count.length !== b.count.length) throw new Error(`addRatioTotals: ${a.count.length} vs ${b.count.length} layers`);
  return {
    num: a.num.map((v, i) => v + b.num[i]), den: a.den.map((v, i) => v + b.den[i]), count: a.count.map((v, i) => v + b.count[i]),
  };
}

/** The full-batch loss from all-reduced totals. */
export function ratioFromTotals(t: RatioTotals, weights: readonly number[], eps = CONTRASTIVE_EPS): number {
  checkWeights(weights, t.count.length);
  return t.count.reduce((acc, n, i) => acc + (weights[i] * (t.num[i] / n)) / (t.den[i] / n + eps), 0);
}

/** One layer's part of the ratio loss: D_i, E_i, D_i / (E_i + eps) and w_i times that (the layers' `weighted` sum to ratioFromTotals). */
export interface RatioLayer {
  readonly weight: number;
  readonly d: number;
  readonly e: number;
  readonly ratio: number;
  readonly weighted: number;
}

/** The loss of `t` split by layer (see RatioLayer). */
export function ratioLayers(t: RatioTotals, weights: readonly number[], eps = CONTRASTIVE_EPS): RatioLayer[] {
  checkWeights(weights, t.count.length);
  return t.count.map((n, i) => {
    const d = t.num[i] / n;
    const e = t.den[i] / n;
    const ratio = d / (e + eps);
    return { weight: weights[i], d, e, ratio, weighted: weights[i] * ratio };
  });
}

/**
 * A scalar whose gradient is this share's part of ∇L, L the full-batch ratio of `totals` (see the header).
 * Divided by `shareWeight` (n_s/n under a share-weighted gradient average; 1 when gradients are summed).
 */
export function contrastiveRatioShareSurrogate(
  share: RatioSums, totals: RatioTotals, weights: readonly number[], shareWeight = 1, eps = CONTRASTIVE_EPS,
): tf.Scalar {
  checkWeights(weights, totals.count.length);
  if (share.count.length !== totals.count.length) throw new Error(`surrogate: share has ${share.count.length} layers, totals ${totals.count.length}`);
  if (!(shareWeight > 0)) throw new Error(`surrogate: shareWeight must be > 0 (got ${shareWeight})`);
  const a: number[] = [];
  const b: number[] = [];
  totals.count.forEach((n, i) => {
    const D = totals.num[i] / n;
    const E = totals.den[i] / n + eps;
    a.push(weights[i] / n / E / shareWeight);
    b.push((weights[i] / n) * (D / (E * E)) / shareWeight);
  });
  return tf.tidy(() => tf.sub(tf.sum(tf.mul(share.num, tf.tensor1d(a))), tf.sum(tf.mul(share.den, tf.tensor1d(b)))) as tf.Scalar);
}

/**
 * `weight` times the contrastive ratio, as CSD's and DCKD's terms use it. Without `totals` (a direct call, one
 * worker): the ratio of this batch's `sums`. With the engines' all-reduced totals: a scalar whose value is the
 * full-batch weighted ratio and whose gradient is this share's part of it (contrastiveRatioShareSurrogate,
 * valueWithGradientOf), so 1 and N workers take the same step.
 */
export function weightedContrastiveTerm(
  weight: number, sums: RatioSums, totals: RatioTotals | undefined, weights: readonly number[], shareWeight: number,
): tf.Scalar {
  if (totals === undefined) return tf.mul(weight, contrastiveRatio(sums, weights)) as tf.Scalar;
  const surrogate = tf.mul(weight, contrastiveRatioShareSurrogate(sums, totals, weights, shareWeight)) as tf.Scalar;
  return valueWithGradientOf(surrogate, weight * ratioFromTotals(totals, weights));
}
