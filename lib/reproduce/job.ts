/**
 * The engine behind the reproduction jobs (ablation, main comparison, heterogeneous): a list of rows (a method
 * on a backbone pair, with the paper's numbers for it) trained one after another through `train()` against one
 * shared teacher per teacher architecture (teacher.ts), each student scored on the held-out sets (held-out.ts)
 * and, optionally, its agreement with the teacher (agreement.ts). Everything returned is plain data: rows for
 * tables, run summaries (ids, directories, times) for the report, and the job's wall time.
 *
 * Runs are cached by config hash, so a job run twice only re-evaluates (cached-run.ts opens finished runs
 * without starting a worker pool). With several seeds (seeds.ts) every row is trained once per seed against the
 * same teacher; rows, runs and agreement entries carry their seed, and seed-table.ts aggregates them.
 */
import * as path from 'node:path';
import { initBackend } from '../backend/index';
import { type MethodConfig, type MethodKind, type MethodPresetName, presetNeedsTeacher } from '../distill/config';
import { buildModel } from '../models/build';
import { buildMethod } from '../distill/methods';
import { WARM_START_MODES, type TrainConfig, type WarmStartMode } from '../config/train';
import type { ArchConfig, SRNet } from '../models/types';
import { PAPER_Y } from '../metrics/protocol';
import type { TestPad } from '../eval/test-pad';
import { loadTeacherWeights } from '../train/distill-task';
import type { TrainProgressEvent } from '../train/progress';
import type { Scale } from '../types';
import { AgreementProbe, type AgreementScore } from './agreement';
import { finishedOrTrain } from './cached-run';
import { heldOutSets, scoreHeldOut, type HeldOutScore } from './held-out';
import { jobDataLayout, trainDataset } from './job-data';
import { rowConfig, type BackbonePair } from './job-config';
import { type PresetName } from '../config/presets';
import { paperCell, PAPER_SETS, type PaperCells } from './paper-numbers';
import { resolveSeeds } from './seeds';
import { ensureTeacher, type TeacherInfo } from './teacher';

export type PaperScore = { readonly psnr: number; readonly ssim: number };

/** One table line: our score on one held-out set beside the paper's number for that row. */
export type ReproduceRow = {
  /** The table's row id (e.g. 'zoom-in+da', 'dukd', 'edsr->rcan'). */
  readonly row: string;
  /** The row's label as the paper prints it. */
  readonly label: string;
  /** Method preset the row trains ('scratch', 'kd', 'fakd', 'dukd-zi', ..., 'dukd'). */
  readonly method: string;
  readonly set: string;
  readonly psnr: number;
  readonly ssim: number;
  readonly scale: Scale;
  readonly protocol: string;
  /** The paper's number for this row on `paperSet`; null where the paper has none. */
  readonly paper: PaperScore | null;
  /** Which paper column `paper` comes from (for the synthetic set: the paper's held-out analogue). */
  readonly paperSet: string | null;
  readonly runId: string;
  /** The run's seed (student initialisation and data order). */
  readonly seed: number;
};

/** What a job trains for one row. */
export type RowSpec = {
  readonly row: string;
  readonly label: string;
  readonly method: MethodKind | MethodPresetName;
  readonly pair: BackbonePair;
  /** The paper's cells for this row (null: no published row). */
  readonly paper: PaperCells | null;
  /** Trained only when named (onlyRows / `--rows`), not in the job's default rows (e.g. the FAKD* variant). */
  readonly optional?: boolean;
  /** false: never warm-started from an x2 run (CSD: its student starts as the teacher's first channels). Default true. */
  readonly warmStart?: boolean;
  /** A published model scored as this row instead of a trained run (CSD's released x4 checkpoint); the same for every seed. */
  readonly released?: ReleasedModel;
  /** Keys set on the method preset's config for this row (e.g. DCKD's negatives or history step; plain JSON). */
  readonly methodOverride?: Readonly<Record<string, unknown>>;
};

