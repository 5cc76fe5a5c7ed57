/**
 * The training config: typed, plain, JSON-serialisable data (its hash names the run). Defaults live in
 * presets.ts; resolve.ts merges overrides and validates; hash.ts names the run after it.
 *
 * Deviation from the style guide's sketch: `data` names a dataset kind + root (the kit trains on DIV2K, DF2K, a
 * folder or the embedded synthetic set), `optim` carries Adam's betas/eps, and the run's bookkeeping
 * (checkpoint/log cadence, validation sets, worker count) is part of the config so a JSON file describes a
 * whole run. Keys that cannot change the loss trajectory are listed in hash.ts `NON_TRAJECTORY_KEYS`.
 */
import type { MethodConfig } from '../distill/config';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';

export type TrainDataKind = 'div2k' | 'df2k' | 'synthetic' | 'folder';
export const TRAIN_DATA_KINDS: readonly TrainDataKind[] = ['div2k', 'df2k', 'synthetic', 'folder'];

export interface TrainDataConfig {
  readonly kind: TrainDataKind;
  /** Data root (div2k/df2k: the folder holding DIV2K_train_HR; folder: the HR folder); null = $SRKD_DATA or ./data. */
  readonly root: string | null;
  /** LR training patch side (48 in the papers); the HR patch is patchSizeLr * scale. */
  readonly patchSizeLr: number;
  /** Total batch over all workers (16 in the papers). */
  readonly batchSize: number;
  /** Paired hflip / vflip / transpose, p = 0.5 each (BasicSR's training augmentation in every paper). */
  readonly augment: boolean;
  /** Use only the first N training pairs (null = all). */
  readonly limit: number | null;
}

/** How a warm start copies weights (lib/train/warm-start.ts). */
export type WarmStartMode = 'all-but-upsampler' | 'all-matching';
export const WARM_START_MODES: readonly WarmStartMode[] = ['all-but-upsampler', 'all-matching'];

export interface StudentInitConfig {
  /** Kit model dir, run dir or PyTorch checkpoint (typically the x2 run of the same method). */
  readonly weights: string;
  readonly mode: WarmStartMode;
}

export interface DropPathConfig {
  readonly student: number;
  readonly teacher: number;
}

export interface TrainOptimConfig {
  /** Initial learning rate (1e-4 in the papers). */
  readonly learningRate: number;
  /** Adam (beta1, beta2): (0.9, 0.99). */
  readonly betas: readonly [number, number];
  /** Adam epsilon: 1e-8. */
  readonly eps: number;
  /** Steps at which the learning rate is multiplied by `gamma` (MultiStep: [100000, 200000]). */
  readonly milestones: readonly number[];
  readonly gamma: number;
}

export interface TrainValConfig {
  /**
   * What validation scores: 'synthetic' (the synthetic set's held-out split), 'DIV2K-val', benchmark set names /
   * set folders looked up under `root` ('Set5', 'Set14', 'B100', 'Urban100'), or 'present': all of those five found
   * under `root` when the run starts (lib/train/validate.ts). [] = no validation.
   */
  readonly sets: readonly string[];
  /** Benchmark root (null: data.root, else $SRKD_DATA or ./data). */
  readonly root: string | null;
  /** Score at most the first N images of each set (null = all). */
  readonly limit: number | null;
}

export interface TrainConfig {
  readonly scale: Scale;
  readonly student: ArchConfig;
  /**
   * Warm start of the student (DUKD's EDSR x4 students start from the x2 student of the same method):
   * `{ weights, mode }`, see lib/train/warm-start.ts. null = fresh initialisation.
   */
  readonly studentInit: StudentInitConfig | null;
  /**
   * Stochastic depth of SwinIR nets in training (models/layers/drop-path.ts; BasicSR's SwinIR drop_path_rate,
   * 0.1 by default there and left on for DUKD's SwinIR students): `student` is the student's rate; `teacher` > 0
   * runs a SwinIR teacher in training mode as the released code does (stochastic targets; 0 = deterministic,
   * the kit's choice). null = none (the default outside the paper preset's SwinIR students).
   */
  readonly dropPath: DropPathConfig | null;
  /** null for methods without a teacher (scratch). */
  readonly teacher: ArchConfig | null;
  /**
   * Teacher weights: a PyTorch checkpoint (.pth), a kit model directory (model.json + weights.bin), or a
   * finished run directory (its `model/`). null = randomly initialised teacher (smoke tests only; warned).
   */
  readonly teacherWeights: string | null;
  readonly method: MethodConfig;
  readonly data: TrainDataConfig;
  readonly optim: TrainOptimConfig;
  /** Student EMA decay per iteration (0.999 in DUKD's BasicSR configs); 0 = no EMA (validation uses the raw weights). */
  readonly emaDecay: number;
  readonly totalSteps: number;
  /** Validate every N steps (and at the end); 0 = only at the end (if `val.sets` is not empty). */
  readonly evalEverySteps: number;
  readonly checkpointEverySteps: number;
  /** Write a log.jsonl line (and a progress event) every N steps. */
  readonly logEverySteps: number;
  /** Checkpoints kept on disk (the newest K). */
  readonly keepCheckpoints: number;
  readonly val: TrainValConfig;
  readonly seed: number;
  /** Data-parallel worker threads; null = one per core. */
  readonly workers: number | null;
}

/** Every key of a TrainConfig, by section (resolve.ts rejects anything else, by name). */
export const TRAIN_KEYS: readonly (keyof TrainConfig)[] = [
  'scale', 'student', 'studentInit', 'dropPath', 'teacher', 'teacherWeights', 'method', 'data', 'optim', 'emaDecay', 'totalSteps', 'evalEverySteps',
  'checkpointEverySteps', 'logEverySteps', 'keepCheckpoints', 'val', 'seed', 'workers',
];
export const STUDENT_INIT_KEYS: readonly (keyof StudentInitConfig)[] = ['weights', 'mode'];
export const DROP_PATH_KEYS: readonly (keyof DropPathConfig)[] = ['student', 'teacher'];
export const DATA_KEYS: readonly (keyof TrainDataConfig)[] = ['kind', 'root', 'patchSizeLr', 'batchSize', 'augment', 'limit'];
export const OPTIM_KEYS: readonly (keyof TrainOptimConfig)[] = ['learningRate', 'betas', 'eps', 'milestones', 'gamma'];
export const VAL_KEYS: readonly (keyof TrainValConfig)[] = ['sets', 'root', 'limit'];

/**
 * A config read back from a run or checkpoint written by an older kit: keys added since get the value that
 * reproduces the old behaviour (studentInit: null, dropPath: null).
 */
export function upgradeStoredConfig(stored: TrainConfig): TrainConfig {
  return { ...stored, studentInit: stored.studentInit ?? null, dropPath: stored.dropPath ?? null };
}

/** Recursively optional, for overrides (arrays are replaced whole). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> | (null extends T[K] ? null : never) }
    : T;
