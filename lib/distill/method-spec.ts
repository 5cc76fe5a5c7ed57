/**
 * What the kit knows about one distillation method, in one record (`MethodSpec`). The `METHODS` table in
 * methods.ts holds one per method; building, validation, defaults, the printed formula, the reproduce jobs and
 * the docs all read it. Adding a method = one file exporting its config type and its record + one entry in
 * METHODS.
 *
 * The formula is data: `formula(cfg)` lists the weighted terms per optimiser step, the trainer prints it, and
 * the method's `terms` multiply each raw loss by the weight the same list gives (`termWeights`), so what is
 * printed is what is optimised.
 */
import type { Check } from '../config/checks';
import type { FeatureWeightsFinder } from '../io/feature-weights';
import type { ArchName } from '../models/archs/index';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import type { DistillMethod } from './method';

/** A method config: plain JSON, discriminated on `kind`. */
export type MethodConfigBase = { readonly kind: string };

/** One term of the objective: `weight · name`. */
export type WeightedTerm = readonly [weight: number, name: string];

/**
 * The objective per optimiser step of one iteration: one group for an ordinary step; several for a multi-step
 * update (DUKD code's 'twoStepAccumulate', see `TermGroups` in method.ts).
 */
export type Formula = readonly (readonly WeightedTerm[])[];

/** The parts of a train config a method's cross-key rules may look at. */
export type TrainFacts = {
  readonly scale: Scale;
  readonly patchSizeLr: number;
  readonly student: ArchConfig;
  readonly teacher: ArchConfig | null;
  /** Total batch size over all workers. */
  readonly batchSize: number;
  /** Whether the config warm-starts the student (`studentInit` set). */
  readonly studentInit: boolean;
};

/** What `fitPreset` may change in a preset: the method config and the student. */
export type PresetFit<C> = { readonly method: C; readonly student: ArchConfig };

/** What a config may adapt to when a preset builds it: the run's length and the files present on this machine. */
export type RunFacts = { readonly totalSteps: number; readonly findWeights: FeatureWeightsFinder };

export interface MethodSpec<C extends MethodConfigBase> {
  readonly kind: C['kind'];
  /** Display name, e.g. 'Response KD'. */
  readonly title: string;
  /** Where the method and its defaults come from (paper, official code). */
  readonly source: string;
  /** true: training needs a pretrained, frozen teacher (config.teacher must be set). */
  readonly needsTeacher: boolean;
  /**
   * true: a term mixes samples of the batch (negatives taken from other samples, ratios of batch means), so it
   * is not the share-size-weighted mean of per-share terms. Such a method implements DistillMethod.shareStats
   * (and wholeBatch when it draws from other samples); the engines all-reduce the statistics (step-engine.ts).
   */
  readonly batchCoupled: boolean;
  /** Frozen networks the method builds, loads and disposes itself (e.g. a perceptual loss's VGG); names only. */
  readonly featureNets: readonly string[];
  /** Per-key checks (the `kind` key excluded). */
  readonly schema: { readonly [K in Exclude<keyof C, 'kind'>]-?: Check };
  /** Rules that involve the rest of the train config (e.g. the patch size a zoom-out needs); `path` = 'method'. */
  checkTrain?(cfg: C, train: TrainFacts, path: string): void;
  /**
   * Optional: fits the method's defaults and the student to a preset's teacher and batch (`trainPreset` applies it;
   * CSD: the student is the teacher's first channels, at most one negative per sample of the batch). `student`
   * is the preset's (or the caller's) student; a fresh object is returned.
   */
  fitPreset?(cfg: C, train: Pick<TrainFacts, 'scale' | 'student' | 'teacher' | 'batchSize'>): PresetFit<C>;
  /**
   * The config for a run of `run.totalSteps` iterations on this machine (trainPreset applies it): schedules set
   * for the paper's run length scaled to the run, feature-network files found on disk filled in. Default: as is.
   */
  forRun?(cfg: C, run: RunFacts): C;
  /** The default config for a student backbone and scale (a fresh object). */
  defaults(arch: ArchName, scale: Scale): C;
  /** Variants the method contract suite must cover (tiny-net friendly; valid for EDSR x2). */
  smokeConfigs(): readonly { readonly name: string; readonly config: C }[];
  /** The weighted terms the trainer optimises, per optimiser step. */
  formula(cfg: C): Formula;
  /** The method for a validated config. */
  create(cfg: C): DistillMethod;
}

/** name -> weight of every term of a formula. */
export function termWeights(formula: Formula): Readonly<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const group of formula) for (const [w, name] of group) out[name] = w;
  return out;
}

/** Term names per group, as DistillMethod.termGroups wants them. */
export function termGroupsOf(formula: Formula): string[][] {
  return formula.map((g) => g.map(([, name]) => name));
}