/** A published student: its file, and how to load it as a kit model (the caller disposes it). */
export type ReleasedModel = { readonly file: string; load(): SRNet };

export type RunSummary = {
  readonly row: string;
  readonly method: string;
  readonly seed: number;
  readonly runId: string;
  readonly dir: string;
  readonly teacherRunId: string | null;
  /** Training time the run recorded (all sessions). */
  readonly trainSec: number;
  /** Wall time of this job spent on the row (0-ish when the run was cached). */
  readonly wallSec: number;
  readonly cached: boolean;
  readonly formula: string;
  /** The method config the run trained (plain JSON; the report prints it per row); null for a released model. */
  readonly methodConfig: MethodConfig | null;
  /** The x2 run the student was warm-started from (DUKD code starts EDSR x4 students from x2), or null. */
  readonly warmStartRunId: string | null;
};

/** A job's teacher with its own scores on the job's held-out sets (null when not scored). */
export type JobTeacher = TeacherInfo & { readonly heldOut: readonly HeldOutScore[] | null };

export type AgreementRow = { readonly row: string; readonly method: string; readonly seed: number; readonly runId: string } & AgreementScore;

export type JobResult = {
  readonly job: 'ablation' | 'main' | 'heterogeneous' | 'dckd';
  readonly title: string;
  /** Where the paper column comes from (table, its scale and pair): ours may use another scale and smaller nets. */
  readonly paperSource: string;
  readonly preset: PresetName;
  readonly scale: Scale;
  readonly protocol: string;
  /** 'synthetic' or the data root. */
  readonly data: string;
  readonly teachers: readonly JobTeacher[];
  /** The seeds every row was trained with (one run per row and seed). */
  readonly seeds: readonly number[];
  readonly rows: readonly ReproduceRow[];
  readonly runs: readonly RunSummary[];
  readonly agreement: readonly AgreementRow[];
  readonly wallSec: number;
  /**
   * What the rows' methods say about themselves, with the rows it applies to (e.g. "dckd, dcr: untrained
   * feature network: pipeline check, not the method"); every output of the job repeats these. Absent in job.json
   * files written before the field.
   */
  readonly notes?: readonly string[];
  /** Runs directory the job used (the report goes to `<runsDir>/<reportId>/report.html`). */
  readonly runsDir: string;
};

/** Events a job reports while it works (for a progress display). */
export type JobEvent =
  | { readonly kind: 'teacher'; readonly arch: ArchConfig; readonly phase: 'start' | 'done'; readonly info?: TeacherInfo }
  | {
    readonly kind: 'row'; readonly row: string; readonly seed: number; readonly index: number; readonly of: number; readonly phase: 'start' | 'done';
    readonly summary?: RunSummary; readonly psnr?: number;
  }
  | { readonly kind: 'train'; readonly row: string; readonly progress: TrainProgressEvent };

export interface JobOptions {
  readonly preset: PresetName;
  readonly scale: Scale;
  readonly data?: string | null;
  readonly teacherWeights?: string | null;
  readonly runsDir?: string;
  readonly workers?: number | null;
  /** Compute teacher-student agreement for every distilled row and scratch (default true). */
  readonly agreement?: boolean;
  /** Score each teacher on the held-out sets (default true; the report states its margin over Scratch). */
  readonly scoreTeacher?: boolean;
  /** Also DIV2K valid among the held-out sets when present (Table 4). */
  readonly div2kVal?: boolean;
  /** When the held-out set is synthetic, the paper column shown beside it (e.g. 'DIV2K-val' for Table 4). */
  readonly syntheticPaperSet: string;
  /** JobResult.paperSource. */
  readonly paperSource: string;
  /** Student warm start from the x2 run of the same method (as DUKD code does for EDSR x4); see `warmStartMode`. Default 'auto'. */
  readonly warmStart?: WarmStartChoice;
  /** Teacher weights for the x2 runs a warm start needs (default: trained like any teacher). */
  readonly teacherWeightsX2?: string | null;
  /** Test-time padding of SwinIR nets on the held-out sets (eval/test-pad.ts); default 'reflect' (BasicSR). */
  readonly pad?: TestPad;
  /** Train and score only these rows (ids as in the table; default all): one scheduler job per row. */
  readonly onlyRows?: readonly string[] | null;
  /** Train every row once per seed (default: the preset's seed alone, i.e. the runs of a job without seeds). */
  readonly seeds?: readonly number[] | null;
  /**
   * Training steps of every student run instead of the preset's (the teacher keeps its own). The step budget is
   * not part of a run's id, so a larger value extends cached runs; learning-rate milestones stay the preset's.
   */
  readonly steps?: number | null;
  onEvent?(e: JobEvent): void;
  /** Extra lines (teacher/run banners) go here; default: nothing. */
  log?(line: string): void;
}

