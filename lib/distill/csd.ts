/**
 * CSD, contrastive self-distillation (Wang et al., IJCAI 2021; CSD-code `trainer/slim_contrast_trainer.py`):
 * one shared-weight EDSR run at width 1 (the teacher T) and at width w (the student S, its first channels;
 * lib/models/csd-edsr.ts), trained jointly:
 *
 *    L = w_rec · L1(S(x), y) + λ_CL · L_CL(S(x), sg(T(x)), n_1..n_K) + λ_T · L1(T(x), y)
 *
 * with the kit's [0, 1] images λ_CL = 200/255 (CSD's `--contra_lambda 200` on 0-255 images), λ_T = 1, K = 10, and
 * L_CL CSD's VGG-19 ratio (lib/losses/csd-contrastive.ts). The negatives n_k are the PyTorch-bicubic upsamplings of
 * the first K LR patches of the whole batch in a random order (stepRng(ctx, 'csd/negatives'): one order per
 * iteration, the same on every worker), the same K for every anchor.
 *
 * How it fits the trainer. The shared weights ARE the teacher network the trainer builds from `config.teacher`
 * and loads from `teacherWeights` (so they start from the pretrained full-width teacher, as CSD's trainer loads
 * its teacher checkpoint): `trainable` returns the teacher's variables, the width-1 pass is `teacher.forward`
 * and the width-w pass `slimEdsrForward(teacher, ...)`, whose slices carry gradients back into the shared
 * variables. So the engines optimise, average, EMA and checkpoint the shared weights with no special case, and
 * a resume restores them like any trained variables. `nets.student` (config.student, which must be the slice:
 * EDSR, same depth, int(C·w) features) is only the evaluation copy: `loadStudent` slices the trained (EMA)
 * values into it (extractSlimEdsr), so validation, the run's `model/`, eval, upscale and export see an ordinary
 * EDSR. CSD does not apply to RCAN or SwinIR students, nor to a warm-started student (`checkTrain`).
 *
 * Batch coupling. L_CL is a ratio of batch means over negatives from the whole batch, so `wholeBatch` hands every
 * share the whole batch (for the K negatives) and `shareStats` returns this share's per-layer sums (cl_num,
 * cl_den, cl_count) at the current weights; with the engines' all-reduced totals `terms` returns for cl a scalar
 * whose value is the full-batch λ_CL·L_CL and whose gradient is this share's part over its share weight
 * (contrastiveRatioShareSurrogate, valueWithGradientOf), exactly as dckd.ts does. Without totals (a direct call)
 * cl is the plain loss of the given batch.
 *
 * clWeight 0 and teacherWeight 0 leave L1(S(x), y) alone: the student initialised from the sliced teacher and
 * trained without distillation (preset 'csd-slice-scratch', the fair baseline of CSD repository issue 9). Only the
 * slice gets gradients then, and Adam leaves the rest of the shared weights untouched (zero gradients, zero
 * moments), so it is exactly Scratch on a sliced-teacher initialisation.
 *
 * Feature network: torchvision's VGG-19 from `featureWeights`, or (null) a seeded random one of the shared
 * fixture's widths; the method then says so in `notes` ("untrained feature network: pipeline check, not the method").
 */
import * as tf from '@tensorflow/tfjs';
import { type Check, fail, nullableString, posInt, weight } from '../config/checks';
import { loadVgg19 } from '../io/frozen-nets';
import { type RatioTotals, weightedContrastiveTerm } from '../losses/contrastive-ratio';
import { CSD_LAMBDA_CL_01, CSD_VGG_WEIGHTS, csdContrastiveSums, csdNegativeOrder, csdNegatives } from '../losses/csd-contrastive';
import { l1 } from '../losses/pixel';
import { buildModel } from '../models/build';
import { CSD_WIDTH_MULT, assertCsdBackbone, extractSlimEdsr, slimEdsrArch, slimEdsrForward, slimWidth } from '../models/csd-edsr';
import { SMOKE_VGG19_WIDTHS, type VggFeatures, randomVgg19 } from '../models/features/vgg19';
import type { ArchConfig, EdsrConfig, SRNet } from '../models/types';
import type { Scale } from '../types';
import { UNTRAINED_FEATURES_NOTE } from './dckd';
import { assertStepContext, type DistillMethod, type MethodNets, needTeacher, stepRng, type TrainedValues } from './method';
import { type Formula, type MethodSpec, type TrainFacts, termWeights } from './method-spec';

