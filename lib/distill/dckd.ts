/**
 * DCKD, dynamic contrastive KD (Zhou et al., AAAI 2025; DCKD-code `dckd_model.py`):
 * response KD plus a contrastive lower bound whose negatives come from a lagging "history" copy of the student
 * (Dynamic Contrastive Regularisation, DCR) and a code-distribution alignment through a frozen VQGAN encoder and
 * codebook (Distribution Mapping Module, DMM).
 *
 * Per iteration, with x the LR batch, y the HR batch (prepare, outside the tape):
 *  - positive t = T(x) (frozen teacher);
 *  - negatives n_0 = S_his(x), n_j = S_his(D_j(x)) for j = 1..N−1, D_j = DCKD's degradation (Gaussian noise
 *    σ ~ U(1, 30)/255, grey with probability 0.5, clipped; lib/augment/degrade.ts). Degradation j is drawn for the
 *    whole batch from stepRng(ctx, 'dckd/degrade/j') (its batch-level draws shared, per-sample σ, grey flag and
 *    noise seed indexed by the global sample index) and this share's rows are cut with sliceDegradation, so
 *    results do not depend on the worker count;
 *  - dckd-release only (lcrWeight > 0, DCKD-code `lcr_opt`): t_A = A⁻¹(T(A(x))), A = the invertible ops I, H, W,
 *    Tr each with probability lcrProb, flags per sample from sampleRng(ctx, 'dckd/lcr', i).
 * Terms (inside the tape), each already weighted by termWeights(formula(cfg)), a = S(x):
 *    rec = w.rec · L1(a, y)                  kd = w.kd · L1(a, t)
 *    dcl = w.dcl · L_dcl(a, t, n_0..n_{N−1})  (lib/losses/dckd-contrastive.ts, feature layers weighted 1/32 .. 1)
 *    ce  = w.ce  · L_ce(a, t)                (Eq. 9, or the released double softmax; VQGAN features only)
 *    lcr = w.lcr · L1(a, t_A)                (lcrWeight > 0)
 *    zi, zo_rec, zo_kd                       DCKD* only (`upcycling`): DUKD's upcycled terms (dukd.ts), same step
 * DCKD* (non-canonical: the paper publishes no combination weights) = DCKD plus DUKD's zoom-in / zoom-out
 * terms with DUKD's code weights for the student backbone, in one optimiser step; the teacher never sees augmented
 * inputs there.
 *
 * Batch coupling. L_dcl is a ratio of batch means, so it is not the mean of per-share ratios. `shareStats` returns
 * this share's per-layer sums (dcl_num, dcl_den, dcl_count) at the current weights; the engines add them over
 * all shares and pass the totals to `terms`, which then returns for dcl a scalar whose VALUE is the full-batch
 * weighted L_dcl (ratioFromTotals) and whose GRADIENT is this share's part of the full-batch gradient divided by
 * its share weight n_s / n (contrastiveRatioShareSurrogate), so the engines' share-weighted average of values and
 * gradients is exact. Without totals (a direct call: tests, notebooks) dcl is the plain loss of the given batch.
 *
 * History model (DCKD Eq. 6, DCKD-code): a frozen copy of the student built in `init` (same architecture, the
 * student's weights), never trained (its variables are not trainable and not in `trainable`), exposed through
 * `stateVariables` so checkpoints keep it and a resume restores it. After iteration iter = ctx.step + 1 (BasicSR
 * counts iterations from 1), when iter is a multiple of historyEvery[k], k = min(floor((iter − 1)/historyPhaseSteps),
 * last): θ_his ← α·θ_his + (1 − α)·θ_src, α = historyDecay, θ_src = the student's EMA weights (historySource
 * 'ema', the code) or its raw weights ('raw', the paper).
 *
 * Feature network: the VQGAN encoder of `featureWeights` (a taming-transformers checkpoint), or with `features:
 * 'vgg'` CSD's VGG-19 relu1_1 .. relu5_1 taps on 255-scaled images (the documented dcr-vgg variant, for users without the VQGAN file: no
 * codebook, so no L_ce). featureWeights null = a seeded random network of the shared fixture's sizes: the method
 * says so in `notes` ("untrained feature network: pipeline check, not the method"), and train() prints it.
 */
