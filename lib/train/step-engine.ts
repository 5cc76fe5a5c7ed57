/**
 * StepEngine: what the trainer needs from "something that runs a method's training step": one optimiser
 * iteration on a batch, the weights / optimiser state / EMA for checkpoints, and disposal. Two engines run the
 * same task (distill-task.ts) and the same replica code (lib/parallel/replica.ts):
 *  - 'workers' (worker-pool-engine.ts): data-parallel over worker threads, one backend instance each; the
 *    batch is split, per-share gradients are averaged on the host. Made for the CPU backends (wasm, cpu).
 *  - 'in-process' (in-process-engine.ts): one replica on the main thread's backend, the batch uploaded once
 *    per step, gradients applied on the device, losses read back only when asked. Made for one GPU
 *    (tensorflow, webgpu), where worker threads would each need their own device context.
 * Both give the same run to float tolerance (test/train/step-engine.test.ts); each is bit-exact on resume.
 *
 * Batch-coupled methods (MethodSpec.batchCoupled: a term mixes samples, e.g. negatives from other samples or a
 * ratio of batch means) are exact on both: per phase, every share first reports its statistics at the current
 * weights (DistillMethod.shareStats), the engine adds them over the shares, and each share differentiates its
 * part given the totals; shares that draw from other samples get the whole batch (DistillMethod.wholeBatch).
 * The in-process replica runs the same two phases on its one share (test/parallel/coupled.test.ts).
 */
import type { BackendName } from '../backend/index';
import type { HostArray, OptimizerState, VariableInfo } from '../parallel/protocol';

export type EngineKind = 'workers' | 'in-process';
/** 'auto': in-process on tensorflow / webgpu (one device), workers on wasm / cpu. */
export type EngineChoice = EngineKind | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'workers', 'in-process'];

/** One iteration's batch, host-side (the data pipeline's output). */
export type HostBatch = { readonly lr: HostArray; readonly hr: HostArray };

/** Per-iteration facts every replica gets (plain JSON). */
export type EngineStepContext = { readonly step: number; readonly seed: number; readonly batchSizeTotal: number };

export interface EngineStepOptions {
  readonly learningRate: number;
  readonly context: EngineStepContext;
  /** Optimiser steps per iteration (the method's term groups; 1 for an ordinary step). */
  readonly groups: number;
}

export interface EngineStep {
  /**
   * Each term's mean over the whole batch. The pool has them already; the in-process engine reads the device
   * on the first call (call it only when logging or checkpointing). Throws NonFiniteLossError.
   */
  readTerms(): Promise<Record<string, number>>;
  /** tf.memory().numTensors per replica after the step (must stay flat). */
  readonly numTensors: readonly number[];
}

export interface StepEngine {
  readonly kind: EngineKind;
  /** One line for logs and the banner, e.g. "2 data-parallel workers x backend wasm (...)". */
  readonly banner: string;
  readonly backend: BackendName;
  /** Replicas sharing a batch (workers; 1 in-process): a bit-exact resume needs the same count. */
  readonly replicas: number;
  readonly variables: readonly VariableInfo[];
  /** EMA decay kept by the engine, or null. */
  readonly emaDecay: number | null;
  step(batch: HostBatch, opts: EngineStepOptions): Promise<EngineStep>;
  getWeights(): Promise<Float32Array[]>;
  setWeights(weights: readonly Float32Array[]): Promise<void>;
  getOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(state: OptimizerState): Promise<void>;
  getEmaWeights(): Promise<Float32Array[]>;
  setEmaWeights(weights: readonly Float32Array[]): Promise<void>;
  /** Variables the method evolves besides the trained ones (e.g. DCKD's history model), for checkpoints. */
  readonly stateVariables: readonly VariableInfo[];
  getState(): Promise<Float32Array[]>;
  setState(state: readonly Float32Array[]): Promise<void>;
  /** Per replica, a bit-exact fingerprint of weights (and EMA). */
  checksums(): Promise<string[]>;
  dispose(): Promise<void>;
}

/** The engine `choice` means on `backend`. */
export function resolveEngine(choice: EngineChoice, backend: BackendName): EngineKind {
  if (!(ENGINE_CHOICES as readonly unknown[]).includes(choice)) {
    throw new Error(`engine must be one of ${ENGINE_CHOICES.map((c) => `'${c}'`).join(', ')} (got ${JSON.stringify(choice)})`);
  }
  if (choice !== 'auto') return choice;
  return backend === 'wasm' || backend === 'cpu' ? 'workers' : 'in-process';
}
