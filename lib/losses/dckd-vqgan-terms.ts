/**
 * DCKD's two VQGAN terms, L_dcl's sums (dckd-contrastive.ts) and L_ce (dckd-code-ce.ts), from one encoder pass
 * per image: L_dcl's maps (the first ResnetBlock of every level) are a prefix of the pass that ends in L_ce's
 * code logits, so S(x) and T(x) go through the encoder once instead of twice. The released code runs the two
 * passes (`get_feas`, then the quantiser's encoder); computing them once changes no value: the same kernels
 * run on the same shapes, so the maps and logits are bit for bit those of the two calls, and the anchor's
 * gradient differs only in the order float sums are added. What it saves: the anchor's second pass and every
 * activation its backward would have kept (the largest part of a DCKD step's memory: the VQGAN runs at HR
 * with 128-512 channels), and one detached pass of the positive.
 *
 *   dckdVqganTerms(vq, { anchor, positive, negatives }, form?) → { sums: RatioSums, ce: tf.Scalar }
 * Positive and negatives are detached; negatives go through `features` one at a time, each of the anchor's
 * shape (see dckd-contrastive.ts for why).
 */
import * as tf from '@tensorflow/tfjs';
import type { VqganEncoder } from '../models/features/vqgan-encoder';
import { withoutTape } from '../util/without-tape';
import { type CodeCrossEntropyForm, codeCrossEntropy } from './dckd-code-ce';
import { type DckdContrastiveInputs, checkContrastiveInputs } from './dckd-contrastive';
import { type RatioSums, contrastiveRatioSums } from './contrastive-ratio';

export function dckdVqganTerms(vq: VqganEncoder, inp: DckdContrastiveInputs, form: CodeCrossEntropyForm = 'eq9'): { sums: RatioSums; ce: tf.Scalar } {
  checkContrastiveInputs(inp);
  return tf.tidy(() => {
    const a = vq.featuresAndCodeLogits(inp.anchor);
    const p = withoutTape(() => {
      const both = vq.featuresAndCodeLogits(inp.positive);
      return { features: both.features, probs: tf.softmax(both.logits) as tf.Tensor2D };
    });
    const negatives = inp.negatives.map((n) => withoutTape(() => vq.features(n)));
    return { sums: contrastiveRatioSums(a.features, p.features, negatives), ce: codeCrossEntropy(a.logits, p.probs, form) };
  });
}
