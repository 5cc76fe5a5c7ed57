/**
 * FAKD (Wang et al. 2020, feature-affinity KD; the DUKD paper's FAKD row):
 *   L = recWeight·L1(S(x), y) + kdWeight·L1(S(x), sg T(x)) + affinityWeight·Σ_l L1(A(F_S^l), A(sg F_T^l)).
 * Teacher output and features come from `prepare` (outside the tape, so they carry no gradient); the
 * affinity term is differentiable w.r.t. the student features (the FAKD paper's loss). `detachAffinity: true`
 * follows DUKD's release of the FAKD code (models/fakd_model.py: `torch.tensor([...])` of the per-layer losses),
 * where the term is a logged constant and training is response KD: the 'fakd-dukd-release' preset (FAKD*).
 * Terms: rec, kd, aff (aff = the weighted sum over layers). Worker-invariant: each is an element mean.
 */
import * as tf from '@tensorflow/tfjs';
import { bool, type Check, fail, weight } from '../config/checks';
import { affinityL1 } from '../losses/affinity';
import { l1 } from '../losses/pixel';
import { archSpec } from '../models/archs/index';
import type { ArchConfig } from '../models/types';
import type { TapName } from '../types';
import { type DistillMethod, type MethodNets, needTeacher } from './method';
import { type Formula, type MethodSpec, termWeights } from './method-spec';

/**
 * FAKD tap positions. Units are EDSR blocks, RCAN groups, SwinIR RSTBs (ArchSpec.bodyUnits); "after 0 units"
 * is 'head'. Each network's taps are placed by its own depth, as in the FAKD code (its EDSR splits every body,
 * teacher and student alike, into thirds: `block_num` in models/edsr.py), so a 16-block student's taps (after 5
 * and 10 blocks) meet a 32-block teacher's after 10 and 21 blocks; SwinIR follows the same rule over its RSTBs
 * (no official FAKD SwinIR code exists).
 *  - 'thirds' (default, FAKD code): after floor(n/3) and floor(2n/3) units (RCAN with 10 groups: after groups
 *    3 and 7, as the FAKD code) plus 'body.out';
 *  - 'dukd4': DUKD code's list: 'head', after floor(n/3)+1 and floor(2n/3)+1 blocks (EDSR 32: body.10, body.21),
 *    RCAN after groups 3 and 7, plus 'body.out';
 *  - explicit tap names per network (same length; spatial sizes must match).
 * 'body.out' is conv_after_body plus the global skip in both official codes: each appends the conv_after_body
 * output to its feature list and then adds the skip in place (`res += x`, FAKD code models/edsr.py and DUKD code
 * models/fakd_model.py), which changes the listed tensor too.
 */
export type FakdTaps = 'thirds' | 'dukd4' | { readonly student: readonly TapName[]; readonly teacher: readonly TapName[] };

/**
 * Defaults (1−α, α, β) = (0.5, 0.5, 10/255): the FAKD code's α = 0.5 and β = 10, with β rescaled from 0-255
 * images to the kit's [0, 1] images; detachAffinity false. The 'fakd-dukd-weights' preset = (1, 1, 10) with
 * 'dukd4' taps as in DUKD's configs; 'fakd-dukd-release' adds detachAffinity and the config's schedule.
 */
export interface FakdConfig {
  readonly kind: 'fakd';
  readonly recWeight: number;
  readonly kdWeight: number;
  readonly affinityWeight: number;
  readonly taps: FakdTaps;
  /** The affinity term is computed and logged but passes no gradient (DUKD code models/fakd_model.py). */
  readonly detachAffinity: boolean;
}

/** Resolves a FakdTaps spec against the actual student and teacher backbones (see FakdTaps). */
export function resolveFakdTaps(spec: FakdTaps, student: ArchConfig, teacher: ArchConfig): { student: TapName[]; teacher: TapName[] } {
  if (typeof spec === 'object') return { student: [...spec.student], teacher: [...spec.teacher] };
  const units = (arch: ArchConfig): number[] => {
    const inner = archSpec(arch).fakdUnits(arch, spec);
    return spec === 'thirds' ? inner : [0, ...inner];
  };
  const taps = (arch: ArchConfig): TapName[] => [...units(arch).map((u) => tapAfterUnits(arch, u)), 'body.out'];
  return { student: taps(student), teacher: taps(teacher) };
}