import * as tf from '@tensorflow/tfjs';
import { type AugFlags, applyAug, invertAug, sampleAugFlags } from '../augment/invertible';
import { DCKD_DEGRADATION, type DegradationConfig, applyDegradation, sampleDegradation, sliceDegradation } from '../augment/degrade';
import { type Check, arrayOf, bool, checkRecord, fail, nullableString, oneOf, posInt, prob, unit, weight } from '../config/checks';
import { loadVgg19, loadVqgan } from '../io/frozen-nets';
import { type RatioTotals, weightedContrastiveTerm } from '../losses/contrastive-ratio';
import { csdVggFeatures } from '../losses/csd-contrastive';
import { type FeatureMaps, dckdContrastiveSums } from '../losses/dckd-contrastive';
import { dckdVqganTerms } from '../losses/dckd-vqgan-terms';
import { l1 } from '../losses/pixel';
import { type ArchName, archSpec } from '../models/archs/index';
import { buildModel } from '../models/build';
import { SMOKE_VGG19_WIDTHS, randomVgg19 } from '../models/features/vgg19';
import { DCKD_FEATURE_WEIGHTS, SMOKE_VQGAN_CONFIG, type VqganEncoder, randomVqgan } from '../models/features/vqgan-encoder';
import type { SRNet } from '../models/types';
import type { Scale } from '../types';
import { UPCYCLING_COMMON, UPCYCLING_SCHEMA, type UpcyclingOptions, type UpcyclingPrep, checkUpcyclingTrain, upcyclingFormula, upcyclingMethod } from './dukd';
import { assertStepContext, type DistillMethod, type StepContext, needTeacher, sampleRng, stepRng } from './method';
import { type Formula, type MethodSpec, type RunFacts, type TrainFacts, termWeights } from './method-spec';

export type DckdFeatures = 'vqgan' | 'vgg';
export type DckdHistorySource = 'ema' | 'raw';

export interface DckdConfig {
  readonly kind: 'dckd';
  /** Weight of L1(S(x), y) (Eq. 10: 1). */
  readonly recWeight: number;
  /** Weight of L1(S(x), T(x)) (Eq. 10: 1). */
  readonly kdWeight: number;
  /** λ_dcl (0.1, DCKD Table 7; code `cl_opt.loss_weight`). */
  readonly dclWeight: number;
  /** λ_ce (0.001; code `ce_opt.loss_weight`); must be 0 with features 'vgg' (no codebook). */
  readonly ceWeight: number;
  /** N: negatives per anchor = the clean one + N−1 degraded (5; code `num_neg: 4` + clean). */
  readonly negatives: number;
  /** α in θ_his ← α·θ_his + (1 − α)·θ_src (0.1; code `update_decay`). */
  readonly historyDecay: number;
  /** Update period per phase ([1000, 2000, 3000]; code `step`); the last entry holds after the last phase. */
  readonly historyEvery: readonly number[];
  /** Iterations per phase of historyEvery (100000). */
  readonly historyPhaseSteps: number;
  /** θ_src: the student's EMA weights ('ema', the code's net_g_ema) or its raw weights ('raw', the paper). */
  readonly historySource: DckdHistorySource;
  /** Gaussian noise σ range of the degraded negatives, 0-255 units ([1, 30]). */
  readonly noiseSigmaRange: readonly [number, number];
  /** Probability of grey noise (one field for the three channels) (0.5). */
  readonly grayProb: number;
  /** L_ce as the released code computes it (log-softmax of the softmax) instead of Eq. 9. */
  readonly legacyDoubleSoftmax: boolean;
  /** Weight of the released configs' label-consistency term L1(S(x), A⁻¹(T(A(x)))) (0 = paper; 1 = dckd-release). */
  readonly lcrWeight: number;
  /** Per-op probability of the LCR augmentation (0.5, code `noisy.prob`). */
  readonly lcrProb: number;
  /** 'vqgan' (DCKD) or 'vgg' (dcr-vgg: CSD's VGG-19 taps for L_dcl, no L_ce). */
  readonly features: DckdFeatures;
  /** The feature network's file (VQGAN taming checkpoint or torchvision VGG-19), or null: seeded random, fixture sizes. */
  readonly featureWeights: string | null;
  /** DCKD*: DUKD's upcycled terms on top (null = DCKD). */
  readonly upcycling: DckdUpcycling | null;
}