function archKey(a: ArchConfig): string {
  return JSON.stringify(a);
}

export type WarmStartChoice = 'auto' | 'off' | WarmStartMode;
export const WARM_START_CHOICES: readonly WarmStartChoice[] = ['auto', 'off', ...WARM_START_MODES];

/**
 * Whether (and how) a row's student starts from its x2 counterpart. 'auto' follows the published protocol
 * (as DUKD code does): the paper preset's EDSR x4 students, every method including Scratch, mode 'all-but-upsampler'.
 * An explicit mode applies to any preset whenever the job's scale is 4 (x2 and x3 students start fresh).
 */
export function warmStartMode(choice: WarmStartChoice, preset: PresetName, scale: Scale, student: ArchConfig): WarmStartMode | null {
  if (choice === 'off' || scale !== 4) return null;
  if (choice === 'auto') return preset === 'paper' && student.arch === 'edsr' ? 'all-but-upsampler' : null;
  return choice;
}

/** The rows named in `only` (in table order), or all but the optional ones; an unknown id is an error listing the table's ids. */
export function selectRows(rows: readonly RowSpec[], only: readonly string[] | null): readonly RowSpec[] {
  if (!only || only.length === 0) return rows.filter((r) => !r.optional);
  const ids = rows.map((r) => r.row);
  for (const id of only) if (!ids.includes(id)) throw new Error(`unknown row '${id}'; this table's rows: ${ids.join(', ')}`);
  return rows.filter((r) => only.includes(r.row));
}

