/**
 * The data-parallel worker task behind `train()` (lib/parallel/task.ts contract): every worker builds the student,
 * the frozen teacher (loading its weights) and the distillation method from the run's config, and returns the
 * method's weighted terms for its share of the batch. `prepare` (teacher targets, upcycled inputs, sampled
 * augmentations) runs outside the gradient tape with a StepContext keyed by the global sample index, so results
 * do not depend on the worker count (lib/distill/method.ts).
 *
 * Task config (plain JSON): { train: TrainConfig, teacherWeights: absolute path | null, studentInit?: { weights, mode } | null }.
 * Inputs per share: { lr: [n,p,p,3], hr: [n,sp,sp,3] }. Step context: { step, seed, batchSizeTotal }.
 */
import type * as tf from '@tensorflow/tfjs';
import type { StudentInitConfig, TrainConfig } from '../config/train';
import { buildMethod } from '../distill/methods';
import { type MethodNets, type StepContext, trainableVariables } from '../distill/method';
import { loadModelWeights } from '../io/model-file';
import { resolveWeightsSource } from '../io/weights-source';
import { loadPretrained } from '../io/pretrained';
import { buildModel } from '../models/build';
import type { SRNet } from '../models/types';
import type { ShareInfo, TaskConfig, TermsCall, TrainTask } from '../parallel/task';
import { warmStartSets, warmStartStudent } from './warm-start';

export type DistillTaskConfig = {
  readonly train: TrainConfig;
  readonly teacherWeights: string | null;
  /** The student warm start to apply (absolute path), or null: none, or a resume (the checkpoint has the weights). */
  readonly studentInit?: StudentInitConfig | null;
};

/** What the trainer sends with every step. */
export type DistillStepContext = { readonly step: number; readonly seed: number; readonly batchSizeTotal: number };

/** Seed of the teacher's (random) initialisation: distinct from the student's. */
export function teacherSeed(seed: number): number {
  return (seed + 0x5eed) >>> 0;
}

/** Loads teacher weights (strict: every key and shape must match). */
export function loadTeacherWeights(net: SRNet, file: string): void {
  const src = resolveWeightsSource(file);
  if (src.kind === 'srkd-model') loadModelWeights(net, src.path);
  else loadPretrained(net, src.path, { strict: true });
}

function stepContext(context: TaskConfig, share: { sampleOffset: number; batchSizeTotal: number }, seed: number): StepContext {
  const step = context.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new Error(`distill task: context.step must be an integer >= 0 (got ${JSON.stringify(step)})`);
  const s = typeof context.seed === 'number' ? context.seed : seed;
  return { step, seed: s, sampleOffset: share.sampleOffset, batchSizeTotal: share.batchSizeTotal };
}

/**
 * Runs `f` with stochastic depth on `net` (SwinIR; models/layers/drop-path.ts) for one phase of one step, keyed by
 * seed, step, phase and global sample index (nothing to checkpoint); the net is back to inference mode after.
 */
function withDropPath<T>(net: SRNet | null, rate: number, ctx: StepContext, phase: number, f: () => T): T {
  if (net === null || rate === 0 || !net.setDropPath) return f();
  net.setDropPath({ rate, seed: ctx.seed, step: ctx.step, phase, sampleOffset: ctx.sampleOffset });
  try {
    return f();
  } finally {
    net.setDropPath(null);
  }
}

export async function createTask(config: TaskConfig): Promise<TrainTask> {
  const { train: cfg, teacherWeights, studentInit } = config as unknown as DistillTaskConfig;
  if (typeof cfg !== 'object' || cfg === null) throw new Error('distill task: config.train must be a TrainConfig');
  const method = buildMethod(cfg.method);
  const student = buildModel(cfg.student, cfg.scale, { seed: cfg.seed });
  let teacher: SRNet | null = null;
  try {
    // Same file, same rule in every worker: identical weights (the pool's EMA starts from them too).
    if (studentInit) warmStartStudent(student, studentInit, warmStartSets(studentInit.mode).student);
    if (method.requiresTeacher) {
      if (cfg.teacher === null) throw new Error(`method '${method.id}' needs a teacher (config.teacher is null)`);
      teacher = buildModel(cfg.teacher, cfg.scale, { seed: teacherSeed(cfg.seed) });
      if (teacherWeights !== null) loadTeacherWeights(teacher, teacherWeights);
    }
  } catch (err) {
    student.dispose();
    method.dispose?.();
    teacher?.dispose();
    throw err;
  }
  const nets: MethodNets = { student, teacher, aux: {} };
  try {
    method.init?.(nets);
  } catch (err) {
    student.dispose();
    teacher?.dispose();
    method.dispose?.();
    throw err;
  }
  const batchOf = (inputs: Record<string, tf.Tensor>) => {
    const { lr, hr } = inputs;
    if (!lr || !hr) throw new Error(`distill task needs inputs 'lr' and 'hr' (got ${Object.keys(inputs).join(', ')})`);
    return { lr: lr as tf.Tensor4D, hr: hr as tf.Tensor4D };
  };
  const stats = method.shareStats;
  return {
    variables: trainableVariables(method, nets),
    stateVariables: method.stateVariables ? method.stateVariables() : [],
    wholeBatch: method.wholeBatch === true,
    prepare(inputs: Record<string, tf.Tensor>, share: ShareInfo): tf.TensorContainer {
      const ctx = stepContext(share.context, share, cfg.seed);
      // teacher targets: stochastic only when dropPath.teacher > 0 (the released code's training-mode teacher)
      return withDropPath(teacher, cfg.dropPath?.teacher ?? 0, ctx, 0,
        () => method.prepare(batchOf(inputs), nets, ctx, share.whole ? batchOf(share.whole) : undefined));
    },
    stats: stats
      ? (inputs: Record<string, tf.Tensor>, call: TermsCall) => {
        const ctx = stepContext(call.context, call, cfg.seed);
        // the same draws as the terms of this phase (the call counter restarts), so totals match the terms' forwards
        return withDropPath(student, cfg.dropPath?.student ?? 0, ctx, 1 + (call.group ?? 0),
          () => stats(nets, batchOf(inputs), call.prep as tf.TensorContainer, ctx));
      }
      : undefined,
    terms(inputs: Record<string, tf.Tensor>, call?: TermsCall): Record<string, tf.Scalar> {
      if (!call) throw new Error('distill task: terms needs the step call info (use DataParallelTrainer.step)');
      return withDropPath(student, cfg.dropPath?.student ?? 0, stepContext(call.context, call, cfg.seed), 1 + (call.group ?? 0),
        () => method.terms(nets, batchOf(inputs), call.prep as tf.TensorContainer, {
          ...(call.group === undefined ? {} : { group: call.group }), ...(call.totals ? { totals: call.totals } : {}),
        }));
    },
    afterStep(context: TaskConfig, ema: readonly tf.Variable[] | null): void {
      if (!method.afterStep) return;
      const total = typeof context.batchSizeTotal === 'number' ? context.batchSizeTotal : cfg.data.batchSize;
      method.afterStep(nets, stepContext(context, { sampleOffset: 0, batchSizeTotal: total }, cfg.seed), ema);
    },
    dispose(): void {
      student.dispose();
      teacher?.dispose();
      method.dispose?.();
    },
  };
}
