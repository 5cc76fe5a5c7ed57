/** Response-based KD (spec/methods.md section 4): L = recWeight·L1(S(x), y) + kdWeight·L1(S(x), sg(T(x))). */
import * as tf from '@tensorflow/tfjs';
import { l1 } from '../losses/pixel';
import type { MethodOf } from './config';
import { type DistillMethod, needTeacher } from './method';

export type KdPrep = { soft: tf.Tensor4D };

export function responseKd(cfg: MethodOf<'kd'>): DistillMethod<KdPrep> {
  return {
    id: 'kd',
    config: cfg,
    requiresTeacher: true,
    auxModels: [],
    termNames: ['rec', 'kd'],
    termGroups: [['rec', 'kd']],
    prepare: (batch, nets) => ({ soft: tf.tidy(() => needTeacher(nets.teacher, 'kd').forward(batch.lr).out) }),
    terms: (nets, batch, { soft }) =>
      tf.tidy(() => {
        const sr = nets.student.forward(batch.lr).out;
        return { rec: tf.mul(cfg.recWeight, l1(sr, batch.hr)) as tf.Scalar, kd: tf.mul(cfg.kdWeight, l1(sr, soft)) as tf.Scalar };
      }),
  };
}