export interface CsdConfig {
  readonly kind: 'csd';
  /** w: the student is the first int(C·w) channels of every conv (0.25, CSD's `--stu_width_mult`). */
  readonly widthMult: number;
  /** Weight of L1(S(x), y) (1). */
  readonly recWeight: number;
  /** λ_CL (200/255: CSD's 200 on 0-255 images, for [0, 1] images); 0 = no contrastive term, no VGG. */
  readonly clWeight: number;
  /** λ_T, weight of the teacher's L1(T(x), y) (1, `--t_lambda`); 0 = the full-width pass is not trained. */
  readonly teacherWeight: number;
  /** K: negatives, the first K LR patches of the batch (10, `--neg_num`; at most the batch size). */
  readonly negatives: number;
  /** torchvision VGG-19 file (vgg19-dcbb9e9d.pth), or null: a seeded random VGG of the test fixture's widths. */
  readonly featureWeights: string | null;
}

export type CsdPrep = {
  /** The K negatives [K, sH, sW, 3] (absent without the contrastive term). */
  negatives?: tf.Tensor4D;
  /** sg(T(x)) of this share, L_CL's positive (absent without the contrastive term). */
  teacher?: tf.Tensor4D;
  /** This share's weight in the engines' share-weighted average: share size / batch size. */
  shareWeight: number;
};

const STAT_KEYS = ['cl_num', 'cl_den', 'cl_count'] as const;

const formula = (cfg: CsdConfig): Formula => [[
  [cfg.recWeight, 'rec'],
  ...(cfg.clWeight > 0 ? [[cfg.clWeight, 'cl'] as const] : []),
  ...(cfg.teacherWeight > 0 ? [[cfg.teacherWeight, 't_rec'] as const] : []),
]];

/** The shared full-width EDSR (the trainer's teacher network). */
function sharedNet(nets: MethodNets): SRNet {
  const t = needTeacher(nets.teacher, 'csd');
  assertCsdBackbone(t.arch);
  return t;
}