/** DCKD*'s DUKD part: the upcycling switches (one optimiser step) and the weights of its terms. */
export interface DckdUpcycling extends Omit<UpcyclingOptions, 'updateMode'> {
  readonly ziWeight: number;
  readonly zoRecWeight: number;
  readonly zoKdWeight: number;
}

export type DckdPrep = {
  /** T(x) */
  teacher: tf.Tensor4D;
  /** n_0 = S_his(x), n_j = S_his(D_j(x)) */
  negatives: tf.Tensor4D[];
  /** A⁻¹(T(A(x))); absent without the LCR term (lcrWeight 0) */
  lcrTarget?: tf.Tensor4D;
  /** This share's weight in the engines' share-weighted average: share size / batch size. */
  shareWeight: number;
  /** DCKD*: DUKD's upcycled inputs and targets (its kdTarget is `teacher`). */
  up?: UpcyclingPrep;
};

/** What `notes` says when the feature network has random weights. */
export const UNTRAINED_FEATURES_NOTE = 'untrained feature network: pipeline check, not the method';

/** The update period in force at iteration `iter` (1-based), or throws on a bad iteration. */
export function historyPeriod(cfg: Pick<DckdConfig, 'historyEvery' | 'historyPhaseSteps'>, iter: number): number {
  if (!Number.isInteger(iter) || iter < 1) throw new Error(`DCKD history: iteration must be an integer >= 1 (got ${iter})`);
  const phase = Math.min(Math.floor((iter - 1) / cfg.historyPhaseSteps), cfg.historyEvery.length - 1);
  return cfg.historyEvery[phase];
}

/** Whether the history model is updated after iteration `iter` (1-based). */
export function historyUpdatesAt(cfg: Pick<DckdConfig, 'historyEvery' | 'historyPhaseSteps'>, iter: number): boolean {
  return iter % historyPeriod(cfg, iter) === 0;
}

const formula = (cfg: DckdConfig): Formula => [[
  [cfg.recWeight, 'rec'],
  [cfg.kdWeight, 'kd'],
  [cfg.dclWeight, 'dcl'],
  // L_ce only with the VQGAN codebook, and not at weight 0 (Table 5's DCR-only row skips the two code passes)
  ...(cfg.features === 'vqgan' && cfg.ceWeight > 0 ? [[cfg.ceWeight, 'ce'] as const] : []),
  ...(cfg.lcrWeight > 0 ? [[cfg.lcrWeight, 'lcr'] as const] : []),
  ...(cfg.upcycling ? upcycledTerms(cfg.upcycling) : []),
]];

/** DUKD's upcycled terms (zi, zo_rec, zo_kd, each when its stream is on), as DUKD's formula lists them. */
function upcycledTerms(u: DckdUpcycling): Formula[number] {
  return upcyclingFormula({ ...u, updateMode: 'single' }, { rec: 0, kd: 0, zi: u.ziWeight, zoRec: u.zoRecWeight, zoKd: u.zoKdWeight })[0].slice(2);
}

/** DUKD's engine for DCKD*'s upcycled terms: its second step of a two-step formula holds exactly those terms. */
function upcyclingPart(u: DckdUpcycling): DistillMethod<UpcyclingPrep> {
  const opts: UpcyclingOptions = { ...u, updateMode: 'twoStepAccumulate' };
  const w = { rec: 0, kd: 0, zi: u.ziWeight, zoRec: u.zoRecWeight, zoKd: u.zoKdWeight };
  return upcyclingMethod('dukd', { kind: 'dukd', recWeight: 0, kdWeight: 0, ...opts }, opts, upcyclingFormula(opts, w));
}

function degradation(cfg: DckdConfig): DegradationConfig {
  return { ...DCKD_DEGRADATION, noiseSigmaRange: cfg.noiseSigmaRange, grayNoiseProb: cfg.grayProb };
}

/** The frozen feature network the method owns: L_dcl's maps, and (VQGAN) the code logits for L_ce. */
type FeatureNet = FeatureMaps & { readonly vqgan: VqganEncoder | null; dispose(): void };

