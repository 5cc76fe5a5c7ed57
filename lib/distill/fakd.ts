/**
 * FAKD (spec/methods.md section 5):
 *   L = recWeight·L1(S(x), y) + kdWeight·L1(S(x), sg T(x)) + affinityWeight·Σ_l L1(A(F_S^l), A(sg F_T^l)).
 * Teacher output and features come from `prepare` (outside the tape, so they carry no gradient); the
 * affinity term is differentiable w.r.t. the student features (no DUKD-style detachment, A-FAKD-2).
 * Terms: rec, kd, aff (aff = the weighted sum over layers). Worker-invariant: each is an element mean.
 */
import * as tf from '@tensorflow/tfjs';
import { affinityL1 } from '../losses/affinity';
import { l1 } from '../losses/pixel';
import type { ArchConfig } from '../models/types';
import type { TapName } from '../types';
import type { FakdTaps, MethodOf } from './config';
import { type DistillMethod, type MethodNets, needTeacher } from './method';

/** Depth in tap units: EDSR blocks, RCAN groups, SwinIR RSTBs. */
function bodyUnits(arch: ArchConfig): number {
  switch (arch.arch) {
    case 'edsr':
      return arch.blocks;
    case 'rcan':
      return arch.groups;
    case 'swinir':
      return arch.depths.length;
  }
}

/** The tap after `u` body units ('head' for 0). */
function tapAfter(u: number, n: number): TapName {
  const k = Math.max(0, Math.min(u, n));
  return k === 0 ? 'head' : `body.${k - 1}`;
}

/** Student positions (units completed) for the two inner FAKD layers. */
function thirdsUnits(arch: ArchConfig): [number, number] {
  const n = bodyUnits(arch);
  if (arch.arch === 'rcan' && n === 10) return [3, 7]; // FAKD-code RCAN: groups 3 and 7 (indices 2, 6)
  return [Math.floor(n / 3), Math.floor((2 * n) / 3)];
}

/** Resolves a FakdTaps spec against the actual student and teacher backbones (see FakdTaps in config.ts). */
export function resolveFakdTaps(spec: FakdTaps, student: ArchConfig, teacher: ArchConfig): { student: TapName[]; teacher: TapName[] } {
  if (typeof spec === 'object') return { student: [...spec.student], teacher: [...spec.teacher] };
  const nS = bodyUnits(student);
  const nT = bodyUnits(teacher);
  let units: number[];
  if (spec === 'thirds') units = thirdsUnits(student);
  else {
    // DUKD-code: conv_first, 0-based block floor(n/3) and floor(2n/3) (EDSR 32: blocks 10, 21), conv_after_body;
    // RCAN: groups 2 and 6 (0-based)
    const [a, b] = student.arch === 'edsr' ? [Math.floor(nS / 3) + 1, Math.floor((2 * nS) / 3) + 1] : thirdsUnits(student);
    units = [0, a, b];
  }
  const map = (u: number): number => Math.round((u * nT) / nS);
  return {
    student: [...units.map((u) => tapAfter(u, nS)), 'body.out'],
    teacher: [...units.map((u) => tapAfter(map(u), nT)), 'body.out'],
  };
}

export type FakdPrep = { soft: tf.Tensor4D; teacherFeatures: tf.Tensor4D[] };

export function featureAffinityKd(cfg: MethodOf<'fakd'>): DistillMethod<FakdPrep> {
  const taps = (nets: MethodNets): { student: TapName[]; teacher: TapName[] } =>
    resolveFakdTaps(cfg.taps, nets.student.arch, needTeacher(nets.teacher, 'fakd').arch);
  return {
    id: 'fakd',
    config: cfg,
    requiresTeacher: true,
    auxModels: [],
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
        const aff = tf.addN(s.map((name, i) => affinityL1(r.features[name], prep.teacherFeatures[i])));
        return {
          rec: tf.mul(cfg.recWeight, l1(r.out, batch.hr)) as tf.Scalar,
          kd: tf.mul(cfg.kdWeight, l1(r.out, prep.soft)) as tf.Scalar,
          aff: tf.mul(cfg.affinityWeight, aff) as tf.Scalar,
        };
      }),
  };
}
