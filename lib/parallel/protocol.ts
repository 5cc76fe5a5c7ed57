/** Messages between the pool (main thread) and its workers. Internal to lib/parallel. */
import type { SimdBuild } from '../backend/simd/index';
import type { BackendName } from '../backend/index';
import type { SerializedError } from '../train/errors';
import type { BatchTotals, TaskConfig } from './task';

/** A host-side array: `data` is row-major with `shape`, float32. Split along axis 0. */
export type HostArray = { readonly shape: readonly number[]; readonly data: Float32Array };

export interface AdamSpec {
  readonly kind: 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}
export interface SgdSpec {
  readonly kind: 'sgd';
}
export type OptimizerSpec = AdamSpec | SgdSpec;

/** The default optimiser: tf.train.adam(lr, 0.9, 0.99, 1e-8) (the DUKD / BasicSR setting). */
export const DEFAULT_OPTIMIZER: AdamSpec = { kind: 'adam', beta1: 0.9, beta2: 0.99, epsilon: 1e-8 };

export type VariableInfo = { readonly name: string; readonly shape: readonly number[]; readonly size: number };

/** Optimiser slots, e.g. Adam's m then v per variable, plus the iteration count. */
export type OptimizerState = {
  readonly kind: OptimizerSpec['kind'];
  readonly iterations: number;
  readonly slots: readonly { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }[];
  /**
   * Adam's running beta1^t and beta2^t exactly as the optimiser holds them (float32 values). tfjs's
   * `setWeights` recomputes them with pow(), which can differ in the last bit from the running product, so
   * a bit-exact resume restores these too. Absent in states saved before this field existed.
   */
  readonly accBetas?: readonly [number, number];
};

/** Per-step information for the task (see task.ts `ShareInfo`), without the per-share fields. */
export type StepCall = {
  readonly context: TaskConfig;
  readonly sampleOffset: number;
  readonly batchSizeTotal: number;
  readonly group?: number;
  /** All-reduced share statistics of this phase (batch-coupled tasks). */
  readonly totals?: BatchTotals;
};

export type Request =
  | { type: 'init'; taskModule: string; taskConfig: TaskConfig; optimizer: OptimizerSpec; backend?: BackendName }
  // `inputs` starts a new step (prepare runs); without it the inputs/prep held from the last 'grad' are reused.
  // `release`: drop the held inputs/prep after this request.
  | { type: 'grad'; inputs?: Record<string, HostArray>; whole?: Record<string, HostArray>; call?: StepCall; release?: boolean }
  // Batch-coupled tasks: this share's statistics at the current weights (`inputs` starts a new step as for 'grad';
  // the inputs stay held for the 'grad' that follows).
  | { type: 'stats'; inputs?: Record<string, HostArray>; whole?: Record<string, HostArray>; call: StepCall }
  // `endStep`: the last update of an iteration: then the EMA (if any) advances and task.afterStep runs.
  | { type: 'apply'; grads: Float32Array; learningRate: number; endStep?: { readonly context: TaskConfig } }
  | { type: 'emaInit'; decay: number }
  | { type: 'getEma' }
  | { type: 'setEma'; weights: Float32Array[] }
  | { type: 'getWeights' }
  | { type: 'setWeights'; weights: Float32Array[] }
  | { type: 'getOptimizerState' }
  | { type: 'getState' }
  | { type: 'setState'; weights: Float32Array[] }
  | { type: 'setOptimizerState'; state: OptimizerState }
  | { type: 'checksum' }
  | { type: 'memory' }
  | { type: 'dispose' };

export type InitReply = {
  /** The task computes share statistics (`TrainTask.stats`) / wants the whole batch (`wholeBatch`). */
  readonly coupling: { readonly stats: boolean; readonly wholeBatch: boolean };
  readonly banner: string;
  readonly backend: BackendName;
  readonly threads: number;
  readonly simd: SimdBuild | null;
  readonly variables: VariableInfo[];
  /** The task's checkpointed state variables (TrainTask.stateVariables). */
  readonly stateVariables: VariableInfo[];
};
export type GradReply = {
  readonly grads: Float32Array;
  readonly terms: Record<string, number>;
  readonly numTensors: number;
  readonly seconds: number;
};

export type Envelope = { readonly id: number; readonly request: Request };
export type Reply = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: SerializedError };
