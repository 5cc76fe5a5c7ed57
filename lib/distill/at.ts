/**
 * Attention transfer (Zagoruyko & Komodakis, ICLR 2017; one of AugKD's feature-KD baselines) for SR:
 *   L = recWeight·L1(S(x), y) [+ kdWeight·L1(S(x), sg T(x))] + atWeight·Σ_l mean((Q(F_S^l) − Q(sg F_T^l))²),
 * Q the L2-normalised channel mean of squared activations (lib/losses/attention-transfer.ts). The DUKD/AugKD
 * texts give no AT settings for SR, so the paper's own are taken: atWeight = β/2 with β = 1000 (their code), no
 * output KD (kdWeight 0: their AT runs pair the attention term with the task loss alone; the kd term is left out
 * of the objective when its weight is 0), and maps at the end of each third of the body ('thirds', the
 * positions of fakd.ts, like AT's maps at the end of each ResNet group).
 * Terms: rec, kd (when kdWeight > 0), at. Worker-invariant: each is an element mean.
 */
import * as tf from '@tensorflow/tfjs';
import { weight } from '../config/checks';
import { attentionLoss } from '../losses/attention-transfer';
import { l1 } from '../losses/pixel';
import type { TapName } from '../types';
import { type FakdTaps, fakdTaps, resolveFakdTaps } from './fakd';
import { type DistillMethod, type MethodNets, needTeacher } from './method';
import { type Formula, type MethodSpec, termGroupsOf, termWeights } from './method-spec';

/** Defaults: recWeight 1, kdWeight 0, atWeight 500 (β/2, β = 1000), taps 'thirds' (see the file comment). */
export interface AtConfig {
  readonly kind: 'at';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly atWeight: number;
  /** Where the attention maps are taken; resolved per network as FAKD's taps (fakd.ts). */
  readonly taps: FakdTaps;
}

export type AtPrep = { soft: tf.Tensor4D; teacherFeatures: tf.Tensor4D[] };

const formula = (cfg: AtConfig): Formula => [[[cfg.recWeight, 'rec'], ...(cfg.kdWeight > 0 ? [[cfg.kdWeight, 'kd'] as const] : []), [cfg.atWeight, 'at']]];

export function attentionTransfer(cfg: AtConfig): DistillMethod<AtPrep> {
  const f = formula(cfg);
  const w = termWeights(f);
  const groups = termGroupsOf(f);
  const taps = (nets: MethodNets): { student: TapName[]; teacher: TapName[] } =>
    resolveFakdTaps(cfg.taps, nets.student.arch, needTeacher(nets.teacher, 'at').arch);
  return {
    id: 'at',
    config: cfg,
    requiresTeacher: true,
    termNames: groups[0],
    termGroups: groups,
    prepare: (batch, nets) =>
      tf.tidy(() => {
        const t = taps(nets).teacher;
        const r = needTeacher(nets.teacher, 'at').forward(batch.lr, { taps: t });
        return { soft: r.out, teacherFeatures: t.map((name) => r.features[name]) };
      }),
    terms: (nets, batch, prep) =>
      tf.tidy(() => {
        const s = taps(nets).student;
        if (s.length !== prep.teacherFeatures.length) throw new Error(`at: ${s.length} student taps for ${prep.teacherFeatures.length} teacher features`);
        const r = nets.student.forward(batch.lr, { taps: s });
        const at = tf.addN(s.map((name, i) => attentionLoss(r.features[name], prep.teacherFeatures[i])));
        const out: Record<string, tf.Scalar> = { rec: tf.mul(w.rec, l1(r.out, batch.hr)) as tf.Scalar };
        if (cfg.kdWeight > 0) out.kd = tf.mul(w.kd, l1(r.out, prep.soft)) as tf.Scalar;
        out.at = tf.mul(w.at, at) as tf.Scalar;
        return out;
      }),
  };
}

const defaults = (): AtConfig => ({ kind: 'at', recWeight: 1, kdWeight: 0, atWeight: 500, taps: 'thirds' });

export const AT: MethodSpec<AtConfig> = {
  kind: 'at',
  title: 'AT',
  source: 'Zagoruyko & Komodakis 2017, attention transfer (their code: β = 1000, maps at group ends); an AugKD baseline',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight, atWeight: weight, taps: fakdTaps },
  defaults,
  smokeConfigs: () => [
    { name: 'at', config: defaults() },
    { name: 'at-kd-dukd4', config: { ...defaults(), kdWeight: 1, taps: 'dukd4' } },
  ],
  formula,
  create: (cfg) => attentionTransfer(cfg) as DistillMethod,
};
