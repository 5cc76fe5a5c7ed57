/**
 * One DCKD iteration timed on the main thread's backend, and the share of it spent in the VQGAN passes. The case:
 * DCKD Table 2's SwinIR pair (SwinIR-M 180/6x6 teacher, 60/4x6 student) at x4, batch 16 of 48 px LR patches,
 * N = 5 negatives, the paper's weights (lib/distill/dckd.ts `dckdPreset('dckd')`). An iteration is what the
 * method does per step, composed from the same pieces: the teacher's forward and the history model's forward
 * over the clean and the 4 degraded LR batches (prepare), then gradients of
 * L1(a, y) + L1(a, t) + 0.1·L_dcl + 0.001·L_ce through the student (VQGAN passes at SR resolution, as the
 * trainer runs them (lib/losses/dckd-vqgan-terms.ts): one full encoder pass of the anchor with gradient and one of
 * the positive without, which give both terms, and 5 feature passes of the negatives without), and an Adam update. The VQGAN part is then timed alone: the same L_dcl and L_ce with gradients to a stand-in for
 * the student's output. Its median over the whole step's median is the share reported.
 * Weights are random (time does not depend on them): the VQGAN has the real checkpoint's sizes
 * (DCKD_VQGAN_CONFIG; the file itself when found), not the test fixture's.
 */
import * as tf from '@tensorflow/tfjs';
import { backendInfo } from '../backend/index';
import { gpuBufferCounts, gpuPipelineCount, gpuPoolPeak } from '../backend/webgpu';
import { type DckdConfig, dckdDegradedInputs, dckdPreset } from '../distill/dckd';
import { findFeatureWeights } from '../io/feature-weights';
import { loadVqgan } from '../io/frozen-nets';
import { contrastiveRatio } from '../losses/contrastive-ratio';
import { dckdVqganTerms } from '../losses/dckd-vqgan-terms';
import { l1 } from '../losses/pixel';
import { buildModel } from '../models/build';
import { DCKD_FEATURE_WEIGHTS, DCKD_VQGAN_CONFIG, type VqganConfig, type VqganEncoder, randomVqgan } from '../models/features/vqgan-encoder';
import type { ArchConfig } from '../models/types';
import { KitAdamOptimizer } from '../parallel/weight-updates';
import { ZOO } from '../models/zoo';
import type { Scale } from '../types';
import { countFlops, describeProfile, type StepProfile, stepProfile } from './flop-count';

export type DckdBenchCase = { readonly teacher: ArchConfig; readonly student: ArchConfig; readonly scale: Scale; readonly batch: number; readonly sizeLr: number };

/** The full case (see the file comment); `quick`: batch 4 of 24 px LR patches (a CPU minutes instead of an hour). */
export function dckdBenchCase(quick: boolean): DckdBenchCase {
  return { teacher: ZOO['swinir-teacher'].arch, student: ZOO['swinir-student'].arch, scale: 4, batch: quick ? 4 : 16, sizeLr: quick ? 24 : 48 };
}