/**
 * The VQGAN encoder a DCKD config trains with: loaded from featureWeights, or (null) the seeded random one of the
 * fixture's sizes, with `note` saying so (null for a loaded file). The caller owns `net`. For notebooks and
 * reports that look at the code distributions the method aligns.
 */
export function dckdVqgan(cfg: Pick<DckdConfig, 'featureWeights'>): { net: VqganEncoder; note: string | null } {
  if (cfg.featureWeights === null) return { net: randomVqgan(SMOKE_VQGAN_CONFIG, 0), note: `${UNTRAINED_FEATURES_NOTE} (seeded random VQGAN encoder of the test fixture's sizes)` };
  return { net: loadVqgan(cfg.featureWeights).net, note: null };
}

function buildFeatureNet(cfg: DckdConfig): FeatureNet {
  if (cfg.features === 'vqgan') {
    const vq = dckdVqgan(cfg).net;
    return { features: (x) => vq.features(x), vqgan: vq, dispose: () => vq.dispose() };
  }
  const vgg = cfg.featureWeights === null ? randomVgg19(SMOKE_VGG19_WIDTHS, 0) : loadVgg19(cfg.featureWeights).net;
  return { features: (x) => csdVggFeatures(vgg, x), vqgan: null, dispose: () => vgg.dispose() };
}

const STAT_KEYS = ['dcl_num', 'dcl_den', 'dcl_count'] as const;

function checkDckd(cfg: DckdConfig, path: string): void {
  if (cfg.features === 'vgg' && cfg.ceWeight !== 0) {
    fail(`${path}.ceWeight`, "0 with features 'vgg' (L_ce needs the VQGAN codebook)", cfg.ceWeight);
  }
  if (cfg.upcycling && !cfg.upcycling.zoomIn && !cfg.upcycling.zoomOut) {
    fail(`${path}.upcycling`, 'null or with zoomIn or zoomOut on (DCKD* adds DUKD\'s upcycled terms)', cfg.upcycling);
  }
}

/**
 * The degraded inputs D_1(x) .. D_{N−1}(x) of the negatives at step `ctx` (what prepare feeds the history model
 * after the clean x): degradation j drawn for the whole batch from stepRng(ctx, 'dckd/degrade/j'), this share's
 * rows cut out. The caller owns the results.
 */
export function dckdDegradedInputs(cfg: DckdConfig, lr: tf.Tensor4D, ctx: StepContext): tf.Tensor4D[] {
  const b = lr.shape[0];
  const deg = degradation(cfg);
  return Array.from({ length: cfg.negatives - 1 }, (_, j) => {
    const d = sliceDegradation(sampleDegradation(stepRng(ctx, `dckd/degrade/${j + 1}`), deg, ctx.batchSizeTotal), ctx.sampleOffset, b);
    return applyDegradation(lr, d);
  });
}

/** The history model: a copy of the student (same architecture, its weights), with variables that are not trainable. */
function copyOf(student: SRNet): SRNet {
  const his = buildModel(student.arch, student.scale, { seed: 0 });
  for (const [k, v] of his.params) {
    const src = student.params.get(k);
    if (src === undefined) throw new Error(`DCKD history: the student has no parameter '${k}'`);
    v.assign(src);
    v.trainable = false; // never seen by tf.variableGrads nor an optimiser
  }
  return his;
}

