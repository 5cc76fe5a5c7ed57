/**
 * DUKD, data upcycling KD (Zhang et al.; zoom-in / zoom-out samples labelled by the teacher, invertible
 * augmentations for label consistency), and the engine AugKD reuses (augkd.ts).
 *
 * Per iteration, with s = scale and p = LR patch side (prepare, outside the tape):
 *  - kd target T(x);
 *  - zoom-in: the HR patch (s·p square) is an s×s grid of p×p cells; `tiles` distinct cells are drawn once per
 *    iteration from stepRng(ctx, 'dukd/zoom-in-cells') (the same cells for every image and every worker) and
 *    cut from every image; tiles are stacked cell-major along the batch ([cell0 of all B; cell1 of all B; ...]).
 *    Teacher target T(z) on the clean tiles; student input A(z), where A's flags are drawn per tile from
 *    sampleRng(ctx, 'dukd/zoom-in-aug', b) (global sample b, one draw of 4 flags per tile in cell order);
 *  - zoom-out: d = down_s(x) (MATLAB bicubic, imresizeTensor(x, 1/s)); teacher T(d); student input d, or A(d)
 *    with `augmentZoomOut` (flags from sampleRng(ctx, 'dukd/zoom-out-aug', b)).
 * Terms (inside the tape), each already weighted:
 *    rec    = w.rec   · L1(S(x), y)
 *    kd     = w.kd    · L1(S(x), T(x))
 *    zi     = w.zi    · L1(A⁻¹(S(A(z))), T(z))                [zoomIn]
 *    zo_rec = w.zoRec · L1(A⁻¹(S(A(d))), x)                   [zoomOut; A = identity unless augmentZoomOut]
 *    zo_kd  = w.zoKd  · L1(A⁻¹(S(A(d))), T(d))                [zoomOut]
 * The teacher never sees augmented inputs (7.4). All terms are element means with the same number of elements
 * per sample, so the method is worker-count invariant (method.ts).
 * updateMode 'twoStepAccumulate' (DUKD code) exposes termGroups [[rec, kd], [zi, zo_rec, zo_kd]]; the trainer
 * runs the steps (method.ts `TermGroups`).
 */
import * as tf from '@tensorflow/tfjs';
import { type AugFlags, applyAug, IDENTITY_AUG, invertAug, sampleAugFlags } from '../augment/invertible';
import { imresizeTensor } from '../data/bicubic';
import { affinityL1 } from '../losses/affinity';
import { l1 } from '../losses/pixel';
import type { SRBatch, TapName } from '../types';
import type { Rng } from '../util/rng';
import { type Check, bool, fail, oneOf, posInt, prob, weight } from '../config/checks';
import { archSpec } from '../models/archs/index';
import { type FakdTaps, resolveFakdTaps } from './fakd';
import { assertStepContext, type DistillMethod, type MethodNets, type StepContext, needTeacher, sampleRng, stepRng } from './method';
import { type Formula, type MethodSpec, type TrainFacts, termGroupsOf, termWeights } from './method-spec';

export type UpdateMode = 'single' | 'twoStepAccumulate';

/** The data-upcycling engine's switches, shared by DUKD and AugKD. */
export interface UpcyclingOptions {
  /** Zoom-in stream: n HR tiles of LR size as extra student inputs, teacher-labelled. */
  readonly zoomIn: boolean;
  /** Zoom-out stream: down_s(x) as student input, targets x (rec) and T(down_s(x)) (kd). */
  readonly zoomOut: boolean;
  /** Invertible augmentation (label consistency) on the zoom-in student inputs. */
  readonly invAug: boolean;
  /** Include colour inversion I among the invertible ops (false = geometric-only kit ablation). */
  readonly colorInvert: boolean;
  /** Per-op, per-sample probability q of the invertible ops (0.3 in every DUKD config). */
  readonly augProb: number;
  /** Zoom-in tiles per image, n (1; 2 for EDSR ×2). At most scale² (the grid's cells). */
  readonly tiles: number;
  /** Also augment the zoom-out student input (default false: DUKD code augments zoom-in only). */
  readonly augmentZoomOut: boolean;
  /** Reproduce DUKD code's wrong inverse order (forensic only; default false). */
  readonly legacyInverseOrder: boolean;
  /** 'single' (default, the paper's loss) or DUKD code's 'twoStepAccumulate' (a second optimiser step on the upcycled terms). */
  readonly updateMode: UpdateMode;
}

