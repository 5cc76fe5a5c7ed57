/**
 * DCKD's distribution-mapping loss L_ce (Zhou et al., AAAI 2025, Eqs. 8-9):
 * the per-position cross-entropy between the teacher's and the student's code distributions over the frozen
 * VQGAN codebook, C(v)_k = softmax_k(−‖z(v) − e_k‖²), averaged over latent positions (batch, row, column).
 *
 *   'eq9' (default, the paper):        L_ce = mean_pos − Σ_k C_k(t) · log C_k(a)
 *   'legacyDoubleSoftmax' (released):  L_ce = mean_pos − Σ_k C_k(t) · log softmax_k(C(a))
 * The released code passes the already-softmaxed student distribution to F.cross_entropy, which applies
 * log-softmax again (DCKD-code `CELoss` with `VectorQuantizerD` outputs); that form is kept as an option.
 * Unweighted by λ_ce (0.001 in DCKD).
 *
 * API
 *   codeCrossEntropy(studentLogits, teacherProbs, form?) → tf.Scalar   on [positions, codes] tensors
 *   dckdCodeLoss(vq, student, teacher, form?) → tf.Scalar              images in [0, 1]; teacher detached here
 * Data parallelism: a plain mean over positions, and every sample has the same number of positions, so the
 * share-size-weighted mean of the shares' values (and of their gradients) is the full-batch value: no extra
 * statistics are needed.
 */
import * as tf from '@tensorflow/tfjs';
import type { VqganEncoder } from '../models/features/vqgan-encoder';
import { withoutTape } from '../util/without-tape';

export type CodeCrossEntropyForm = 'eq9' | 'legacyDoubleSoftmax';

/** Cross-entropy of the student's code logits −‖z − e_k‖² against the teacher's code distribution. */
export function codeCrossEntropy(studentLogits: tf.Tensor2D, teacherProbs: tf.Tensor2D, form: CodeCrossEntropyForm = 'eq9'): tf.Scalar {
  if (studentLogits.shape.join() !== teacherProbs.shape.join()) {
    throw new Error(`codeCrossEntropy: student [${studentLogits.shape}] and teacher [${teacherProbs.shape}] differ`);
  }
  return tf.tidy(() => {
    const logP = form === 'eq9' ? tf.logSoftmax(studentLogits) : tf.logSoftmax(tf.softmax(studentLogits));
    return tf.neg(tf.mean(tf.sum(tf.mul(teacherProbs, logP), 1))) as tf.Scalar;
  });
}

/** L_ce between S(x) (`student`, with gradient) and T(x) (`teacher`), images [B, H, W, 3] in [0, 1]. */
export function dckdCodeLoss(vq: VqganEncoder, student: tf.Tensor4D, teacher: tf.Tensor4D, form: CodeCrossEntropyForm = 'eq9'): tf.Scalar {
  if (student.shape.join() !== teacher.shape.join()) throw new Error(`DCKD L_ce: student [${student.shape}] and teacher [${teacher.shape}] differ`);
  return tf.tidy(() => codeCrossEntropy(vq.codeLogits(student), withoutTape(() => vq.codeDistribution(teacher)), form));
}
