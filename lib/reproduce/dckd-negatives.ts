/**
 * DCKD's negatives for one LR batch, as pictures: the clean LR x and its degraded copies D_1(x) .. D_{N−1}(x)
 * (Gaussian noise, grey or colour, drawn as training step `ctx` draws them), the history model's outputs on them
 * n_0 .. n_{N−1} (what L_dcl pushes the student away from), the teacher's output t (pulled towards) and the
 * student's a. Built through the method itself (init + prepare), so the pictures are what training uses; the
 * history model is the method's copy of `nets.student` made at init, as at the start of training.
 */
import * as tf from '@tensorflow/tfjs';
import { type DckdConfig, dckdDegradedInputs } from '../distill/dckd';
import { buildMethod } from '../distill/methods';
import type { StepContext } from '../distill/method';
import type { SRNet } from '../models/types';

export type DckdNegativeExamples = {
  lr: tf.Tensor4D;
  /** D_1(x) .. D_{N−1}(x), LR size. */
  degraded: tf.Tensor4D[];
  /** n_0 = S_his(x), n_j = S_his(D_j(x)), SR size. */
  negatives: tf.Tensor4D[];
  /** T(x). */
  teacher: tf.Tensor4D;
  /** S(x). */
  student: tf.Tensor4D;
};

/** See the file comment. The caller owns `lr`, the nets and every tensor returned (`lr` is returned as given). */
export function dckdNegativeExamples(cfg: DckdConfig, nets: { readonly student: SRNet; readonly teacher: SRNet }, lr: tf.Tensor4D, ctx?: StepContext): DckdNegativeExamples {
  const b = lr.shape[0];
  const context: StepContext = ctx ?? { step: 0, seed: 0, sampleOffset: 0, batchSizeTotal: b };
  const method = buildMethod({ ...cfg, upcycling: null }); // DCKD*'s upcycled inputs are not negatives
  const all = { student: nets.student, teacher: nets.teacher, aux: {} };
  try {
    method.init?.(all);
    const hr = tf.zeros([b, lr.shape[1] * nets.student.scale, lr.shape[2] * nets.student.scale, 3]) as tf.Tensor4D;
    const prep = method.prepare({ lr, hr }, all, context) as unknown as { teacher: tf.Tensor4D; negatives: tf.Tensor4D[] } & tf.TensorContainerObject;
    hr.dispose();
    const { teacher, negatives, ...rest } = prep;
    tf.dispose(rest as tf.TensorContainer);
    return { lr, degraded: dckdDegradedInputs(cfg, lr, context), negatives, teacher, student: tf.tidy(() => nets.student.forward(lr).out) };
  } finally {
    method.dispose?.();
  }
}
