/**
 * Training configs of the reproduction jobs: one preset ('smoke' | 'quick' | 'paper'), the backbone pair of the
 * table being reproduced, and the data the job trains and evaluates on.
 *
 * - Backbones: 'paper' uses the published pairs (lib/models/zoo.ts; Table 4: EDSR 64x32 -> 16x32). 'quick' and
 *   'smoke' keep their preset's small EDSR pair and use equally small RCAN / SwinIR pairs (BACKBONES_SMALL) so
 *   heterogeneous and RCAN/SwinIR jobs run on a CPU.
 * - Data: no root = the preset's data (synthetic for quick/smoke); with a root, DIV2K under it for training and
 *   Set5 (under the same root) for the in-training validation, on the paper preset every one of Set5, Set14, B100,
 *   Urban100 and DIV2K-val found there ('present', as DUKD's released configs); with a folder of photos, those (job-data.ts).
 * - Method weights follow the student's backbone and the scale (trainPreset -> defaultMethodConfig).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PRESET_NAMES, PRESETS, trainPreset, type PresetName } from '../config/presets';
import { ARCH_NAMES, type ArchName } from '../models/archs/index';
import { resolveTrain } from '../config/resolve';
import type { DeepPartial, TrainConfig } from '../config/train';
import type { MethodKind, MethodPresetName } from '../distill/config';
import type { ArchConfig } from '../models/types';
import { ZOO } from '../models/zoo';
import { PRESENT_VAL_SETS } from '../train/validate';
import type { Scale } from '../types';
import { jobDataLayout } from './job-data';


export type BackbonePair = { readonly teacher: ArchConfig; readonly student: ArchConfig };

/** Throws a message listing the presets when `name` is not one. */
export function assertPresetName(name: unknown): asserts name is PresetName {
  if (!(PRESET_NAMES as readonly unknown[]).includes(name)) {
    throw new Error(`preset must be one of ${PRESET_NAMES.join(', ')} (got ${JSON.stringify(name)})`);
  }
}

export function assertArchName(name: unknown): asserts name is ArchName {
  if (!(ARCH_NAMES as readonly unknown[]).includes(name)) throw new Error(`backbone must be one of ${ARCH_NAMES.join(', ')} (got ${JSON.stringify(name)})`);
}

/** RCAN and SwinIR pairs small enough for CPU runs (the EDSR pair is the preset's own). */
const BACKBONES_SMALL: Readonly<Record<'quick' | 'smoke', Readonly<Record<Exclude<ArchName, 'edsr'>, BackbonePair>>>> = {
  quick: {
    rcan: {
      teacher: { arch: 'rcan', feats: 16, groups: 2, blocks: 4, reduction: 4, resScale: 1 },
      student: { arch: 'rcan', feats: 16, groups: 2, blocks: 1, reduction: 4, resScale: 1 },
    },
    swinir: {
      teacher: { arch: 'swinir', embedDim: 24, depths: [2, 2], heads: [2, 2], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 16 },
      student: { arch: 'swinir', embedDim: 12, depths: [2], heads: [2], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8 },
    },
  },
  smoke: {
    rcan: {
      teacher: { arch: 'rcan', feats: 4, groups: 1, blocks: 1, reduction: 2, resScale: 1 },
      student: { arch: 'rcan', feats: 4, groups: 1, blocks: 1, reduction: 2, resScale: 1 },
    },
    swinir: {
      teacher: { arch: 'swinir', embedDim: 6, depths: [1], heads: [1], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4 },
      student: { arch: 'swinir', embedDim: 6, depths: [1], heads: [1], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4 },
    },
  },
};

/** The teacher/student pair of `backbone` under `preset`. */
export function backbonePair(preset: PresetName, backbone: ArchName): BackbonePair {
  if (preset === 'paper') return { teacher: ZOO[`${backbone}-teacher`].arch, student: ZOO[`${backbone}-student`].arch };
  if (backbone === 'edsr') {
    const p = PRESETS[preset];
    return { teacher: p.teacher ?? p.student, student: p.student };
  }
  return BACKBONES_SMALL[preset][backbone];
}

