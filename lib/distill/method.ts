/**
 * The DistillMethod contract between a distillation method and the trainer (the project style guide's
 * `prepare` / `terms` pair, extended as listed under "Deviations").
 *
 * A method is a pair of functions around the optimiser step:
 *   prep  = method.prepare(batch, nets, ctx)   // outside the gradient tape: teacher targets, upcycled inputs,
 *                                              // sampled augmentation flags
 *   terms = method.terms(nets, batch, prep)    // inside the tape: named, already-weighted scalar terms;
 *                                              // the trainer optimises their sum over method.trainable(nets)
 * The caller owns `prep` and `terms` and disposes both (a method never disposes its arguments).
 *
 * Data-parallel contract (the reason this differs from the style guide's `prepare(batch, teacher, rng)`):
 * a batch of `ctx.batchSizeTotal` samples is split into shares, one per worker, and every worker runs
 * `prepare` + `terms` on its share; gradients are averaged weighted by share size. For the result to be the
 * same for any worker count (1 worker gives the same numbers up to float tolerance):
 *  1. Randomness never comes from a worker-local stream. Decisions shared by the whole batch (DUKD's zoom-in
 *     grid cells) use `stepRng(ctx, purpose)`; per-sample decisions (augmentation flags) use
 *     `sampleRng(ctx, purpose, i)`, keyed by the *global* sample index `ctx.sampleOffset + i`.
 *  2. Every term is a mean over the share whose share-size-weighted average equals the full-batch mean:
 *     element means of per-sample quantities (L1, affinity L1) qualify as long as each sample contributes the
 *     same number of elements (DUKD's n zoom-in tiles per sample do). Terms that are ratios of batch means or
 *     use other samples of the batch (CSD's negatives, DCKD's contrastive ratio) do not decompose; such a method
 *     must say so, and the trainer must then run it on one worker (or gather what it needs across shares).
 *
 * Deviations from the style guide's sketch, and why:
 *  - `prepare` takes a `StepContext` instead of an `Rng` (rule 1 above).
 *  - `prepare`/`terms` take `MethodNets` (student, teacher, auxiliary nets) instead of a bare student/teacher:
 *    CSD's teacher term needs the (shared-weight) teacher inside the tape, DCKD needs a history model and a
 *    VQGAN encoder. Adding them later does not change the trainer.
 *  - No static `taps` list: FAKD's taps depend on the depth of the nets it is given (fakd.ts resolves them).
 *  - `termGroups` (DUKD/AugKD `updateMode: 'twoStepAccumulate'`) and `terms(..., { group })` let the trainer
 *    run several optimiser steps per iteration on subsets of the terms (see `TermGroups`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { SRNet } from '../models/types';
import type { SRBatch } from '../types';
import { Rng } from '../util/rng';
import type { MethodConfigBase } from './method-spec';

/** Where this call sits in training; identical on every worker except `sampleOffset`. Plain JSON. */
export type StepContext = {
  /** Iteration index, 0 for the first optimiser step (one value per iteration, also in two-step mode). */
  readonly step: number;
  /** The run's seed (an integer). */
  readonly seed: number;
  /** Global index (within the whole batch of this step) of this share's first sample. */
  readonly sampleOffset: number;
  /** Samples in the whole batch of this step, over all workers. */
  readonly batchSizeTotal: number;
};

/** A non-SR network (e.g. DCKD's VQGAN encoder); an SRNet also qualifies. */
export interface AuxModel {
  readonly params: ReadonlyMap<string, tf.Variable>;
  dispose(): void;
}

/** The networks a method works with. The trainer owns them. */
export type MethodNets = {
  readonly student: SRNet;
  /**
   * Frozen teacher, always in inference mode (no dropout or drop path, so its targets are deterministic); null for
   * methods with `requiresTeacher: false`. Frozen unless the method's `trainable` returns its variables: CSD's
   * teacher is the shared full-width network the student is sliced from.
   */
  readonly teacher: SRNet | null;
  /**
   * Networks the caller lends the method besides student and teacher (e.g. a notebook's probe); empty in
   * training. Frozen feature networks the method needs are the method's own (see `dispose`).
   */
  readonly aux: Readonly<Record<string, AuxModel>>;
};