export interface DckdStepResult {
  readonly secondsMedian: number;
  /** Of those, the time the host took to issue every op of the iteration, before the loss is awaited (median). */
  readonly hostSecondsMedian: number;
  /** The VQGAN passes of one iteration alone (forward and backward), median seconds. */
  readonly vqganSecondsMedian: number;
  /** vqganSecondsMedian / secondsMedian. */
  readonly vqganShare: number;
  /** Counted convolution + matmul work of one iteration, and of its VQGAN part (GFLOP). */
  readonly gflopPerIteration: number;
  readonly vqganGflop: number;
  /** webgpu: the most GPU memory tfjs-webgpu's buffer pool held after an iteration (MiB); null elsewhere. */
  readonly gpuMemoryMiB: number | null;
  readonly backend: string;
  readonly note: string;
  /** Where an iteration's time goes (flop-count.ts StepProfile), from one more iteration under tf.profile. */
  readonly profile: StepProfile;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface DckdStepOptions {
  readonly log?: (line: string) => void;
  /** Encoder sizes when no VQGAN file is used (default the real checkpoint's; tests pass the fixture's). */
  readonly vqgan?: VqganConfig;
  /** Look for the VQGAN file (default true). */
  readonly findFile?: boolean;
}

/**
 * Times `repeats` DCKD iterations and `repeats` VQGAN-only passes after a warm-up of each (the VQGAN one
 * counted), then one more iteration under tf.profile (its work and where the time goes), on the backend
 * already initialised (the caller's initBackend).
 */
export async function timeDckdStep(c: DckdBenchCase, repeats: number, opts: DckdStepOptions = {}): Promise<DckdStepResult> {
  const log = opts.log ?? ((): void => undefined);
  const cfg: DckdConfig = dckdPreset('dckd');
  const file = opts.findFile === false ? null : findFeatureWeights('vqgan');
  const vqCfg = opts.vqgan ?? DCKD_VQGAN_CONFIG;
  const vq: VqganEncoder = file ? loadVqgan(file).net : randomVqgan(vqCfg, 0);
  const student = buildModel(c.student, c.scale, { seed: 0 });
  const teacher = buildModel(c.teacher, c.scale, { seed: 1 });
  const history = buildModel(c.student, c.scale, { seed: 2 });
  const vars = [...student.params.values()];
  const adam = new KitAdamOptimizer(1e-4, 0.9, 0.99, 1e-8); // the trainer's (fused updates on webgpu)
  const lr = tf.randomUniform([c.batch, c.sizeLr, c.sizeLr, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const hr = tf.randomUniform([c.batch, c.sizeLr * c.scale, c.sizeLr * c.scale, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const srSide = c.sizeLr * c.scale;
  const stand = tf.tidy(() => tf.variable(tf.randomUniform([c.batch, srSide, srSide, 3], 0, 1, 'float32', 3), true));
  try {
    // as the trainer's DCKD terms: one VQGAN pass of S(x) and of T(x) serves L_dcl and L_ce
    const vqTerms = (sr: tf.Tensor4D, t: tf.Tensor4D, negatives: tf.Tensor4D[]): tf.Scalar => tf.tidy(() => {
      const both = dckdVqganTerms(vq, { anchor: sr, positive: t, negatives });
      return tf.add(tf.mul(cfg.dclWeight, contrastiveRatio(both.sums, DCKD_FEATURE_WEIGHTS)), tf.mul(cfg.ceWeight, both.ce)) as tf.Scalar;
    });
    let hostSeconds = 0;
    const step = async (i: number): Promise<void> => {
      const t0 = performance.now();
      const ctx = { step: i, seed: 0, sampleOffset: 0, batchSizeTotal: c.batch };
      const prep = tf.tidy(() => {
        const out = history.forward(tf.concat([lr, ...dckdDegradedInputs(cfg, lr, ctx)], 0)).out;
        return { t: teacher.forward(lr).out, negatives: Array.from({ length: cfg.negatives }, (_, j) => tf.slice(out, [j * c.batch, 0, 0, 0], [c.batch, -1, -1, -1]) as tf.Tensor4D) };
      });
      const { value, grads } = tf.variableGrads(() => {
        const sr = student.forward(lr).out;
        return tf.addN([tf.mul(cfg.recWeight, l1(sr, hr)), tf.mul(cfg.kdWeight, l1(sr, prep.t)), vqTerms(sr, prep.t, prep.negatives)]) as tf.Scalar;
      }, vars);
      adam.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      hostSeconds = (performance.now() - t0) / 1000;
      await value.data();
      tf.dispose([value, grads, prep]);
    };
    const vqOnly = async (): Promise<void> => {
      const fixed = tf.tidy(() => ({ t: tf.mul(stand, 0.9) as tf.Tensor4D, negatives: Array.from({ length: cfg.negatives }, (_, j) => tf.mul(stand, 0.8 - 0.01 * j) as tf.Tensor4D) }));
      const { value, grads } = tf.variableGrads(() => vqTerms(stand as unknown as tf.Tensor4D, fixed.t, fixed.negatives), [stand]);
      await grads[stand.name].data();
      tf.dispose([value, grads, fixed]);
    };
    await step(0);
    const vqCount = await countFlops(async () => { await vqOnly(); return [] as tf.Tensor[]; });
    log(`bench: dckd-swinir: warm-up done (${(vqCount.flops / 1e9).toFixed(0)} GFLOP in the VQGAN passes)`);
    const times: number[] = [];
    const hostTimes: number[] = [];
    const vqTimes: number[] = [];
    const pool = gpuPoolPeak();
    // Buffers and shaders created after the warm-up: on the H200 an iteration spent ~80 % of its time outside
    // kernels and varied by 20 % between iterations; new multi-GB buffers (created and cleared) or shaders
    // compiled anew each iteration would do that.
    const poolState = (): string => {
      const b = gpuBufferCounts();
      return b ? `; GPU pool ${b.used + b.free} buffers, ${(b.bytesAllocated / 2 ** 20).toFixed(0)} MiB; ${gpuPipelineCount()} pipelines` : '';
    };
    log(`bench: dckd-swinir: after the warm-up${poolState()}`);
    for (let i = 1; i <= repeats; i++) {
      let t0 = performance.now();
      await step(i);
      times.push((performance.now() - t0) / 1000);
      hostTimes.push(hostSeconds);
      t0 = performance.now();
      await vqOnly();
      vqTimes.push((performance.now() - t0) / 1000);
      pool.sample();
      log(`bench: dckd-swinir: iteration ${i}/${repeats}: ${times[i - 1].toFixed(2)} s (ops issued in ${hostSeconds.toFixed(2)} s), VQGAN part ${vqTimes[i - 1].toFixed(2)} s${poolState()}`);
    }
    const seconds = median(times);
    const vqSeconds = median(vqTimes);
    const full = await countFlops(async () => { await step(repeats + 1); return [] as tf.Tensor[]; });
    const profile = stepProfile(full, seconds);
    const gpuMiB = pool.mib();
    return {
      secondsMedian: seconds, hostSecondsMedian: median(hostTimes), vqganSecondsMedian: vqSeconds, gpuMemoryMiB: gpuMiB, vqganShare: vqSeconds / seconds, gflopPerIteration: full.flops / 1e9, vqganGflop: vqCount.flops / 1e9,
      backend: backendInfo()?.name ?? tf.getBackend(),
      note: `dckd x${c.scale}, SwinIR-M teacher, SwinIR 60/4x6 student, batch ${c.batch}, LR ${c.sizeLr} px, N = ${cfg.negatives}; ` +
        `VQGAN ${file ? `from ${file}` : vqCfg === DCKD_VQGAN_CONFIG ? 'with random weights of the real checkpoint\'s sizes (timing only)' : `with random weights, ch ${vqCfg.ch} (not the real sizes)`}; ` +
        `VQGAN passes ${(100 * vqSeconds / seconds).toFixed(0)} % of the step (${vqSeconds.toFixed(2)} of ${seconds.toFixed(2)} s), main thread; ` +
        (gpuMiB === null ? '' : `GPU memory ${gpuMiB.toFixed(0)} MiB; `) + `ops issued in ${median(hostTimes).toFixed(2)} s of it; ` +
        describeProfile(profile),
      profile,
    };
  } finally {
    adam.dispose();
    tf.dispose([lr, hr, stand]);
    student.dispose();
    teacher.dispose();
    history.dispose();
    vq.dispose();
  }
}