/** The tap after `u` body units of a network (0: 'head'; clamped to its depth). */
export function tapAfterUnits(arch: ArchConfig, u: number): TapName {
  const k = Math.max(0, Math.min(u, archSpec(arch).bodyUnits(arch)));
  return k === 0 ? 'head' : `body.${k - 1}`;
}

export const DETACHED_NOTE =
  'fakd: detachAffinity: the aff term is logged but passes no gradient (DUKD code models/fakd_model.py), so the student trains on rec + kd only';

export type FakdPrep = { soft: tf.Tensor4D; teacherFeatures: tf.Tensor4D[] };

const formula = (cfg: FakdConfig): Formula => [[[cfg.recWeight, 'rec'], [cfg.kdWeight, 'kd'], [cfg.affinityWeight, 'aff']]];

export function featureAffinityKd(cfg: FakdConfig): DistillMethod<FakdPrep> {
  const w = termWeights(formula(cfg));
  const taps = (nets: MethodNets): { student: TapName[]; teacher: TapName[] } =>
    resolveFakdTaps(cfg.taps, nets.student.arch, needTeacher(nets.teacher, 'fakd').arch);
  return {
    id: 'fakd',
    config: cfg,
    requiresTeacher: true,
    notes: cfg.detachAffinity ? [DETACHED_NOTE] : [],
    termNames: ['rec', 'kd', 'aff'],
    termGroups: [['rec', 'kd', 'aff']],
    prepare: (batch, nets) =>
      tf.tidy(() => {
        const t = taps(nets).teacher;
        const r = needTeacher(nets.teacher, 'fakd').forward(batch.lr, { taps: t });
        return { soft: r.out, teacherFeatures: t.map((name) => r.features[name]) };
      }),
    terms: (nets, batch, prep) =>
      tf.tidy(() => {
        const s = taps(nets).student;
        if (s.length !== prep.teacherFeatures.length) {
          throw new Error(`fakd: ${s.length} student taps for ${prep.teacherFeatures.length} teacher features`);
        }
        const r = nets.student.forward(batch.lr, { taps: s });
        const detach = cfg.detachAffinity;
        const aff = tf.addN(s.map((name, i) => affinityL1(r.features[name], prep.teacherFeatures[i], { detach })));
        return {
          rec: tf.mul(w.rec, l1(r.out, batch.hr)) as tf.Scalar,
          kd: tf.mul(w.kd, l1(r.out, prep.soft)) as tf.Scalar,
          aff: tf.mul(w.aff, aff) as tf.Scalar,
        };
      }),
  };
}

const tapList = (k: string, v: unknown): void => {
  if (!Array.isArray(v) || v.length === 0) fail(k, 'a non-empty array of tap names', v);
  (v as unknown[]).forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0) fail(`${k}[${i}]`, 'a tap name', t);
  });
};
/** Check of a FakdTaps value (also used by the AT and FitNet records). */
export const fakdTaps: Check = (k, v) => {
  if (v === 'thirds' || v === 'dukd4') return;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(k, "'thirds', 'dukd4' or { student, teacher }", v);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'student' && key !== 'teacher') fail(`${k}.${key}`, 'absent (allowed keys: student, teacher)', o[key]);
  }
  tapList(`${k}.student`, o.student);
  tapList(`${k}.teacher`, o.teacher);
  if ((o.student as unknown[]).length !== (o.teacher as unknown[]).length) {
    fail(`${k}.teacher`, `as long as ${k}.student (${(o.student as unknown[]).length})`, o.teacher);
  }
};

const defaults = (): FakdConfig => ({ kind: 'fakd', recWeight: 0.5, kdWeight: 0.5, affinityWeight: 10 / 255, taps: 'thirds', detachAffinity: false });

export const FAKD: MethodSpec<FakdConfig> = {
  kind: 'fakd',
  title: 'FAKD',
  source: 'Wang et al. 2020 (FAKD code: α = 0.5, β = 10, taps at thirds); DUKD Table 2 "FAKD" row',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight, affinityWeight: weight, taps: fakdTaps, detachAffinity: bool },
  defaults,
  smokeConfigs: () => [
    { name: 'fakd', config: defaults() },
    { name: 'fakd-dukd4', config: { ...defaults(), taps: 'dukd4' } },
    { name: 'fakd-detached', config: { ...defaults(), recWeight: 1, kdWeight: 1, affinityWeight: 10, taps: 'dukd4', detachAffinity: true } },
  ],
  formula,
  create: (cfg) => featureAffinityKd(cfg) as DistillMethod,
};
