/**
 * Training presets (defaults live here, not scattered through the code):
 *  - `paper`: the published protocol (the DUKD/DCKD papers and BasicSR configs): DIV2K, LR patch 48, batch 16, Adam (0.9, 0.99,
 *    1e-8), 1e-4 x0.1 at 100k and 200k, 250k steps, EMA 0.999; EDSR 256x32 teacher -> 64x32 student at x4 with
 *    DUKD's weights for that backbone/scale (defaultMethodConfig). Set `teacherWeights` to the converted teacher.
 *  - `quick`: minutes on 2 CPU cores: the synthetic set, a 16x4 EDSR teacher and an 8x2 student at x2, 16 px LR
 *    patches, 400 steps. `npm start` (`srkd reproduce ablation --preset quick --scale 4 --seeds 0,1,2`) trains the
 *    whole Table 4 with it at the paper's x4, three seeds per row (10:38 measured on 2 cores).
 *  - `smoke`: seconds (tests, notebooks end to end): 4-feature, 1-block nets, 8-px patches, 4 steps.
 * Per-method/backbone/scale loss weights come from lib/distill `defaultMethodConfig`; `trainPreset` rebuilds
 * them when the method, the student or the scale changes, and applies a method preset's own schedule
 * (`methodPresetOptim`, e.g. 'fakd-dukd-release' on EDSR: x0.5 at 18,750 of 250k steps, scaled to the preset's length).
 * It fits the method to the run (MethodSpec.forRun: DCKD's history update step scaled to the run's length, its VQGAN
 * file used when present) and to the preset's teacher and batch (MethodSpec.fitPreset: CSD's sliced student).
 */
import { methodPreset, METHOD_PRESET_NAMES, methodPresetOptim, type MethodKind, type MethodPresetName } from '../distill/config';
import { defaultMethodConfig, METHOD_KINDS, methodForRun, methodSpec } from '../distill/methods';
import { type FeatureWeightsFinder, findFeatureWeights } from '../io/feature-weights';
import { ZOO } from '../models/zoo';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import type { TrainConfig } from './train';

const paper: TrainConfig = {
  scale: 4,
  student: ZOO['edsr-student'].arch,
  teacher: ZOO['edsr-teacher'].arch,
  studentInit: null,
  dropPath: null,
  teacherWeights: null,
  method: defaultMethodConfig('dukd', 'edsr', 4),
  data: { kind: 'div2k', root: null, patchSizeLr: 48, batchSize: 16, augment: true, limit: null },
  optim: { learningRate: 1e-4, betas: [0.9, 0.99], eps: 1e-8, milestones: [100_000, 200_000], gamma: 0.1 },
  emaDecay: 0.999,
  totalSteps: 250_000,
  evalEverySteps: 5_000,
  checkpointEverySteps: 5_000,
  logEverySteps: 100,
  keepCheckpoints: 3,
  // every one of Set5, Set14, B100, Urban100, DIV2K-val found under the root, as DUKD's released configs validate
  val: { sets: ['present'], root: null, limit: null },
  seed: 0,
  workers: null,
};

const quickStudent: ArchConfig = { arch: 'edsr', feats: 8, blocks: 2, resScale: 1 };
const quick: TrainConfig = {
  scale: 2,
  student: quickStudent,
  teacher: { arch: 'edsr', feats: 16, blocks: 4, resScale: 1 },
  studentInit: null,
  dropPath: null,
  teacherWeights: null,
  method: defaultMethodConfig('dukd', 'edsr', 2),
  // 16 px LR patches (zoom-out inputs of 8 px at x2, 4 px at x4): 2.25x cheaper than 24 px, which is what lets
  // the whole Table 4 ablation (teacher + 8 rows) finish within 20 minutes on 2 shared cores
  data: { kind: 'synthetic', root: null, patchSizeLr: 16, batchSize: 8, augment: true, limit: null },
  // a short run: a larger rate and one decay, an EMA that can follow 400 steps
  optim: { learningRate: 5e-4, betas: [0.9, 0.99], eps: 1e-8, milestones: [300], gamma: 0.1 },
  emaDecay: 0.99,
  totalSteps: 400,
  evalEverySteps: 100,
  checkpointEverySteps: 100,
  logEverySteps: 10,
  keepCheckpoints: 2,
  val: { sets: ['synthetic'], root: null, limit: 4 },
  seed: 0,
  workers: null,
};