/**
 * DUKD: L = recWeight·rec + kdWeight·kd + kdWeight·zi + recWeight·zo_rec + kdWeight·zo_kd (zi only with zoomIn,
 * zo_* only with zoomOut). Defaults per backbone/scale from DUKD code's configs (ArchSpec.dukdDefaults).
 */
export interface DukdConfig extends UpcyclingOptions {
  readonly kind: 'dukd';
  readonly recWeight: number;
  readonly kdWeight: number;
}

/** Absolute weight of every DUKD-engine term, in formula order; the zoom terms only when their stream is on. */
export type UpcyclingWeights = {
  readonly rec: number;
  readonly kd: number;
  readonly zi: number;
  readonly zoRec: number;
  readonly zoKd: number;
  /** FAKD's affinity term on the original stream (AugKD on top of FAKD, augkd.ts); absent: no such term. */
  readonly aff?: number;
};

/** The engine's objective: [rec, kd] then the upcycled terms, as one step or two (updateMode). */
export function upcyclingFormula(opts: UpcyclingOptions, w: UpcyclingWeights): Formula {
  const first: [number, string][] = [[w.rec, 'rec'], [w.kd, 'kd'], ...(w.aff === undefined ? [] : [[w.aff, 'aff'] as [number, string]])];
  const second: [number, string][] = [
    ...(opts.zoomIn ? [[w.zi, 'zi'] as [number, string]] : []),
    ...(opts.zoomOut ? ([[w.zoRec, 'zo_rec'], [w.zoKd, 'zo_kd']] as [number, string][]) : []),
  ];
  return opts.updateMode === 'twoStepAccumulate' && second.length > 0 ? [first, second] : [[...first, ...second]];
}

export type UpcyclingPrep = {
  /** T(x) */
  kdTarget: tf.Tensor4D;
  /** zoom-in: student input A(z) [n·B,p,p,3], teacher target T(z), per-tile flags; absent without zoomIn */
  zi?: { input: tf.Tensor4D; target: tf.Tensor4D; flags: AugFlags[] };
  /** zoom-out: student input (A(d) or d), teacher target T(d), per-sample flags; absent without zoomOut */
  zo?: { input: tf.Tensor4D; target: tf.Tensor4D; flags: AugFlags[] };
  /** The zoom-in grid cells of this iteration (row-major indices into the s×s grid). */
  cells: number[];
  /** Teacher features at the affinity taps on x (only with an affinity term). */
  teacherFeatures?: tf.Tensor4D[];
};