export function dynamicContrastiveKd(cfg: DckdConfig): DistillMethod<DckdPrep> {
  checkDckd(cfg, 'method');
  const f = formula(cfg);
  const w = termWeights(f);
  const termNames = f[0].map(([, name]) => name);
  const ceForm = cfg.legacyDoubleSoftmax ? 'legacyDoubleSoftmax' : 'eq9';
  const lcrSampling = { prob: cfg.lcrProb, colorInvert: true };
  const up = cfg.upcycling ? upcyclingPart(cfg.upcycling) : null;
  let history: SRNet | null = null;
  let net: FeatureNet | null = null;
  const features = (): FeatureNet => (net ??= buildFeatureNet(cfg));
  const needHistory = (): SRNet => {
    if (history === null) throw new Error('dckd: the history model does not exist yet (call method.init(nets) once before the first step)');
    return history;
  };
  const dclSums = (prep: DckdPrep, sr: tf.Tensor4D) => dckdContrastiveSums(features(), { anchor: sr, positive: prep.teacher, negatives: prep.negatives });

  return {
    id: 'dckd',
    config: cfg,
    requiresTeacher: true,
    termNames,
    termGroups: [termNames],
    notes: cfg.featureWeights === null ? [`${UNTRAINED_FEATURES_NOTE} (seeded random ${cfg.features === 'vqgan' ? 'VQGAN encoder' : 'VGG-19'} of the test fixture's sizes)`] : [],
    init(nets) {
      history?.dispose();
      history = copyOf(nets.student);
    },
    stateVariables: () => Array.from(needHistory().params.values()),
    prepare(batch, nets, ctx: StepContext): DckdPrep {
      const teacher = needTeacher(nets.teacher, 'dckd');
      const his = needHistory();
      const b = batch.lr.shape[0];
      assertStepContext(ctx, b);
      const upPrep = up ? up.prepare(batch, nets, ctx) : undefined; // T(x), zoom-in tiles, zoom-out inputs
      const flags: AugFlags[] = cfg.lcrWeight > 0 ? Array.from({ length: b }, (_, i) => sampleAugFlags(sampleRng(ctx, 'dckd/lcr', i), lcrSampling)) : [];
      return tf.tidy(() => {
        // one history pass per input x, D_1(x), ..., D_{N−1}(x), each of the student's shape: n_0 = S(x) exactly while
        // the history model equals the student, also on backends whose kernels depend on the batch size (webgpu)
        const negatives = [batch.lr, ...dckdDegradedInputs(cfg, batch.lr, ctx)].map((x) => his.forward(x).out);
        const prep: DckdPrep = { teacher: upPrep ? upPrep.kdTarget : teacher.forward(batch.lr).out, negatives, shareWeight: b / ctx.batchSizeTotal };
        if (upPrep) prep.up = upPrep;
        if (cfg.lcrWeight > 0) prep.lcrTarget = invertAug(teacher.forward(applyAug(batch.lr, flags)).out, flags);
        return prep;
      });
    },
    shareStats(nets, batch, prep) {
      return tf.tidy(() => {
        const s = dclSums(prep, nets.student.forward(batch.lr).out);
        return { dcl_num: s.num, dcl_den: s.den, dcl_count: tf.tensor1d(s.count) };
      });
    },
    terms(nets, batch, prep, o = {}) {
      if (o.group !== undefined && o.group !== 0) throw new Error(`dckd: no term group ${o.group} (have 1)`);
      const totals = o.totals;
      if (totals !== undefined) {
        for (const k of STAT_KEYS) if (!Array.isArray(totals[k])) throw new Error(`dckd: totals lack '${k}' (have ${Object.keys(totals).join(', ')})`);
      }
      return tf.tidy(() => {
        const sr = nets.student.forward(batch.lr).out;
        const weighted = (k: number, x: tf.Scalar): tf.Scalar => tf.mul(k, x) as tf.Scalar;
        const out: Record<string, tf.Scalar> = { rec: weighted(w.rec, l1(sr, batch.hr)), kd: weighted(w.kd, l1(sr, prep.teacher)) };
        // with L_ce, one VQGAN pass of S(x) and of T(x) serves both terms (dckd-vqgan-terms.ts)
        const vq = features().vqgan;
        const both = vq !== null && w.ce !== undefined
          ? dckdVqganTerms(vq, { anchor: sr, positive: prep.teacher, negatives: prep.negatives }, ceForm) : null;
        const sums = both ? both.sums : dclSums(prep, sr);
        const t: RatioTotals | undefined = totals && { num: totals.dcl_num, den: totals.dcl_den, count: totals.dcl_count };
        out.dcl = weightedContrastiveTerm(w.dcl, sums, t, DCKD_FEATURE_WEIGHTS, prep.shareWeight);
        if (both && w.ce !== undefined) out.ce = weighted(w.ce, both.ce);
        if (prep.lcrTarget !== undefined) out.lcr = weighted(w.lcr, l1(sr, prep.lcrTarget));
        if (up) {
          if (!prep.up) throw new Error('dckd: prep has no upcycled inputs (DCKD* needs them)');
          Object.assign(out, up.terms(nets, batch, prep.up, { group: 1 }));
        }
        return out;
      });
    },
    afterStep(nets, ctx, ema) {
      const his = needHistory();
      if (!historyUpdatesAt(cfg, ctx.step + 1)) return;
      let src: readonly tf.Variable[];
      if (cfg.historySource === 'ema') {
        if (ema === null) throw new Error("dckd: historySource 'ema' needs the student's EMA (the train config's emaDecay is null); set method.historySource to 'raw'");
        src = ema;
      } else {
        src = Array.from(nets.student.params.values());
      }
      const dst = Array.from(his.params.values());
      if (src.length !== dst.length) throw new Error(`dckd: ${src.length} source variables for a history model of ${dst.length}`);
      const a = cfg.historyDecay;
      dst.forEach((v, i) => {
        if (v.size !== src[i].size) throw new Error(`dckd: history variable ${v.name} has ${v.size} values, its source ${src[i].size}`);
        tf.tidy(() => v.assign(tf.add(tf.mul(v, a), tf.mul(src[i], 1 - a))));
      });
    },
    dispose() {
      history?.dispose();
      history = null;
      net?.dispose();
      net = null;
    },
  };
}