/** Trains and scores `rows` (see the file comment). */
export async function runJob(job: JobResult['job'], title: string, allRows: readonly RowSpec[], opts: JobOptions): Promise<JobResult> {
  const t0 = performance.now();
  const rows = selectRows(allRows, opts.onlyRows ?? null);
  const seeds = resolveSeeds(opts.seeds, opts.preset);
  if (opts.steps !== undefined && opts.steps !== null && !(Number.isSafeInteger(opts.steps) && opts.steps >= 1)) {
    throw new Error(`steps must be an integer >= 1 (got ${opts.steps})`);
  }
  const runsDir = path.resolve(opts.runsDir ?? 'runs');
  const quiet = true;
  const log = opts.log ?? ((): void => undefined);
  const sets = heldOutSets({ scale: opts.scale, data: opts.data, div2kVal: opts.div2kVal, log });
  await initBackend({ announce: false }); // cached runs skip train(), which would otherwise initialise it

  // One teacher per (scale, teacher architecture): given weights apply to every distilled row's teacher at the
  // job's scale (teacherWeightsX2 to the x2 runs of a warm start); otherwise trained once and cached.
  const teacherRuns = new Map<string, Promise<TeacherInfo>>();
  const teacherAt = (arch: ArchConfig, scale: Scale): Promise<TeacherInfo> => {
    const key = `x${scale} ${archKey(arch)}`;
    let t = teacherRuns.get(key);
    if (!t) {
      const main = scale === opts.scale;
      t = ensureTeacher({
        preset: opts.preset, scale, arch, teacherWeights: main ? opts.teacherWeights : opts.teacherWeightsX2, runsDir, data: opts.data,
        workers: opts.workers, quiet, log,
        onProgress: (p) => opts.onEvent?.({ kind: 'train', row: main ? 'teacher' : `teacher x${scale}`, progress: p }),
      });
      teacherRuns.set(key, t);
    }
    return t;
  };
  const teachers = new Map<string, TeacherInfo>();
  const needTeacher = rows.filter((r) => r.method !== 'scratch' && !r.released);
  for (const r of needTeacher) {
    const key = archKey(r.pair.teacher);
    if (teachers.has(key)) continue;
    opts.onEvent?.({ kind: 'teacher', arch: r.pair.teacher, phase: 'start' });
    const info = await teacherAt(r.pair.teacher, opts.scale);
    teachers.set(key, info);
    opts.onEvent?.({ kind: 'teacher', arch: r.pair.teacher, phase: 'done', info });
  }

  // per teacher: its own held-out scores (how much better than Scratch it is) and the agreement probe
  const probes = new Map<string, AgreementProbe>();
  const teacherScores = new Map<string, HeldOutScore[]>();
  const agreementOn = opts.agreement ?? true;
  const scoreTeachers = opts.scoreTeacher ?? true;
  if (agreementOn || scoreTeachers) {
    const trainSet = trainDataset(jobDataLayout(opts.data), opts.scale);
    for (const [key, info] of teachers) {
      const net = buildModel(info.arch, opts.scale, { seed: 0 });
      try {
        loadTeacherWeights(net, info.weights);
        if (scoreTeachers) teacherScores.set(key, await scoreHeldOut(net, sets, null, opts.pad));
        if (!agreementOn) continue;
        const patchSizeLr = rowConfig(opts.preset, { scale: opts.scale, method: 'scratch', pair: rows[0].pair, teacherWeights: null, data: opts.data }).data.patchSizeLr;
        probes.set(key, await AgreementProbe.create(net, { train: trainSet, patchSizeLr, heldOut: sets, limit: opts.data ? 20 : null }));
      } finally {
        net.dispose();
      }
    }
  }

  // x2 counterparts for warm-started x4 students (DUKD code's EDSR x4 warm start)
  const x2Run = async (spec: RowSpec, seed: number): Promise<{ dir: string; runId: string }> => {
    const weights = !presetNeedsTeacher(spec.method) ? null : (await teacherAt(spec.pair.teacher, 2)).weights;
    const cfg2 = rowConfig(opts.preset, { scale: 2, method: spec.method, pair: spec.pair, teacherWeights: weights, data: opts.data, workers: opts.workers, seed, steps: opts.steps, methodOverride: spec.methodOverride });
    const run = await finishedOrTrain(cfg2, {
      runsDir, quiet, log, workers: opts.workers ?? undefined, onProgress: (p) => opts.onEvent?.({ kind: 'train', row: `${spec.row} x2`, progress: p }),
    });
    try {
      log(`reproduce: ${spec.row}: x4 student warm-started from x2 run ${run.id}`);
      return { dir: run.dir, runId: run.id };
    } finally {
      run.dispose();
    }
  };

  const out: ReproduceRow[] = [];
  const runs: RunSummary[] = [];
  const notes = new Map<string, string[]>(); // note -> rows
  const agreement: AgreementRow[] = [];
  const pushScores = (spec: RowSpec, scores: readonly HeldOutScore[], runId: string, seed: number): void => {
    for (const s of scores) {
      // a held-out set the paper has no column for (synthetic, a folder's photos) sits beside syntheticPaperSet
      const paperSet = (PAPER_SETS as readonly string[]).includes(s.set) ? s.set : opts.syntheticPaperSet;
      out.push({
        row: spec.row, label: spec.label, method: spec.method, set: s.set, psnr: s.psnr, ssim: s.ssim, scale: opts.scale, protocol: s.protocol,
        paper: spec.paper ? paperCell(spec.paper, paperSet) : null, paperSet: spec.paper && paperCell(spec.paper, paperSet) ? paperSet : null, runId, seed,
      });
    }
  };
  const todo = rows.flatMap((spec) => seeds.map((seed) => ({ spec, seed })));
  for (let i = 0; i < todo.length; i++) {
    const { spec, seed } = todo[i];
    if (spec.released) {
      opts.onEvent?.({ kind: 'row', row: spec.row, seed, index: i, of: todo.length, phase: 'start' });
      const r0 = performance.now();
      const student = spec.released.load();
      try {
        const runId = `released:${path.basename(spec.released.file)}`;
        const scores = await scoreHeldOut(student, sets, null, opts.pad);
        pushScores(spec, scores, runId, seed);
        const probe = probes.get(archKey(spec.pair.teacher));
        if (probe) agreement.push({ row: spec.row, method: spec.method, seed, runId, ...(await probe.score(student)) });
        const summary: RunSummary = {
          row: spec.row, method: spec.method, seed, runId, dir: spec.released.file, teacherRunId: null, trainSec: 0,
          wallSec: (performance.now() - r0) / 1000, cached: true, formula: `released model ${spec.released.file} (not trained here)`, warmStartRunId: null, methodConfig: null,
        };
        runs.push(summary);
        opts.onEvent?.({ kind: 'row', row: spec.row, seed, index: i, of: todo.length, phase: 'done', summary, psnr: scores[0]?.psnr });
      } finally {
        student.dispose();
      }
      continue;
    }
    const teacher = !presetNeedsTeacher(spec.method) ? null : teachers.get(archKey(spec.pair.teacher)) ?? null;
    let cfg = rowConfig(opts.preset, {
      scale: opts.scale, method: spec.method, pair: spec.pair, teacherWeights: teacher?.weights ?? null, data: opts.data, workers: opts.workers, seed, steps: opts.steps, methodOverride: spec.methodOverride,
    });
    opts.onEvent?.({ kind: 'row', row: spec.row, seed, index: i, of: todo.length, phase: 'start' });
    const r0 = performance.now();
    const mode = spec.warmStart === false ? null : warmStartMode(opts.warmStart ?? 'auto', opts.preset, opts.scale, spec.pair.student);
    let warm: { dir: string; runId: string } | null = null;
    if (mode) {
      warm = await x2Run(spec, seed);
      cfg = { ...cfg, studentInit: { weights: warm.dir, mode } };
    }
    for (const note of methodNotes(cfg)) notes.set(note, [...new Set([...(notes.get(note) ?? []), spec.row])]);
    let steps = 0;
    const run = await finishedOrTrain(cfg, {
      runsDir, quiet, log, workers: opts.workers ?? undefined,
      onProgress: (p) => {
        steps++;
        opts.onEvent?.({ kind: 'train', row: spec.row, progress: p });
      },
    });
    try {
      const scores = await scoreHeldOut(run.student, sets, null, opts.pad);
      pushScores(spec, scores, run.id, seed);
      // agreement with the job's teacher for this pair (scratch rows too: the baseline)
      const probe = probes.get(archKey(spec.pair.teacher));
      if (probe) agreement.push({ row: spec.row, method: spec.method, seed, runId: run.id, ...(await probe.score(run.student)) });
      const summary: RunSummary = {
        row: spec.row, method: spec.method, seed, runId: run.id, dir: run.dir, teacherRunId: teacher?.runId ?? null, trainSec: run.results.elapsedSec,
        wallSec: (performance.now() - r0) / 1000, cached: steps === 0, formula: run.results.formula, methodConfig: cfg.method, warmStartRunId: warm?.runId ?? null,
      };
      runs.push(summary);
      opts.onEvent?.({ kind: 'row', row: spec.row, seed, index: i, of: todo.length, phase: 'done', summary, psnr: scores[0]?.psnr });
    } finally {
      run.dispose();
    }
  }
  return {
    job, title, paperSource: opts.paperSource, preset: opts.preset, scale: opts.scale,
    protocol: out.some((r) => r.protocol !== PAPER_Y.id) ? `${PAPER_Y.id}+flip-pad (SwinIR rows)` : PAPER_Y.id, data: opts.data ? path.resolve(opts.data) : 'synthetic',
    teachers: [...teachers.entries()].map(([key, info]) => ({ ...info, heldOut: teacherScores.get(key) ?? null })), seeds, rows: out, runs, agreement, wallSec: (performance.now() - t0) / 1000, runsDir,
    notes: [...notes.entries()].map(([note, rs]) => `${rs.join(', ')}: ${note}`),
  };
}

