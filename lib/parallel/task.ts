/**
 * The contract between the data-parallel pool and the model/loss it trains. A task module exports
 * `createTask(config)`; every worker loads the module and builds its own copy of the task.
 */
import type * as tf from '@tensorflow/tfjs';

/**
 * Where a share sits: the caller's per-step JSON `context` (e.g. `{ step, seed }`, identical on every worker)
 * plus this share's place in the whole batch, so a task can make results independent of the worker count.
 */
export type ShareInfo = {
  readonly context: TaskConfig;
  /** Global index (within the step's whole batch) of this share's first row. */
  readonly sampleOffset: number;
  /** Rows in the whole batch of this step, over all workers. */
  readonly batchSizeTotal: number;
  /** The whole batch's inputs, for tasks with `wholeBatch` (e.g. negatives drawn from other samples). */
  readonly whole?: Record<string, tf.Tensor>;
};

/**
 * Batch-coupled tasks: per-key sums over the whole batch (all shares added, float64), handed to `terms` so a
 * share can differentiate its part of a loss that is not a mean over samples (a ratio of batch means).
 */
export type BatchTotals = Readonly<Record<string, readonly number[]>>;

/** What `terms` gets besides the inputs (absent for callers that do not use the extended protocol). */
export type TermsCall = ShareInfo & {
  /** Term group of a multi-phase step (`DataParallelTrainer.step(..., { groups })`); undefined = all terms. */
  readonly group?: number;
  /** What `prepare` returned for these inputs (undefined when the task has no `prepare`). */
  readonly prep?: tf.TensorContainer;
  /** The all-reduced `stats` of this phase (tasks with `stats` only). */
  readonly totals?: BatchTotals;
};

/** A model plus loss, as one worker sees it. */
export interface TrainTask {
  /** Trainable variables in a fixed order; gradients and weights travel in this order. */
  readonly variables: tf.Variable[];
  /**
   * Optional: runs once per step and share, outside the gradient tape, before `terms` (teacher targets,
   * sampled augmentations). The worker keeps the result for every phase of the step, then disposes it.
   */
  prepare?(inputs: Record<string, tf.Tensor>, share: ShareInfo): tf.TensorContainer;
  /**
   * Named scalar loss terms for a share of the batch (each a mean over that share); the optimised
   * total is their sum. Runs inside the gradient tape; the pool disposes what it returns.
   */
  terms(inputs: Record<string, tf.Tensor>, call?: TermsCall): Record<string, tf.Scalar>;
  /** true: every share also gets the whole batch's inputs (`ShareInfo.whole`). */
  readonly wholeBatch?: boolean;
  /**
   * Batch-coupled tasks: per-key sums of this share at the current weights (outside the gradient tape, after
   * `prepare`). The engine adds them over all shares and passes the totals to `terms` (`TermsCall.totals`).
   */
  stats?(inputs: Record<string, tf.Tensor>, call: TermsCall): Record<string, tf.Tensor1D>;
  /**
   * Optional: once per step after the update(s) and the EMA, with the step's context (same on every worker)
   * and the EMA copy of `variables` (same order; null when no EMA is kept).
   */
  afterStep?(context: TaskConfig, ema: readonly tf.Variable[] | null): void;
  /**
   * Optional: variables that are not trained but evolve with training (e.g. DCKD's history model) and so
   * belong to the checkpoint; identical on every worker (updated deterministically in afterStep).
   */
  readonly stateVariables?: readonly tf.Variable[];
  dispose(): void;
}

/** What a task module must export. `config` is plain JSON (it crosses the thread boundary). */
export type CreateTask = (config: TaskConfig) => Promise<TrainTask>;

/** JSON values only. */
export type TaskConfig = { readonly [key: string]: unknown };
