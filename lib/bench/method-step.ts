/**
 * A real training iteration of a method, timed on the main thread's backend through the trainer's in-process
 * step engine (the path `train()` takes on a GPU): the run's own task (teacher passes, upcycled inputs,
 * augmentations, every term group, Adam, EMA) on one random batch uploaded per step. Work is counted from
 * the kernels the first iteration runs (flop-count.ts), so "effective TFLOP/s" covers teacher and student
 * passes alike. `paperMethodCase` is the DUKD paper preset at x4 (EDSR 256x32 teacher, 64x32 student,
 * batch 16, LR 48): the case that says how long a 250k-step run takes on a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { backendInfo } from '../backend/index';
import { gpuPoolPeak, type WebgpuAdapter } from '../backend/webgpu';
import { trainPreset } from '../config/presets';
import type { TrainConfig } from '../config/train';
import { buildMethod } from '../distill/methods';
import type { ArchConfig } from '../models/types';
import { createTask } from '../train/distill-task';
import { InProcessEngine } from '../train/in-process-engine';
import { Rng } from '../util/rng';
import { countFlops, type StepProfile, stepProfile } from './flop-count';

export interface MethodStepResult {
  readonly secondsMedian: number;
  /**
   * Of those, the time the host took to record the iteration (every op issued, before its losses are awaited),
   * median. On a GPU, near secondsMedian means the host (JavaScript, Dawn) bounds the step; far below, the GPU.
   */
  readonly hostSecondsMedian: number;
  /** Counted convolution + matmul work of one iteration, GFLOP. */
  readonly gflopPerIteration: number;
  readonly tflops: number;
  /** Peak FP32 of the GPU (known table or SRKD_GPU_PEAK_TFLOPS), null when unknown. */
  readonly peakTflops: number | null;
  /** tflops / peakTflops, null when the peak is unknown. */
  readonly fractionOfPeak: number | null;
  /** webgpu: the most GPU memory the buffer pool held after any iteration, MiB; null on other backends. */
  readonly gpuMemoryMiB: number | null;
  /** secondsMedian x the config's totalSteps, hours. */
  readonly projectedHours: number;
  readonly totalSteps: number;
  readonly backend: string;
  readonly note: string;
  /** Where an iteration's time goes (flop-count.ts StepProfile), from one more iteration under tf.profile. */
  readonly profile: StepProfile;
}

/** The DUKD paper preset at x4 (`quick`: the same method on the quick preset's small nets and patches). */
export function paperMethodCase(quick: boolean): TrainConfig {
  if (!quick) return { ...trainPreset('paper', { method: 'dukd', scale: 4 }), data: { ...trainPreset('paper').data, kind: 'synthetic' } };
  const q = trainPreset('quick', { method: 'dukd', scale: 4 });
  return { ...q, data: { ...q.data, batchSize: 4 } };
}

/**
 * FP32 peak (TFLOP/s, dense, boost clock) of GPUs the kit may meet, from the vendors' data sheets; matched on
 * the adapter's device name. SRKD_GPU_PEAK_TFLOPS overrides (any GPU).
 */
const FP32_PEAK_TFLOPS: readonly (readonly [RegExp, number])[] = [
  [/H200/i, 67], // H200 SXM
  [/H100.*PCIe/i, 51],
  [/H100/i, 67], // H100 SXM
  [/A100/i, 19.5],
  [/V100/i, 15.7], // SXM2
  [/L40S/i, 91.6],
  [/A10\b/i, 31.2],
  [/RTX 4090/i, 82.6],
];

export function gpuPeakTflops(adapter: WebgpuAdapter | null, env: NodeJS.ProcessEnv = process.env): number | null {
  const forced = env.SRKD_GPU_PEAK_TFLOPS;
  if (forced !== undefined && forced !== '') {
    const v = Number(forced);
    if (!(v > 0)) throw new Error(`SRKD_GPU_PEAK_TFLOPS must be a positive number (got ${JSON.stringify(forced)})`);
    return v;
  }
  if (!adapter || adapter.software) return null;
  const hit = FP32_PEAK_TFLOPS.find(([re]) => re.test(adapter.device) || re.test(adapter.description));
  return hit ? hit[1] : null;
}

function archLabel(a: ArchConfig): string {
  return a.arch === 'edsr' ? `EDSR ${a.feats}x${a.blocks}` : a.arch;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function randomBatch(cfg: TrainConfig, rng: Rng) {
  const n = cfg.data.batchSize;
  const p = cfg.data.patchSizeLr;
  const fill = (shape: number[]) => {
    const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.next();
    return { shape, data };
  };
  return { lr: fill([n, p, p, 3]), hr: fill([n, p * cfg.scale, p * cfg.scale, 3]) };
}

/**
 * Times `repeats` iterations of `cfg`'s method after one warm-up (which compiles shaders and creates Adam
 * slots), then runs one more under tf.profile to count its work and kernel time. An iteration is timed until
 * its losses are read back; the next iteration's forward waits for its weight update, so steady-state times
 * include the update.
 */
export async function timeMethodStep(cfg: TrainConfig, repeats: number): Promise<MethodStepResult> {
  const engine = await InProcessEngine.start({
    createTask,
    taskConfig: { train: cfg, teacherWeights: null } as never,
    optimizer: { kind: 'adam', beta1: cfg.optim.betas[0], beta2: cfg.optim.betas[1], epsilon: cfg.optim.eps },
    emaDecay: cfg.emaDecay > 0 ? cfg.emaDecay : undefined,
  });
  const method = buildMethod(cfg.method); // only to read its term groups, as the trainer does
  const groups = method.termGroups.length;
  method.dispose?.();
  try {
    const batch = randomBatch(cfg, new Rng(1));
    const opts = (step: number) => ({ learningRate: cfg.optim.learningRate, context: { step, seed: cfg.seed, batchSizeTotal: cfg.data.batchSize }, groups });
    await (await engine.step(batch, opts(0))).readTerms();
    const pool = gpuPoolPeak();
    const times: number[] = [];
    const hostTimes: number[] = [];
    for (let i = 1; i <= repeats; i++) {
      const t0 = performance.now();
      const recorded = await engine.step(batch, opts(i));
      hostTimes.push((performance.now() - t0) / 1000);
      await recorded.readTerms();
      times.push((performance.now() - t0) / 1000);
      pool.sample();
    }
    const seconds = median(times);
    const counted = await countFlops(async () => {
      await (await engine.step(batch, opts(repeats + 1))).readTerms();
      return [] as tf.Tensor[];
    });
    const info = backendInfo();
    const peak = gpuPeakTflops(info?.adapter ?? null);
    const tflops = counted.flops / seconds / 1e12;
    return {
      secondsMedian: seconds,
      hostSecondsMedian: median(hostTimes),
      gflopPerIteration: counted.flops / 1e9,
      tflops,
      peakTflops: peak,
      fractionOfPeak: peak === null ? null : tflops / peak,
      gpuMemoryMiB: pool.mib(),
      projectedHours: (seconds * cfg.totalSteps) / 3600,
      totalSteps: cfg.totalSteps,
      backend: engine.backend,
      note: `${cfg.method.kind} x${cfg.scale}, ${cfg.teacher ? `teacher ${archLabel(cfg.teacher)}, ` : ''}student ${archLabel(cfg.student)}, batch ${cfg.data.batchSize}, LR ${cfg.data.patchSizeLr} px, in-process engine`,
      profile: stepProfile(counted, seconds),
    };
  } finally {
    await engine.dispose();
  }
}
