/**
 * FitNet (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015; one of AugKD's feature-KD baselines) for SR:
 *   L = recWeight·L1(S(x), y) [+ kdWeight·L1(S(x), sg T(x))] + hintWeight·Σ_l ½·mean((r_l(F_S^l) − sg F_T^l)²),
 * with r_l a learned 1×1 convolution (bias included) from the student's width to the teacher's
 * (lib/losses/hint.ts). The paper trains in two stages (hints first, then KD); the kit trains the joint objective,
 * as feature-KD baselines usually do. The DUKD/AugKD texts give no FitNet settings for SR, so: one hint in the
 * middle of each body ('middle': after floor(n/2) units of each network, the paper's middle hint/guided layers),
 * no output KD (kdWeight 0; the kd term is left out of the objective when its weight is 0), and hintWeight
 * 1/255²: the kit's features, like BasicSR's, live on the 0-255 scale (img_range 255), so the squared error is
 * brought to [0, 1] image units (as FAKD's β is rescaled in fakd.ts).
 *
 * The regressors are trained with the student: `trainable` lists the student's parameters first, then the
 * regressors (the trainer takes the student's weights as that prefix), so checkpoints, the EMA and resume carry
 * them. They are built in `init` (their widths come from one probe forward of each net) from a fixed seeded
 * stream (every worker builds identical ones), with PyTorch's default conv init.
 * Terms: rec, kd (when kdWeight > 0), hint. Worker-invariant: each is an element mean.
 */
import * as tf from '@tensorflow/tfjs';
import { type Check, weight } from '../config/checks';
import { hintLoss } from '../losses/hint';
import { l1 } from '../losses/pixel';
import { type ConvWeights, ParamBuilder } from '../models/layers/param-builder';
import type { SRNet } from '../models/types';
import type { TapName } from '../types';
import { type FakdTaps, fakdTaps, resolveFakdTaps, tapAfterUnits } from './fakd';
import { deriveRng, type DistillMethod, type MethodNets, needTeacher } from './method';
import { type Formula, type MethodSpec, termGroupsOf, termWeights } from './method-spec';
import { archSpec } from '../models/archs/index';

/** 'middle' (one hint after floor(n/2) units of each network) or any FAKD tap spec (fakd.ts). */
export type FitnetTaps = 'middle' | FakdTaps;

/** Defaults: recWeight 1, kdWeight 0, hintWeight 1/255², taps 'middle' (see the file comment). */
export interface FitnetConfig {
  readonly kind: 'fitnet';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly hintWeight: number;
  readonly taps: FitnetTaps;
}

/** The student and teacher taps of a FitnetTaps spec. */
export function resolveFitnetTaps(spec: FitnetTaps, nets: MethodNets): { student: TapName[]; teacher: TapName[] } {
  const teacher = needTeacher(nets.teacher, 'fitnet');
  if (spec !== 'middle') return resolveFakdTaps(spec, nets.student.arch, teacher.arch);
  const mid = (net: SRNet): TapName => tapAfterUnits(net.arch, Math.floor(archSpec(net.arch).bodyUnits(net.arch) / 2));
  return { student: [mid(nets.student)], teacher: [mid(teacher)] };
}

/** Channel width of each tap of `net` (one forward of a small input). */
function tapWidths(net: SRNet, taps: readonly TapName[]): number[] {
  return tf.tidy(() => {
    const r = net.forward(tf.zeros([1, 8, 8, 3]) as tf.Tensor4D, { taps: [...taps] });
    return taps.map((t) => r.features[t].shape[3]);
  });
}

export type FitnetPrep = { soft: tf.Tensor4D; teacherFeatures: tf.Tensor4D[] };

const formula = (cfg: FitnetConfig): Formula => [[[cfg.recWeight, 'rec'], ...(cfg.kdWeight > 0 ? [[cfg.kdWeight, 'kd'] as const] : []), [cfg.hintWeight, 'hint']]];

export function fitNet(cfg: FitnetConfig): DistillMethod<FitnetPrep> {
  const f = formula(cfg);
  const w = termWeights(f);
  const groups = termGroupsOf(f);
  let built: { pb: ParamBuilder; regressors: ConvWeights[] } | null = null;
  const regressors = (): ConvWeights[] => {
    if (!built) throw new Error('fitnet: init(nets) must run before the first step (it builds the regressors)');
    return built.regressors;
  };
  return {
    id: 'fitnet',
    config: cfg,
    requiresTeacher: true,
    termNames: groups[0],
    termGroups: groups,
    init(nets) {
      if (built) return;
      const taps = resolveFitnetTaps(cfg.taps, nets);
      const ws = tapWidths(nets.student, taps.student);
      const wt = tapWidths(needTeacher(nets.teacher, 'fitnet'), taps.teacher);
      // a fixed stream, the same on every worker; the student's own seed does not enter
      const pb = new ParamBuilder(deriveRng(0, 0, 'fitnet/regressor'));
      built = { pb, regressors: ws.map((c, i) => pb.conv(`fitnet.regressor.${i}`, 1, c, wt[i])) };
    },
    trainable: (nets) => [...nets.student.params.values(), ...regressors().flatMap((r) => [r.weight, r.bias])],
    prepare: (batch, nets) =>
      tf.tidy(() => {
        const t = resolveFitnetTaps(cfg.taps, nets).teacher;
        const r = needTeacher(nets.teacher, 'fitnet').forward(batch.lr, { taps: t });
        return { soft: r.out, teacherFeatures: t.map((name) => r.features[name]) };
      }),
    terms: (nets, batch, prep) =>
      tf.tidy(() => {
        const s = resolveFitnetTaps(cfg.taps, nets).student;
        const regs = regressors();
        if (s.length !== prep.teacherFeatures.length || s.length !== regs.length) {
          throw new Error(`fitnet: ${s.length} student taps, ${prep.teacherFeatures.length} teacher features, ${regs.length} regressors`);
        }
        const r = nets.student.forward(batch.lr, { taps: s });
        const hint = tf.addN(s.map((name, i) => hintLoss(r.features[name], prep.teacherFeatures[i], regs[i])));
        const out: Record<string, tf.Scalar> = { rec: tf.mul(w.rec, l1(r.out, batch.hr)) as tf.Scalar };
        if (cfg.kdWeight > 0) out.kd = tf.mul(w.kd, l1(r.out, prep.soft)) as tf.Scalar;
        out.hint = tf.mul(w.hint, hint) as tf.Scalar;
        return out;
      }),
    dispose() {
      built?.pb.dispose();
      built = null;
    },
  };
}

const fitnetTaps: Check = (k, v) => {
  if (v === 'middle') return;
  try {
    fakdTaps(k, v);
  } catch {
    throw new Error(`${k} must be 'middle', 'thirds', 'dukd4' or { student, teacher } (got ${JSON.stringify(v)})`);
  }
};

const defaults = (): FitnetConfig => ({ kind: 'fitnet', recWeight: 1, kdWeight: 0, hintWeight: 1 / 255 ** 2, taps: 'middle' });

export const FITNET: MethodSpec<FitnetConfig> = {
  kind: 'fitnet',
  title: 'FitNet',
  source: 'Romero et al. 2015, FitNets hint regression (1x1 regressor, middle layers, joint loss); an AugKD baseline',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight, hintWeight: weight, taps: fitnetTaps },
  defaults,
  smokeConfigs: () => [
    { name: 'fitnet', config: defaults() },
    { name: 'fitnet-kd-thirds', config: { ...defaults(), kdWeight: 1, taps: 'thirds' } },
  ],
  formula,
  create: (cfg) => fitNet(cfg) as DistillMethod,
};