export type TermsOptions = {
  /** Compute only the terms of `termGroups[group]` (multi-step update); all terms when omitted. */
  readonly group?: number;
  /**
   * Batch-coupled methods: `shareStats` added over every share of the batch at the current weights. With
   * them, `terms` returns, for each coupled term, a scalar whose value is the full-batch term and whose
   * gradient is this share's part of its gradient divided by the share's weight (share size / batch size),
   * so the engines' share-weighted average gives the exact full-batch value and gradient.
   */
  readonly totals?: Readonly<Record<string, readonly number[]>>;
};

/**
 * Term names per optimiser step of one iteration. One group = the ordinary single step on the sum of all terms.
 * Several groups (DUKD code's two-step update: rec+kd first, then the upcycled terms): for g = 0, 1, ...: compute `terms(..., { group: g })`
 * at the current weights, add its gradient to the gradients accumulated so far in this iteration (NOT cleared
 * between groups), and take an optimiser step with the accumulated gradient. `prepare` runs once per iteration;
 * the LR schedule and the EMA advance once per iteration, after the last group.
 */
export type TermGroups = readonly (readonly string[])[];

export interface DistillMethod<P extends tf.TensorContainer = tf.TensorContainer> {
  /** The method's kind (its key in the METHODS table, methods.ts). */
  readonly id: string;
  /** The (validated) config this method was built from. */
  readonly config: MethodConfigBase;
  /** true: `nets.teacher` must be a pretrained, frozen teacher. */
  readonly requiresTeacher: boolean;
  /**
   * Facts about this run a reader must see beside the numbers (e.g. DCKD without its feature-network file:
   * "untrained feature network: pipeline check, not the method"); train() prints and logs them. Default none.
   */
  readonly notes?: readonly string[];
  /** Every term name `terms` returns (without a group filter), in formula order. */
  readonly termNames: readonly string[];
  /** See `TermGroups`; `[termNames]` for a single-step method. */
  readonly termGroups: TermGroups;
  /**
   * true: `prepare` also needs the whole batch (e.g. CSD's negatives: the first K LR patches of the batch);
   * the engines then hand every share the whole batch as `whole`.
   */
  readonly wholeBatch?: boolean;
  /** Runs outside the gradient tape: teacher targets, upcycled inputs, sampled augmentation flags. */
  prepare(batch: SRBatch, nets: MethodNets, ctx: StepContext, whole?: SRBatch): P;
  /**
   * Batch-coupled methods (their record's `batchCoupled`): per-key sums over this share at the current weights
   * (outside the tape), e.g. the numerators and denominators of a ratio of batch means. The engine adds them
   * over all shares and passes the totals to `terms` (`TermsOptions.totals`).
   */
  shareStats?(nets: MethodNets, batch: SRBatch, prep: P, ctx: StepContext): Record<string, tf.Tensor1D>;
  /** Runs inside the tape: named scalar terms, each already multiplied by its weight; the trainer sums them. */
  terms(nets: MethodNets, batch: SRBatch, prep: P, opts?: TermsOptions): Record<string, tf.Scalar>;
  /**
   * Variables to optimise. Default (when absent): the student's. A method that trains variables of its own
   * (FitNet's regressors) lists the student's parameters first, in their order, then its own: the trainer takes
   * the student's weights as that prefix. CSD returns the shared weights (the teacher's) and maps them with loadStudent.
   */
  trainable?(nets: MethodNets): tf.Variable[];
  /**
   * Methods whose trained variables are not the student's own parameters (CSD trains one shared full-width
   * network; the student is its first channels): writes into `student` the student that the values of
   * `trainable(nets)` describe (`trained[i]` = values of variable i, in order), so validation, the run's saved
   * model, eval, upscale and export see an ordinary student. Runs on the trainer's main thread, which holds only
   * those values. Default (when absent): they are the student's parameters, in order.
   */
  loadStudent?(student: SRNet, trained: readonly TrainedValues[]): void;
  /**
   * Optional hook, once per iteration after the optimiser step(s) and the EMA update, on every replica with
   * the same `ctx` (DCKD's history-model update will live here). Must be deterministic in (nets, ctx).
   */
  afterStep?(nets: MethodNets, ctx: StepContext, ema: readonly tf.Variable[] | null): void;
  /**
   * Optional: builds what the method keeps that depends on the nets (DCKD's history copy of the student),
   * once, after the student is built (and warm-started) and before the first step.
   */
  init?(nets: MethodNets): void;
  /** Optional: variables the method evolves besides the trained ones; saved in checkpoints, restored on resume. */
  stateVariables?(): tf.Variable[];
  /**
   * Releases what the method built and owns: the frozen feature networks of its record's `featureNets` (a
   * perceptual loss's VGG, DCKD's VQGAN encoder), built and loaded by `create` or on first use. The trainer
   * calls it once when the replica is disposed.
   */
  dispose?(): void;
}