/** The notes a row's method gives about itself (e.g. an untrained feature network); building the method loads nothing. */
function methodNotes(cfg: TrainConfig): readonly string[] {
  const m = buildMethod(cfg.method);
  try {
    return m.notes ?? [];
  } finally {
    m.dispose?.();
  }
}

/** The part of JobOptions every reproduce* job forwards unchanged from its options. */
export function forwardedJobOptions(opts: ReproduceOptions, scale: Scale): Pick<JobOptions,
  'preset' | 'scale' | 'data' | 'teacherWeights' | 'runsDir' | 'workers' | 'agreement' | 'warmStart' | 'teacherWeightsX2' | 'pad' | 'onlyRows' | 'seeds' | 'steps' | 'scoreTeacher' | 'onEvent' | 'log'> {
  return {
    preset: opts.preset, scale, data: opts.data, teacherWeights: opts.teacherWeights, runsDir: opts.runsDir, workers: opts.workers,
    agreement: opts.agreement, warmStart: opts.warmStart, teacherWeightsX2: opts.teacherWeightsX2, pad: opts.pad, onlyRows: opts.onlyRows, seeds: opts.seeds, steps: opts.steps, scoreTeacher: opts.scoreTeacher,
    onEvent: opts.onProgress, log: opts.log,
  };
}

