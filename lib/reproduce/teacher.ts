/**
 * `ensureTeacher`: the teacher every distilled row of a reproduction job shares. Given weights are used as
 * they are (a PyTorch checkpoint, a kit model dir or a finished run dir); otherwise the preset's teacher is
 * trained with `scratch` through `train()`. That run is cached like any other (same config hash -> the same
 * run directory, reopened without training), so notebooks and the CLI share one teacher per preset, scale,
 * architecture and data.
 *
 * The teacher run has its own seed (distill-task `teacherSeed`) and trains `TEACHER_STEP_FACTOR[preset]`
 * times the preset's student steps (milestones scaled alike): on the quick preset a teacher trained as briefly
 * as its students is barely better than them, and KD only helps when the teacher is clearly better than the
 * student from scratch.
 */
import * as path from 'node:path';
import { PRESETS } from '../config/presets';
import { resolveTrain } from '../config/resolve';
import type { TrainConfig } from '../config/train';
import type { ArchConfig } from '../models/types';
import { resolveWeightsSource } from '../io/weights-source';
import { teacherSeed } from '../train/distill-task';
import type { TrainProgressEvent } from '../train/progress';
import type { Scale } from '../types';
import { finishedOrTrain } from './cached-run';
import { ablationPair, dataOverrides, rowConfig } from './job-config';
import { type PresetName } from '../config/presets';

/** Teacher steps per student step, by preset (a kit decision; the papers use pretrained teachers). */
export const TEACHER_STEP_FACTOR: Readonly<Record<PresetName, number>> = { smoke: 1, quick: 1.5, paper: 1 };

export interface EnsureTeacherOptions {
  readonly preset: PresetName;
  /** Default: the preset's scale. */
  readonly scale?: Scale;
  /** Teacher architecture (default: the preset's EDSR teacher; Table 4's 64x32 EDSR for 'paper'). */
  readonly arch?: ArchConfig;
  /** Use these weights instead of training (checkpoint file, kit model dir or run dir). */
  readonly teacherWeights?: string | null;
  readonly runsDir?: string;
  /** Data root (DIV2K + benchmarks); default the preset's data. */
  readonly data?: string | null;
  readonly workers?: number | null;
  onProgress?(e: TrainProgressEvent): void;
  readonly quiet?: boolean;
  log?(line: string): void;
}

export type TeacherInfo = {
  readonly arch: ArchConfig;
  readonly scale: Scale;
  /** Absolute path handed to the students' `teacherWeights` (a model dir or checkpoint). */
  readonly weights: string;
  /** 'given' weights or 'trained' by this kit (scratch run). */
  readonly source: 'given' | 'trained';
  /** The teacher's run (trained teachers only). */
  readonly runId: string | null;
  readonly runDir: string | null;
  /** Last validation of the teacher run (trained teachers only). */
  readonly val: { readonly set: string; readonly psnr: number; readonly ssim: number } | null;
  /** Training wall time recorded by the run (0 for given weights). */
  readonly elapsedSec: number;
};

/** The scratch config that trains the teacher (see the file comment). */
export function teacherConfig(opts: Pick<EnsureTeacherOptions, 'preset' | 'scale' | 'arch' | 'data' | 'workers'>): TrainConfig {
  const arch = opts.arch ?? ablationPair(opts.preset).teacher;
  const base = rowConfig(opts.preset, {
    scale: opts.scale ?? defaultScale(opts.preset),
    method: 'scratch',
    pair: { teacher: arch, student: arch },
    teacherWeights: null,
    data: opts.data,
    workers: opts.workers,
  });
  const f = TEACHER_STEP_FACTOR[opts.preset];
  return resolveTrain({
    ...dataOverrides(opts.preset, opts),
    // its own seed: with the student's architecture (smoke) it would otherwise be the Scratch row's run
    seed: teacherSeed(base.seed),
    totalSteps: Math.round(base.totalSteps * f),
    evalEverySteps: Math.round(base.evalEverySteps * f),
    checkpointEverySteps: Math.round(base.checkpointEverySteps * f),
    optim: { milestones: base.optim.milestones.map((m) => Math.round(m * f)) },
  }, base);
}

/** The shared teacher: given weights, else the cached (or newly trained) scratch run. */
export async function ensureTeacher(opts: EnsureTeacherOptions): Promise<TeacherInfo> {
  const arch = opts.arch ?? ablationPair(opts.preset).teacher;
  const cfg = teacherConfig({ ...opts, arch, scale: opts.scale ?? defaultScale(opts.preset) });
  if (opts.teacherWeights) {
    const src = resolveWeightsSource(opts.teacherWeights);
    return { arch, scale: cfg.scale, weights: src.path, source: 'given', runId: null, runDir: null, val: null, elapsedSec: 0 };
  }
  const run = await finishedOrTrain(cfg, {
    runsDir: opts.runsDir, onProgress: opts.onProgress, quiet: opts.quiet, log: opts.log,
    workers: opts.workers ?? undefined,
  });
  try {
    if (run.results.status !== 'completed' || run.results.model === null) throw new Error(`teacher run ${run.dir} did not complete (status ${run.results.status})`);
    const last = run.results.val.length ? run.results.val[run.results.val.length - 1].sets[0] : undefined;
    return {
      arch, scale: cfg.scale, weights: path.join(run.dir, run.results.model), source: 'trained', runId: run.id, runDir: run.dir,
      val: last ? { set: last.set, psnr: last.psnr, ssim: last.ssim } : null, elapsedSec: run.results.elapsedSec,
    };
  } finally {
    run.dispose();
  }
}

/** The scale a job uses when none is given: the preset's (x4 for 'paper', Table 4's scale). */
export function defaultScale(preset: PresetName): Scale {
  return PRESETS[preset].scale;
}
