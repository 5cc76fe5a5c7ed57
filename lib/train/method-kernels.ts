/**
 * Start-up kernel check of a training run (lib/backend/kernel-check.ts does it per backbone): the kernels of one
 * whole training iteration of the run's method (teacher passes, history and feature networks, every term group,
 * batch-coupled statistics, gradients, Adam, EMA, afterStep), recorded on the cpu backend on a tiny copy of the
 * run and checked against the active backend before the first step. The tiny copy keeps the op graph and
 * shrinks sizes:
 *  - student and teacher as kernel-check's tinyArch (a method that derives its student from the teacher, CSD,
 *    derives it again through its fitPreset);
 *  - batch 2 and the smallest LR patch the config's checks accept (doubled, up to the run's own, where the tiny
 *    copy cannot run it: a SwinIR zoom-out input smaller than its window);
 *  - no weight files: teacher, student and feature networks (a `featureWeights` key) with seeded random weights
 *    of the same architecture (the fixture-sized VGG-19 / VQGAN);
 *  - the method fitted to a 1-step run (MethodSpec.forRun), so schedules keyed to the run's length (DCKD's
 *    history update) fire at the recorded step.
 */
import * as tf from '@tensorflow/tfjs';
import { assertKernelsRegistered, missingKernels, recordKernels, tinyArch } from '../backend/kernel-check';
import { trainPreset } from '../config/presets';
import { assertTrainConfig } from '../config/resolve';
import type { TrainConfig } from '../config/train';
import { buildMethod, METHOD_KINDS, type MethodConfig, type MethodKind, methodForRun, methodSpec } from '../distill/methods';
import { ARCH_NAMES, type ArchName } from '../models/archs/index';
import { ZOO } from '../models/zoo';
import type { Scale } from '../types';
import { Replica, readTerms } from '../parallel/replica';
import { Rng } from '../util/rng';
import { createTask } from './distill-task';

/**
 * The tiny copy of `cfg` whose iteration is recorded (see the file comment), its patch the smallest of at least
 * `fromPatch` that passes the checks; throws if none up to the run's own does.
 */
export function tinyRun(cfg: TrainConfig, fromPatch = 1): TrainConfig {
  let method = cfg.method as MethodConfig;
  if ('featureWeights' in method) method = { ...method, featureWeights: null } as MethodConfig;
  method = methodForRun(method, { totalSteps: 1, findWeights: () => null });
  const teacher = cfg.teacher === null ? null : tinyArch(cfg.teacher);
  const batchSize = Math.min(2, cfg.data.batchSize);
  const fit = methodSpec(method.kind).fitPreset?.(method as never, { scale: cfg.scale, student: tinyArch(cfg.student), teacher, batchSize });
  const base: TrainConfig = {
    ...cfg, student: fit?.student ?? tinyArch(cfg.student), teacher, teacherWeights: null, studentInit: null,
    method: (fit?.method as MethodConfig | undefined) ?? method, workers: null, totalSteps: 1,
  };
  let lastError: unknown = null;
  for (let p = Math.min(fromPatch, cfg.data.patchSizeLr); p <= cfg.data.patchSizeLr; p++) {
    const tiny = { ...base, data: { ...cfg.data, batchSize, patchSizeLr: p } };
    try {
      assertTrainConfig(tiny);
      return tiny;
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`kernel check: no tiny copy of the run passes the config checks (${(lastError as Error | null)?.message ?? 'no patch size to try'})`);
}

function randomBatch(cfg: TrainConfig): Record<string, tf.Tensor> {
  const rng = new Rng(1);
  const { batchSize: n, patchSizeLr: p } = cfg.data;
  const fill = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, d) => a * d, 1) }, () => rng.next()), shape);
  return { lr: fill([n, p, p, 3]), hr: fill([n, p * cfg.scale, p * cfg.scale, 3]) };
}

/** Recorded lists by run config (JSON): a second run of the same config in this process records nothing. */
const recorded = new Map<string, readonly string[]>();