/** `n` distinct cells out of `count`, in draw order (partial Fisher-Yates). */
export function drawCells(rng: Rng, count: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > count) throw new Error(`tiles must be an integer in 1..${count} (got ${n})`);
  const pool = Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(count - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

/** Cuts the `cells` (row-major in an s×s grid of p×p tiles) from every image of hr, cell-major along the batch. */
export function cutTiles(hr: tf.Tensor4D, p: number, cells: readonly number[]): tf.Tensor4D {
  const [b, h, w, c] = hr.shape;
  const s = h / p;
  if (h !== w || !Number.isInteger(s)) throw new Error(`cutTiles: HR ${h}x${w} is not an s×s grid of ${p}-px tiles`);
  return tf.tidy(() =>
    tf.concat(
      cells.map((cell) => tf.slice(hr, [0, Math.floor(cell / s) * p, (cell % s) * p, 0], [b, p, p, c])),
      0,
    ),
  );
}

const identity = (n: number): AugFlags[] => Array.from({ length: n }, () => ({ ...IDENTITY_AUG }));

function geometry(batch: SRBatch): { b: number; p: number; s: number } {
  const [b, p, pw] = batch.lr.shape;
  const [hb, hp, hpw] = batch.hr.shape;
  if (p !== pw || hp !== hpw) throw new Error(`DUKD needs square patches (lr ${p}x${pw}, hr ${hp}x${hpw})`);
  const s = hp / p;
  if (hb !== b || !Number.isInteger(s) || s < 2) {
    throw new Error(`DUKD: hr [${batch.hr.shape}] is not an integer upscale of lr [${batch.lr.shape}]`);
  }
  return { b, p, s };
}

/**
 * The upcycling engine behind DUKD and AugKD. `opts` and `w` are read, never written. `affinityTaps`: FAKD's
 * affinity term 'aff' on the original stream at these taps (fakd.ts; the formula must weight 'aff'), else none.
 */
export function upcyclingMethod(
  id: 'dukd' | 'augkd',
  config: DukdConfig | AugkdConfigLike,
  opts: UpcyclingOptions,
  formula: Formula,
  affinityTaps: FakdTaps | null = null,
): DistillMethod<UpcyclingPrep> {
  const termGroups = termGroupsOf(formula);
  const termNames = termGroups.flat();
  const weights = termWeights(formula);
  const w = { rec: weights.rec, kd: weights.kd, zi: weights.zi, zoRec: weights.zo_rec, zoKd: weights.zo_kd, aff: weights.aff };
  if ((affinityTaps === null) !== (w.aff === undefined)) throw new Error(`${id}: affinity taps and an 'aff' weight go together`);
  const taps = (nets: MethodNets): { student: TapName[]; teacher: TapName[] } =>
    resolveFakdTaps(affinityTaps as FakdTaps, nets.student.arch, needTeacher(nets.teacher, id).arch);
  const sampling = { prob: opts.augProb, colorInvert: opts.colorInvert };
  const legacy = { legacyInverseOrder: opts.legacyInverseOrder };

  return {
    id,
    config,
    requiresTeacher: true,
    termNames,
    termGroups,
    prepare(batch: SRBatch, nets, ctx: StepContext): UpcyclingPrep {
      const teacher = needTeacher(nets.teacher, id);
      const { b, p, s } = geometry(batch);
      assertStepContext(ctx, b);
      if (nets.student.scale !== s) throw new Error(`${id}: student scale ${nets.student.scale} but batch is x${s}`);
      const cells = opts.zoomIn ? drawCells(stepRng(ctx, 'dukd/zoom-in-cells'), s * s, opts.tiles) : [];
      const flagsFor = (purpose: string, perSample: number): AugFlags[] => {
        const out: AugFlags[] = new Array<AugFlags>(b * perSample);
        for (let i = 0; i < b; i++) {
          const rng = sampleRng(ctx, purpose, i);
          for (let j = 0; j < perSample; j++) out[j * b + i] = sampleAugFlags(rng, sampling);
        }
        return out;
      };
      if (opts.zoomOut && p % s !== 0) throw new Error(`${id}: zoom-out needs the LR patch side (${p}) divisible by the scale (${s})`);
      return tf.tidy(() => {
        const t = affinityTaps === null ? [] : taps(nets).teacher;
        const r = teacher.forward(batch.lr, { taps: t });
        const prep: UpcyclingPrep = { kdTarget: r.out, cells };
        if (affinityTaps !== null) prep.teacherFeatures = t.map((name) => r.features[name]);
        if (opts.zoomIn) {
          const z = cutTiles(batch.hr, p, cells);
          const flags = opts.invAug ? flagsFor('dukd/zoom-in-aug', cells.length) : identity(z.shape[0]);
          prep.zi = { input: opts.invAug ? applyAug(z, flags) : z, target: teacher.forward(z).out, flags };
        }
        if (opts.zoomOut) {
          const d = imresizeTensor(batch.lr, 1 / s);
          const aug = opts.invAug && opts.augmentZoomOut;
          const flags = aug ? flagsFor('dukd/zoom-out-aug', 1) : identity(b);
          prep.zo = { input: aug ? applyAug(d, flags) : d, target: teacher.forward(d).out, flags };
        }
        return prep;
      });
    },
    terms(nets, batch, prep, o = {}) {
      const want = (name: string): boolean => (o.group === undefined ? termNames : termGroups[o.group] ?? []).includes(name);
      if (o.group !== undefined && termGroups[o.group] === undefined) {
        throw new Error(`${id}: no term group ${o.group} (have ${termGroups.length})`);
      }
      return tf.tidy(() => {
        const out: Record<string, tf.Scalar> = {};
        const student = nets.student;
        const weighted = (k: number, x: tf.Scalar): tf.Scalar => tf.mul(k, x) as tf.Scalar;
        if (want('rec') || want('kd') || want('aff')) {
          const s = affinityTaps === null ? [] : taps(nets).student;
          const r = student.forward(batch.lr, { taps: s });
          const sr = r.out;
          if (want('rec')) out.rec = weighted(w.rec, l1(sr, batch.hr));
          if (want('kd')) out.kd = weighted(w.kd, l1(sr, prep.kdTarget));
          if (want('aff')) {
            const tfeat = prep.teacherFeatures;
            if (!tfeat || tfeat.length !== s.length) throw new Error(`${id}: ${s.length} student affinity taps for ${tfeat?.length ?? 0} teacher features`);
            out.aff = weighted(w.aff as number, tf.addN(s.map((name, i) => affinityL1(r.features[name], tfeat[i]))) as tf.Scalar);
          }
        }
        if (want('zi')) {
          if (!prep.zi) throw new Error(`${id}: prep has no zoom-in stream`);
          let o2 = student.forward(prep.zi.input).out;
          if (opts.invAug) o2 = invertAug(o2, prep.zi.flags, legacy);
          out.zi = weighted(w.zi, l1(o2, prep.zi.target));
        }
        if (want('zo_rec') || want('zo_kd')) {
          if (!prep.zo) throw new Error(`${id}: prep has no zoom-out stream`);
          let o3 = student.forward(prep.zo.input).out;
          if (opts.invAug && opts.augmentZoomOut) o3 = invertAug(o3, prep.zo.flags, legacy);
          if (want('zo_rec')) out.zo_rec = weighted(w.zoRec, l1(o3, batch.lr));
          if (want('zo_kd')) out.zo_kd = weighted(w.zoKd, l1(o3, prep.zo.target));
        }
        return out;
      });
    },
  };
}

/** AugKD's config seen by the shared engine (augkd.ts defines it; a structural type avoids an import cycle). */
type AugkdConfigLike = UpcyclingOptions & { readonly kind: 'augkd' };

/** DUKD: w_rec on both reconstruction terms, w_kd on every teacher term. */
const dukdFormula = (cfg: DukdConfig): Formula =>
  upcyclingFormula(cfg, { rec: cfg.recWeight, kd: cfg.kdWeight, zi: cfg.kdWeight, zoRec: cfg.recWeight, zoKd: cfg.kdWeight });

export function dataUpcycling(cfg: DukdConfig): DistillMethod<UpcyclingPrep> {
  return upcyclingMethod('dukd', cfg, cfg, dukdFormula(cfg));
}

/** Checks of the upcycling switches (shared by DUKD and AugKD). */
export const UPCYCLING_SCHEMA: { readonly [K in keyof UpcyclingOptions]-?: Check } = {
  zoomIn: bool,
  zoomOut: bool,
  invAug: bool,
  colorInvert: bool,
  augProb: prob,
  tiles: posInt,
  augmentZoomOut: bool,
  legacyInverseOrder: bool,
  updateMode: oneOf<UpdateMode>(['single', 'twoStepAccumulate']),
};

/** The upcycling streams' needs: zoom-out halves the patch by the scale; zoom-in tiles fit the s×s grid. */
export function checkUpcyclingTrain(cfg: UpcyclingOptions, train: TrainFacts, path: string): void {
  const s = train.scale;
  if (cfg.zoomOut && train.patchSizeLr % s !== 0) {
    fail('data.patchSizeLr', `divisible by the scale ${s} (${path}.zoomOut needs an LR patch of side p/s)`, train.patchSizeLr);
  }
  if (cfg.zoomIn && cfg.tiles > s * s) fail(`${path}.tiles`, `at most scale² = ${s * s} (the zoom-in grid's cells)`, cfg.tiles);
}

/** Switches every DUKD-engine default shares (DUKD code: q = 0.3 everywhere, zoom-in only augmented). */
export const UPCYCLING_COMMON = {
  colorInvert: true,
  augProb: 0.3,
  augmentZoomOut: false,
  legacyInverseOrder: false,
  updateMode: 'single',
} as const;

function dukdDefaults(arch: Parameters<typeof archSpec>[0], scale: 2 | 3 | 4): DukdConfig {
  const { recWeight, kdWeight, zoomOut, invAug, tiles } = archSpec(arch).dukdDefaults(scale);
  return { kind: 'dukd', recWeight, kdWeight, zoomIn: true, zoomOut, invAug, tiles, ...UPCYCLING_COMMON };
}

export const DUKD: MethodSpec<DukdConfig> = {
  kind: 'dukd',
  title: 'DUKD',
  source: 'Zhang et al., data upcycling KD (DUKD paper Eq. 3, weights and switches from the DUKD code configs)',
  needsTeacher: true,
  batchCoupled: false,
  featureNets: [],
  schema: { recWeight: weight, kdWeight: weight, ...UPCYCLING_SCHEMA },
  checkTrain: checkUpcyclingTrain,
  defaults: dukdDefaults,
  smokeConfigs: () => {
    const d = dukdDefaults('edsr', 2);
    return [
      { name: 'dukd', config: d },
      { name: 'dukd-zo-aug', config: { ...d, augmentZoomOut: true, augProb: 0.5 } },
      { name: 'dukd-release', config: { ...d, updateMode: 'twoStepAccumulate', legacyInverseOrder: true } },
      { name: 'dukd-zo', config: { ...d, zoomIn: false, zoomOut: true, invAug: false } },
    ];
  },
  formula: dukdFormula,
  create: (cfg) => dataUpcycling(cfg) as DistillMethod,
};
