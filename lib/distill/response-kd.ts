/** Response-based KD (Hinton et al. 2015 for SR, the DUKD paper's KD row): L = recWeight·L1(S(x), y) + kdWeight·L1(S(x), sg(T(x))). */
import * as tf from '@tensorflow/tfjs';
import { weight } from '../config/checks';
import { l1 } from '../losses/pixel';
import { type DistillMethod, needTeacher } from './method';
import { type Formula, type MethodSpec, termWeights } from './method-spec';

/** Defaults 1 / 1 (DUKD's KD baseline). */
export interface KdConfig {
  readonly kind: 'kd';
  readonly recWeight: number;
  readonly kdWeight: number;
}

export type KdPrep = { soft: tf.Tensor4D };

const formula = (cfg: KdConfig): Formula => [[[cfg.recWeight, 'rec'], [cfg.kdWeight, 'kd']]];

export function responseKd(cfg: KdConfig): DistillMethod<KdPrep> {
  const w = termWeights(formula(cfg));
  return {
    id: 'kd',
    config: cfg,
    requiresTeacher: true,
    termNames: ['rec', 'kd'],
    termGroups: [['rec', 'kd']],
    prepare: (batch, nets) => ({ soft: tf.tidy(() => needTeacher(nets.teacher, 'kd').forward(batch.lr).out) }),
    terms: (nets, batch, { soft }) =>
      tf.tidy(() => {
        const sr = nets.student.forward(batch.lr).out;
        return { rec: tf.mul(w.rec, l1(sr, batch.hr)) as tf.Scalar, kd: tf.mul(w.kd, l1(sr, soft)) as tf.Scalar };
      }),
  };
}

export const KD: MethodSpec<KdConfig> = {
  kind: 'kd',
  title: 'KD',
  source: 'response KD on the output (DUKD Table 2 "KD" row, weights 1/1)',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight },
  defaults: () => ({ kind: 'kd', recWeight: 1, kdWeight: 1 }),
  smokeConfigs: () => [{ name: 'kd', config: { kind: 'kd', recWeight: 1, kdWeight: 1 } }],
  formula,
  create: (cfg) => responseKd(cfg) as DistillMethod,
};