/** One trained variable's values, as the step engines hand them out (row-major, float32). */
export type TrainedValues = { readonly shape: readonly number[]; readonly data: Float32Array };

/** The variables the trainer optimises for `method`. */
export function trainableVariables(method: DistillMethod, nets: MethodNets): tf.Variable[] {
  return method.trainable ? method.trainable(nets) : Array.from(nets.student.params.values());
}

/** The teacher, or an error naming the method that needs it. */
export function needTeacher(teacher: SRNet | null, id: string): SRNet {
  if (teacher === null) throw new Error(`method '${id}' needs a teacher network (got null)`);
  return teacher;
}

/** Checks a StepContext (integers, share inside the batch). */
export function assertStepContext(ctx: StepContext, shareSize: number): void {
  const int = (k: keyof StepContext, min: number): void => {
    const v = ctx[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new Error(`ctx.${k} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    }
  };
  int('step', 0);
  int('sampleOffset', 0);
  int('batchSizeTotal', 1);
  if (typeof ctx.seed !== 'number' || !Number.isInteger(ctx.seed)) {
    throw new Error(`ctx.seed must be an integer (got ${JSON.stringify(ctx.seed)})`);
  }
  if (ctx.sampleOffset + shareSize > ctx.batchSizeTotal) {
    throw new Error(
      `share of ${shareSize} samples at ctx.sampleOffset ${ctx.sampleOffset} exceeds ctx.batchSizeTotal ${ctx.batchSizeTotal}`,
    );
  }
}

/** A one-worker context for a whole batch. */
export function fullBatchContext(step: number, seed: number, batchSize: number): StepContext {
  return { step, seed, sampleOffset: 0, batchSizeTotal: batchSize };
}

// --- deterministic RNG derivation -------------------------------------------------------------------------

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function words(n: number): [number, number] {
  // low and high 32 bits of a (possibly negative) integer below 2^53
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  return [lo, hi];
}

/**
 * A generator determined only by (seed, step, purpose, index): same inputs, same stream, on any worker.
 * `index` is a global sample index, or -1 for a per-iteration stream.
 */
export function deriveRng(seed: number, step: number, purpose: string, index = -1): Rng {
  if (!Number.isInteger(seed) || !Number.isInteger(step) || !Number.isInteger(index)) {
    throw new Error(`deriveRng needs integers (got seed ${seed}, step ${step}, index ${index})`);
  }
  let h = hashString(purpose);
  for (const w of [...words(seed), ...words(step), ...words(index + 1)]) {
    h = fmix32((h ^ w) + 0x9e3779b9);
  }
  const state: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    h = fmix32(h + 0x6a09e667 + i);
    state[i] = h;
  }
  return new Rng(state);
}

/** The per-iteration stream for `purpose` (same on every worker). */
export function stepRng(ctx: StepContext, purpose: string): Rng {
  return deriveRng(ctx.seed, ctx.step, purpose);
}

/** The stream for `purpose` and local sample `i` of this share, keyed by its global index. */
export function sampleRng(ctx: StepContext, purpose: string, i: number): Rng {
  return deriveRng(ctx.seed, ctx.step, purpose, ctx.sampleOffset + i);
}