/** DUKD-v2 Table 4's pair: EDSR 64x32 -> 16x32 under 'paper'; the preset's EDSR pair otherwise. */
export function ablationPair(preset: PresetName): BackbonePair {
  if (preset === 'paper') return { teacher: ZOO['edsr-student'].arch, student: ZOO['edsr-student-c16'].arch };
  return backbonePair(preset, 'edsr');
}

export interface JobDataOptions {
  /** Data root holding DIV2K (training) and the benchmark sets; null/undefined = the preset's data. */
  readonly data?: string | null;
  /** Data-parallel worker threads (null: the config's / one per core). */
  readonly workers?: number | null;
}

/**
 * Data and validation overrides for a job (see the file comment). A folder of photos (job-data.ts) trains on all
 * but its held-out photos and validates on Set5 when $SRKD_DATA has it (else no validation during training).
 */
export function dataOverrides(preset: PresetName, opts: JobDataOptions): DeepPartial<TrainConfig> {
  const base = PRESETS[preset];
  const out: DeepPartial<TrainConfig> = {};
  const layout = jobDataLayout(opts.data);
  if (layout.kind === 'div2k' && opts.data) {
    out.data = { kind: 'div2k', root: opts.data };
    out.val = { sets: preset === 'paper' ? [PRESENT_VAL_SETS] : ['Set5'], root: opts.data, limit: base.val.limit };
  } else if (layout.kind === 'folder') {
    out.data = { kind: 'folder', root: layout.root, limit: layout.train };
    const set5 = ['Set5', path.join('benchmark', 'Set5')].some((d) => fs.existsSync(path.join(layout.benchmarkRoot, d)));
    out.val = set5 ? { sets: ['Set5'], root: layout.benchmarkRoot, limit: base.val.limit } : { sets: [], root: null, limit: null };
  }
  if (opts.workers !== undefined && opts.workers !== null) out.workers = opts.workers;
  return out;
}

/** The config of one row: `method` (a kind or a method preset such as 'dukd-zi') on the given pair. */
export function rowConfig(
  preset: PresetName,
  opts: JobDataOptions & {
    readonly scale: Scale;
    readonly method: MethodKind | MethodPresetName;
    readonly pair: BackbonePair;
    /** Teacher weights (a model dir, run dir or checkpoint); ignored for scratch. */
    readonly teacherWeights: string | null;
    /** The run's seed (student initialisation and data order); default the preset's, so its run ids stay as they were. */
    readonly seed?: number;
    /** Training steps instead of the preset's (the method is fitted to them: DCKD's history schedule). */
    readonly steps?: number | null;
    /** Keys set on the row's method config (RowSpec.methodOverride). */
    readonly methodOverride?: Readonly<Record<string, unknown>> | null;
  },
): TrainConfig {
  const scratch = opts.method === 'scratch';
  const base = trainPreset(preset as PresetName, {
    method: opts.method, scale: opts.scale, student: opts.pair.student, teacher: scratch ? null : opts.pair.teacher, totalSteps: opts.steps ?? undefined,
    methodOverride: opts.methodOverride ?? undefined,
  });
  const over = dataOverrides(preset, opts);
  // zoom-out needs an LR patch divisible by the scale: the quick preset's 16 px becomes 15 px at x3
  const p = base.data.patchSizeLr;
  const patchSizeLr = p % opts.scale === 0 ? p : Math.max(opts.scale, Math.round(p / opts.scale) * opts.scale);
  const seed = opts.seed ?? base.seed;
  return resolveTrain({ ...over, data: { ...(over.data ?? {}), patchSizeLr }, teacherWeights: scratch ? null : opts.teacherWeights, seed }, base);
}