const sigmaRange: Check = (k, v) => {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) || v[0] > v[1]) {
    fail(k, '[lo, hi] with 0 <= lo <= hi (noise σ in 0-255 units)', v);
  }
};

const { updateMode: _mode, ...upcyclingSwitches } = UPCYCLING_SCHEMA;
const upcyclingCheck: Check = (k, v) => {
  if (v === null) return;
  if (typeof v !== 'object' || Array.isArray(v)) fail(k, 'null or an object of DUKD upcycling options', v);
  checkRecord(v as Record<string, unknown>, { ...upcyclingSwitches, ziWeight: weight, zoRecWeight: weight, zoKdWeight: weight }, k, "DCKD*'s upcycling options");
};

/** The paper's setting (Eq. 10, DCKD Table 7 / Fig. 8), the same for every backbone and scale. */
function dckdDefaults(): DckdConfig {
  return {
    kind: 'dckd', recWeight: 1, kdWeight: 1, dclWeight: 0.1, ceWeight: 0.001, negatives: 5,
    historyDecay: 0.1, historyEvery: [1000, 2000, 3000], historyPhaseSteps: 100000, historySource: 'ema',
    noiseSigmaRange: [1, 30], grayProb: 0.5, legacyDoubleSoftmax: false, lcrWeight: 0, lcrProb: 0.5,
    features: 'vqgan', featureWeights: null, upcycling: null,
  };
}

/** Presets: 'dckd' (the paper), 'dckd-release' (+ the released LCR term), 'dcr-vgg' (VGG-19 taps, no L_ce). */
export function dckdPreset(name: 'dckd' | 'dckd-release' | 'dcr-vgg'): DckdConfig {
  const d = dckdDefaults();
  if (name === 'dckd-release') return { ...d, lcrWeight: 1, lcrProb: 0.5 };
  if (name === 'dcr-vgg') return { ...d, features: 'vgg', ceWeight: 0 };
  return d;
}

/**
 * DCKD* (non-canonical: no published combination weights): DCKD plus DUKD's zoom-in / zoom-out terms with DUKD's code setting for the
 * student backbone and scale (zi weighted like kd, zo_rec like DUKD's rec, zo_kd like kd; q = 0.3), one step.
 */
export function dckdStarPreset(arch: ArchName, scale: Scale): DckdConfig {
  const { recWeight, kdWeight, zoomOut, invAug, tiles } = archSpec(arch).dukdDefaults(scale);
  const { updateMode: _single, ...common } = UPCYCLING_COMMON;
  return { ...dckdDefaults(), upcycling: { zoomIn: true, zoomOut, invAug, tiles, ...common, ziWeight: kdWeight, zoRecWeight: recWeight, zoKdWeight: kdWeight } };
}

/** Iterations of DCKD's schedule (2.5·10⁵), the run length its history periods were set for. */
export const DCKD_PAPER_ITERATIONS = 250000;

/**
 * The history schedule scaled to a run of `totalSteps` iterations (periods and phase length times
 * totalSteps / 2.5·10⁵, at least 1), so a short run (quick presets, notebooks) still updates its history model
 * the same number of times per phase as the paper's run; unchanged for runs of 2.5·10⁵ steps or more.
 */