const smokeNet: ArchConfig = { arch: 'edsr', feats: 4, blocks: 1, resScale: 1 };
const smoke: TrainConfig = {
  scale: 2,
  student: smokeNet,
  teacher: smokeNet,
  studentInit: null,
  dropPath: null,
  teacherWeights: null,
  method: defaultMethodConfig('kd', 'edsr', 2),
  data: { kind: 'synthetic', root: null, patchSizeLr: 8, batchSize: 2, augment: true, limit: null },
  optim: { learningRate: 1e-3, betas: [0.9, 0.99], eps: 1e-8, milestones: [3], gamma: 0.5 },
  emaDecay: 0.9,
  totalSteps: 4,
  evalEverySteps: 2,
  checkpointEverySteps: 2,
  logEverySteps: 1,
  keepCheckpoints: 2,
  val: { sets: ['synthetic'], root: null, limit: 2 },
  seed: 0,
  workers: null,
};

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v as object)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

/** The named presets (frozen: `resolveTrain` copies, never writes). */
export const PRESETS = deepFreeze({ paper, quick, smoke }) as { readonly paper: TrainConfig; readonly quick: TrainConfig; readonly smoke: TrainConfig };
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES: readonly PresetName[] = ['paper', 'quick', 'smoke'];

export interface TrainPresetOptions {
  /** A method kind ('kd', 'dukd', ...) or a named method preset ('dukd-zi', 'dukd-release', ...). */
  readonly method?: MethodKind | MethodPresetName;
  readonly scale?: Scale;
  readonly student?: ArchConfig;
  /** null: no teacher (only for methods that need none). */
  readonly teacher?: ArchConfig | null;
  /** Keys set on the method config before it is fitted to the run (e.g. DCKD's `negatives` for a Fig. 8 sweep point). */
  readonly methodOverride?: Readonly<Record<string, unknown>>;
    /** The run's length (default the preset's); the method's schedules are fitted to it (MethodSpec.forRun). */
  readonly totalSteps?: number;
  /** How feature-network files are found (default: lib/io/feature-weights.ts's search; tests pass their own). */
  readonly findWeights?: FeatureWeightsFinder;
}

/**
 * A preset with the method's weights for its student backbone and scale (the method record's defaults). A fresh object; pass it
 * to `resolveTrain` as the base for further overrides.
 */
export function trainPreset(name: PresetName, opts: TrainPresetOptions = {}): TrainConfig {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`preset must be one of ${PRESET_NAMES.join(', ')} (got ${JSON.stringify(name)})`);
  }
  const base = JSON.parse(JSON.stringify(PRESETS[name])) as TrainConfig;
  const scale = opts.scale ?? base.scale;
  const student = opts.student ?? base.student;
  const kind = opts.method ?? base.method.kind;
  let method;
  if ((METHOD_KINDS as readonly string[]).includes(kind)) method = defaultMethodConfig(kind as MethodKind, student, scale);
  else if ((METHOD_PRESET_NAMES as readonly string[]).includes(kind)) method = methodPreset(kind as MethodPresetName, student, scale);
  else throw new Error(`method must be one of ${[...METHOD_KINDS, ...METHOD_PRESET_NAMES.filter((n) => !(METHOD_KINDS as readonly string[]).includes(n))].join(', ')} (got ${JSON.stringify(kind)})`);
  if (opts.methodOverride) {
    if ('kind' in opts.methodOverride) throw new Error("methodOverride cannot change the method's kind");
    method = { ...method, ...opts.methodOverride } as typeof method;
  }
  const totalSteps = opts.totalSteps ?? base.totalSteps;
  if (!Number.isSafeInteger(totalSteps) || totalSteps < 1) throw new Error(`totalSteps must be an integer >= 1 (got ${totalSteps})`);
  // DCKD: history schedule scaled to the run, the VQGAN / VGG-19 file used when present (MethodSpec.forRun)
  method = methodForRun(method, { totalSteps, findWeights: opts.findWeights ?? ((net) => findFeatureWeights(net)) });
  const spec = methodSpec(method.kind);
  const teacher = opts.teacher !== undefined ? opts.teacher : spec.needsTeacher ? base.teacher : null;
  // a method that derives its student or knobs from the teacher and the batch (CSD) fits them here
  const fit = spec.fitPreset?.(method as never, { scale, student, teacher, batchSize: base.data.batchSize });
  // BasicSR's SwinIR: drop_path_rate 0.1, left on for DUKD's SwinIR students; the teacher stays deterministic
  const dropPath = name === 'paper' && student.arch === 'swinir' ? { student: 0.1, teacher: 0 } : base.dropPath;
  const o = methodPresetOptim(kind as MethodKind | MethodPresetName, student);
  // a method preset's own schedule, its milestones scaled to this run's length (paper: as released)
  const optim = o === null ? base.optim : {
    ...base.optim, gamma: o.gamma, milestones: o.milestones.map((m) => Math.max(1, Math.round((m * totalSteps) / o.atTotalSteps))),
  };
  return { ...base, scale, student: opts.student ?? fit?.student ?? student, teacher, method: fit ? (fit.method as typeof method) : method, optim, dropPath, totalSteps };
}