/** The registered kernels (sorted, unique) of one training iteration of `cfg`'s method, on its tiny copy. */
export async function methodKernels(cfg: TrainConfig): Promise<string[]> {
  const key = JSON.stringify(cfg);
  const known = recorded.get(key);
  if (known) return [...known];
  for (let from = 1; ; ) {
    const tiny = tinyRun(cfg, from);
    try {
      const names = await recordIteration(tiny);
      recorded.set(key, names);
      return [...names];
    } catch (e) {
      const p = tiny.data.patchSizeLr;
      if (p >= cfg.data.patchSizeLr) throw e;
      from = 2 * p;
    }
  }
}

async function recordIteration(tiny: TrainConfig): Promise<string[]> {
  const method = buildMethod(tiny.method); // only to read its term groups, as the trainer does
  const groupCount = method.termGroups.length;
  method.dispose?.();
  return recordKernels(async () => {
    const optimizer = { kind: 'adam', beta1: tiny.optim.betas[0], beta2: tiny.optim.betas[1], epsilon: tiny.optim.eps } as const;
    const replica = new Replica(await createTask({ train: tiny, teacherWeights: null }), optimizer);
    try {
      if (tiny.emaDecay > 0) replica.emaInit(tiny.emaDecay);
      const n = tiny.data.batchSize;
      const terms = await replica.deviceStep(randomBatch(tiny), {
        context: { step: 0, seed: tiny.seed, batchSizeTotal: n }, sampleOffset: 0, batchSizeTotal: n,
      }, groupCount, tiny.optim.learningRate);
      try {
        await readTerms(terms);
      } finally {
        tf.dispose(terms.terms);
      }
    } finally {
      replica.dispose();
    }
  });
}

/**
 * On the webgpu backend (the one whose missing kernels nothing else catches), throws before the first step
 * unless every kernel an iteration of `cfg`'s method needs is registered. A no-op on other backends (cpu is the
 * reference; wasm, the default backend, is the one every method's tests train on).
 */
export async function assertMethodKernels(cfg: TrainConfig): Promise<void> {
  const backend = tf.getBackend();
  if (backend !== 'webgpu') return;
  assertKernelsRegistered(await methodKernels(cfg), `a training iteration of method '${cfg.method.kind}'`, backend);
}

export interface KernelCoverageRow {
  readonly method: MethodKind;
  /** The DUKD Table 1 pair of this backbone (teacher -> student; methods without a teacher: the student). */
  readonly backbone: ArchName;
  /** Kernels one iteration runs. */
  readonly kernels: number;
  /** Those the backend lacks; empty when it has them all. */
  readonly missing: readonly string[];
  /** Why the method does not apply to this backbone (e.g. CSD slices only EDSR); then nothing was recorded. */
  readonly notApplicable: string | null;
}

/**
 * Every method with each backbone's DUKD Table 1 pair at `scale` (paper preset, tiny copies as above): the
 * kernels an iteration needs that `backend` lacks. `srkd backend --check` prints it; on a new GPU host it says
 * before any run which methods and backbones the backend can train.
 */
export async function kernelCoverage(scale: Scale, backend: string = tf.getBackend()): Promise<KernelCoverageRow[]> {
  const rows: KernelCoverageRow[] = [];
  for (const backbone of ARCH_NAMES) {
    for (const method of METHOD_KINDS) {
      let cfg: TrainConfig;
      try {
        const needsTeacher = methodSpec(method).needsTeacher;
        cfg = trainPreset('paper', {
          method, scale, student: ZOO[`${backbone}-student`].arch, teacher: needsTeacher ? ZOO[`${backbone}-teacher`].arch : null,
          findWeights: () => null,
        });
        assertTrainConfig(cfg);
      } catch (e) {
        rows.push({ method, backbone, kernels: 0, missing: [], notApplicable: e instanceof Error ? e.message : String(e) });
        continue;
      }
      const names = await methodKernels(cfg);
      rows.push({ method, backbone, kernels: names.length, missing: missingKernels(names, backend), notApplicable: null });
    }
  }
  return rows;
}