export function scaleHistoryToRun(cfg: DckdConfig, totalSteps: number): DckdConfig {
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`totalSteps must be an integer >= 1 (got ${totalSteps})`);
  if (totalSteps >= DCKD_PAPER_ITERATIONS) return cfg;
  const f = totalSteps / DCKD_PAPER_ITERATIONS;
  const scaled = (n: number): number => Math.max(1, Math.round(n * f));
  return { ...cfg, historyEvery: cfg.historyEvery.map(scaled), historyPhaseSteps: scaled(cfg.historyPhaseSteps) };
}

/**
 * DCKD for a run (what trainPreset applies): the history schedule scaled to the run's length (scaleHistoryToRun;
 * unchanged from 2.5·10⁵ steps), and with featureWeights null the feature network's file when one is found
 * on this machine ($SRKD_WEIGHTS, the `srkd weights download` directory; lib/io/feature-weights.ts), so the real
 * network is used wherever it is present and the seeded random one only where it is not.
 */
export function dckdForRun(cfg: DckdConfig, run: RunFacts): DckdConfig {
  const scaled = scaleHistoryToRun(cfg, run.totalSteps);
  if (cfg.featureWeights !== null) return scaled;
  const found = run.findWeights(cfg.features === 'vqgan' ? 'vqgan' : 'vgg19');
  return found === null ? scaled : { ...scaled, featureWeights: found };
}

/** Short runs: updates every iteration then every second one, 3 negatives (tiny nets, 3-6 step tests). */
const smoke = (c: DckdConfig): DckdConfig => ({ ...c, negatives: 3, historyEvery: [1, 2], historyPhaseSteps: 2 });

export const DCKD: MethodSpec<DckdConfig> = {
  kind: 'dckd',
  title: 'DCKD',
  source: 'Zhou et al., dynamic contrastive KD (AAAI 2025, Eq. 10; history update, degradation and weights from the DCKD code configs)',
  needsTeacher: true,
  batchCoupled: true,
  /** One of the two per config: 'vqgan' (features 'vqgan') or 'vgg19' (the dcr-vgg variant). */
  featureNets: ['vqgan', 'vgg19'],
  schema: {
    recWeight: weight, kdWeight: weight, dclWeight: weight, ceWeight: weight, negatives: posInt, historyDecay: unit,
    historyEvery: arrayOf(posInt), historyPhaseSteps: posInt, historySource: oneOf<DckdHistorySource>(['ema', 'raw']),
    noiseSigmaRange: sigmaRange, grayProb: prob, legacyDoubleSoftmax: bool, lcrWeight: weight, lcrProb: prob,
    features: oneOf<DckdFeatures>(['vqgan', 'vgg']), featureWeights: nullableString, upcycling: upcyclingCheck,
  },
  checkTrain(cfg: DckdConfig, train: TrainFacts, path: string): void {
    checkDckd(cfg, path);
    if (cfg.upcycling) checkUpcyclingTrain({ ...cfg.upcycling, updateMode: 'single' }, train, `${path}.upcycling`);
    const sr = train.patchSizeLr * train.scale;
    if (sr < 16) fail('data.patchSizeLr', `at least ${Math.ceil(16 / train.scale)} at x${train.scale} (${path}.features needs SR patches of 16 px or more: 4 downsamplings)`, train.patchSizeLr);
  },
  defaults: dckdDefaults,
  forRun: (cfg, run) => dckdForRun(cfg, run),
  smokeConfigs: () => [
    { name: 'dckd', config: smoke(dckdPreset('dckd')) },
    { name: 'dckd-release', config: smoke(dckdPreset('dckd-release')) },
    { name: 'dcr-vgg', config: { ...smoke(dckdPreset('dcr-vgg')), historySource: 'raw' } },
    // DCKD*'s DUKD part on the fast VGG features (the VQGAN path is covered above)
    { name: 'dckd-star-vgg', config: { ...smoke(dckdStarPreset('edsr', 2)), features: 'vgg', ceWeight: 0 } },
  ],
  formula,
  create: (cfg) => dynamicContrastiveKd(cfg) as DistillMethod,
};