/** Checks that `student` is the width-w slice of an EDSR of `teacher`'s shape (error names the key at fault). */
export function checkCsdPair(student: ArchConfig, teacher: ArchConfig | null, widthMult: number, path = 'method'): void {
  const why = (arch: ArchConfig): string => {
    try {
      assertCsdBackbone(arch);
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  const s = why(student);
  if (s) fail('student.arch', `'edsr' for method 'csd' (${s})`, student.arch);
  if (teacher === null) fail('teacher', "the full-width EDSR the student is sliced from (method 'csd')", teacher);
  const t = why(teacher);
  if (t) fail('teacher.arch', `'edsr' for method 'csd' (${t})`, teacher.arch);
  const se = student as EdsrConfig;
  const te = teacher as EdsrConfig;
  const want = slimEdsrArch(te, widthMult);
  if (se.blocks !== te.blocks) fail('student.blocks', `the teacher's ${te.blocks} (CSD's student shares every layer of the teacher)`, se.blocks);
  if (se.resScale !== te.resScale) fail('student.resScale', `the teacher's ${te.resScale} (shared by both widths)`, se.resScale);
  if (se.feats !== want.feats) {
    fail('student.feats', `int(${te.feats} x ${path}.widthMult ${widthMult}) = ${want.feats} (the teacher's first channels)`, se.feats);
  }
}

const RANDOM_VGG_NOTE = `${UNTRAINED_FEATURES_NOTE} (seeded random VGG-19 of the test fixture's sizes)`;

/** The method's VGG-19: torchvision's from `featureWeights`, or (null) the seeded random one, with a note saying so. The caller owns `net`. */
export function csdFeatureNet(cfg: Pick<CsdConfig, 'featureWeights'>): { net: VggFeatures; note: string | null } {
  if (cfg.featureWeights === null) return { net: randomVgg19(SMOKE_VGG19_WIDTHS, 0), note: RANDOM_VGG_NOTE };
  return { net: loadVgg19(cfg.featureWeights).net, note: null };
}

export function contrastiveSelfDistill(cfg: CsdConfig): DistillMethod<CsdPrep> {
  const f = formula(cfg);
  const w = termWeights(f);
  const termNames = f[0].map(([, name]) => name);
  const withCl = cfg.clWeight > 0;
  let vgg: VggFeatures | null = null;
  const features = (): VggFeatures => (vgg ??= csdFeatureNet(cfg).net);
  const student = (shared: SRNet, lr: tf.Tensor4D): tf.Tensor4D => slimEdsrForward(shared, lr, cfg.widthMult);
  const clSums = (prep: CsdPrep, sr: tf.Tensor4D) => {
    if (!prep.teacher || !prep.negatives) throw new Error('csd: prep has no teacher output or negatives (the contrastive term needs them)');
    return csdContrastiveSums(features(), { teacher: prep.teacher, student: sr, negatives: prep.negatives });
  };

  return {
    id: 'csd',
    config: cfg,
    requiresTeacher: true,
    termNames,
    termGroups: [termNames],
    wholeBatch: withCl,
    notes: withCl && cfg.featureWeights === null ? [RANDOM_VGG_NOTE] : [],
    trainable: (nets) => Array.from(sharedNet(nets).params.values()),
    prepare(batch, nets, ctx, whole): CsdPrep {
      const shared = sharedNet(nets);
      const b = batch.lr.shape[0];
      assertStepContext(ctx, b);
      const shareWeight = b / ctx.batchSizeTotal;
      if (!withCl) return { shareWeight };
      const all = whole ?? (b === ctx.batchSizeTotal ? batch : null);
      if (all === null) throw new Error(`csd: a share of ${b} of ${ctx.batchSizeTotal} samples needs the whole batch (its negatives are the batch's first ${cfg.negatives} LR patches)`);
      if (all.lr.shape[0] !== ctx.batchSizeTotal) throw new Error(`csd: the whole batch has ${all.lr.shape[0]} samples, ctx.batchSizeTotal ${ctx.batchSizeTotal}`);
      const order = csdNegativeOrder(stepRng(ctx, 'csd/negatives'), cfg.negatives, ctx.batchSizeTotal);
      return tf.tidy(() => ({ negatives: csdNegatives(all.lr, order, shared.scale), teacher: shared.forward(batch.lr).out, shareWeight }));
    },
    shareStats(nets, batch, prep) {
      if (!withCl) return {};
      return tf.tidy(() => {
        const s = clSums(prep, student(sharedNet(nets), batch.lr));
        return { cl_num: s.num, cl_den: s.den, cl_count: tf.tensor1d(s.count) };
      });
    },
    terms(nets, batch, prep, o = {}) {
      if (o.group !== undefined && o.group !== 0) throw new Error(`csd: no term group ${o.group} (have 1)`);
      const totals = withCl ? o.totals : undefined;
      if (totals !== undefined) {
        for (const k of STAT_KEYS) if (!Array.isArray(totals[k])) throw new Error(`csd: totals lack '${k}' (have ${Object.keys(totals).join(', ')})`);
      }
      const shared = sharedNet(nets);
      return tf.tidy(() => {
        const sr = student(shared, batch.lr);
        const weighted = (k: number, x: tf.Scalar): tf.Scalar => tf.mul(k, x) as tf.Scalar;
        const out: Record<string, tf.Scalar> = { rec: weighted(w.rec, l1(sr, batch.hr)) };
        if (withCl) {
          const sums = clSums(prep, sr);
          const t: RatioTotals | undefined = totals && { num: totals.cl_num, den: totals.cl_den, count: totals.cl_count };
          out.cl = weightedContrastiveTerm(w.cl, sums, t, CSD_VGG_WEIGHTS, prep.shareWeight);
        }
        // the width-1 pass inside the tape: λ_T·L1(T(x), y) trains the whole shared network
        if (cfg.teacherWeight > 0) out.t_rec = weighted(w.t_rec, l1(shared.forward(batch.lr).out, batch.hr));
        return out;
      });
    },
    loadStudent(target, trained) {
      loadSlicedStudent(target, trained, cfg.widthMult);
    },
    dispose() {
      vgg?.dispose();
      vgg = null;
    },
  };
}

/**
 * Writes into `student` (an EDSR of width int(C·w)) the slice of the shared full-width EDSR whose parameter values,
 * in the kit's EDSR parameter order, are `trained`: a temporary full-width EDSR takes them, extractSlimEdsr cuts
 * the student out. Errors name the parameter that does not fit.
 */
export function loadSlicedStudent(student: SRNet, trained: readonly TrainedValues[], widthMult: number): void {
  assertCsdBackbone(student.arch);
  const keys = [...student.params.keys()];
  if (trained.length !== keys.length) throw new Error(`csd: ${trained.length} trained variables for a student of ${keys.length} parameters (not the same EDSR)`);
  const first = trained[keys.indexOf('conv_first.weight')];
  const feats = first?.shape[3];
  if (first === undefined || feats === undefined) throw new Error('csd: the trained variables have no full-width conv_first.weight');
  const sharedArch: EdsrConfig = { ...student.arch, feats };
  const want = slimWidth(feats, widthMult);
  if (want !== student.arch.feats) throw new Error(`csd: the student has ${student.arch.feats} features; int(${feats} x ${widthMult}) = ${want}`);
  const shared = buildModel(sharedArch, student.scale as Scale, { seed: 0 });
  let slim: SRNet | null = null;
  try {
    [...shared.params.entries()].forEach(([k, v], i) => {
      if (keys[i] !== k) throw new Error(`csd: parameter ${i} is '${keys[i]}' in the student, '${k}' in the shared EDSR`);
      const t = trained[i];
      if (t.shape.join() !== v.shape.join()) throw new Error(`csd: trained variable ${i} ('${k}') is [${t.shape}], the full-width EDSR's [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape, 'float32')));
    });
    slim = extractSlimEdsr(shared, widthMult);
    for (const [k, v] of student.params) v.assign(slim.params.get(k)!);
  } finally {
    shared.dispose();
    slim?.dispose();
  }
}

const widthMultCheck: Check = (k, v) => {
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) fail(k, 'a number in (0, 1]', v);
};

/** CSD's README command (`--stu_width_mult 0.25 --neg_num 10 --contra_lambda 200 --t_lambda 1`), for [0, 1] images. */
function csdDefaults(): CsdConfig {
  return { kind: 'csd', widthMult: CSD_WIDTH_MULT, recWeight: 1, clWeight: CSD_LAMBDA_CL_01, teacherWeight: 1, negatives: 10, featureWeights: null };
}

/** Presets: 'csd' (CSD's setting) and 'csd-slice-scratch' (the sliced teacher trained on L1(S(x), y) alone). */
export function csdPreset(name: 'csd' | 'csd-slice-scratch'): CsdConfig {
  const d = csdDefaults();
  return name === 'csd-slice-scratch' ? { ...d, clWeight: 0, teacherWeight: 0 } : d;
}

export const CSD: MethodSpec<CsdConfig> = {
  kind: 'csd',
  title: 'CSD',
  source: "Wang et al., contrastive self-distillation (IJCAI 2021; loss, negatives and weights from CSD-code's README command and slim_contrast_trainer.py)",
  needsTeacher: true,
  batchCoupled: true,
  featureNets: ['vgg19'],
  schema: { widthMult: widthMultCheck, recWeight: weight, clWeight: weight, teacherWeight: weight, negatives: posInt, featureWeights: nullableString },
  checkTrain(cfg: CsdConfig, train: TrainFacts, path: string): void {
    checkCsdPair(train.student, train.teacher, cfg.widthMult, path);
    if (train.studentInit) fail('studentInit', "null for method 'csd' (its student starts as the teacher's first channels, the shared weights)", 'a warm start');
    if (cfg.clWeight > 0) {
      if (cfg.negatives > train.batchSize) fail(`${path}.negatives`, `at most data.batchSize ${train.batchSize} (CSD takes its negatives from the batch)`, cfg.negatives);
      const sr = train.patchSizeLr * train.scale;
      if (sr < 16) fail('data.patchSizeLr', `at least ${Math.ceil(16 / train.scale)} at x${train.scale} (VGG-19 relu5_1 needs SR patches of 16 px or more: 4 poolings)`, train.patchSizeLr);
    }
  },
  fitPreset(cfg, train) {
    const method = { ...cfg, negatives: Math.min(cfg.negatives, train.batchSize) };
    if (train.teacher === null || train.teacher.arch !== 'edsr') return { method, student: train.student };
    return { method, student: slimEdsrArch(train.teacher, cfg.widthMult) };
  },
  defaults: csdDefaults,
  smokeConfigs: () => [
    { name: 'csd', config: { ...csdDefaults(), negatives: 2 } },
    { name: 'csd-slice-scratch', config: { ...csdPreset('csd-slice-scratch'), negatives: 2 } },
  ],
  formula,
  create: (cfg) => contrastiveSelfDistill(cfg) as DistillMethod,
};