/** Options every reproduce* job takes. */
export interface ReproduceOptions {
  readonly preset: PresetName;
  /** Default: the preset's scale (x4 for 'paper'). */
  readonly scale?: Scale;
  /** Data root (DIV2K for training, benchmark sets for evaluation); default: the embedded synthetic set. */
  readonly data?: string | null;
  /** Teacher weights to use instead of training the teacher (checkpoint, kit model dir or run dir). */
  readonly teacherWeights?: string | null;
  readonly runsDir?: string;
  readonly workers?: number | null;
  /** Teacher-student agreement per row (default true). */
  readonly agreement?: boolean;
  /** Score the teacher on the held-out sets (default true); see JobOptions.scoreTeacher. */
  readonly scoreTeacher?: boolean;
  /** Student warm start from x2 runs (DUKD code's EDSR x4 practice): 'auto' (default: paper preset, EDSR x4), 'off', or a mode. */
  readonly warmStart?: WarmStartChoice;
  /** Teacher weights for those x2 runs (default: trained like the x4 teacher). */
  readonly teacherWeightsX2?: string | null;
  /** Test-time padding of SwinIR nets: 'reflect' (default, BasicSR) or 'flip' (SwinIR's test script); eval/test-pad.ts. */
  readonly pad?: TestPad;
  /** Only these rows (table row ids); see JobOptions.onlyRows. */
  readonly onlyRows?: readonly string[] | null;
  /** Seeds every row is trained with (default: the preset's seed, 0); see seeds.ts. */
  readonly seeds?: readonly number[] | null;
  /** Student training steps instead of the preset's; see JobOptions.steps. */
  readonly steps?: number | null;
  onProgress?(e: JobEvent): void;
  log?(line: string): void;
}
