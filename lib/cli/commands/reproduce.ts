/**
 * `srkd reproduce ablation|main|heterogeneous|dckd [--preset smoke|quick|paper] [--data ROOT] [--teacher-weights FILE]
 *  [--scale S] [--backbone B] [--student B] [--parts P] [--workers N] [--runs-dir DIR] [--seeds 0,1,2] [--no-agreement] [--json]`
 * Trains every row of the table (shared teacher, cached runs; once per seed with --seeds), prints a progress line
 * per run, the table next to the paper's (mean ± sd and paired 95 % CIs with several seeds), writes
 * runs/<id>/report.html and prints its path. `--json` prints the job result as JSON on
 * stdout (progress stays on stderr). `npm start` = `srkd reproduce ablation --preset quick`.
 */
import type { Command, ParsedArgs } from '../command';
import { numberArg, stringArg, UsageError } from '../command';
import { ablationRows, reproduceAblation } from '../../reproduce/ablation';
import { heterogeneousRows, reproduceHeterogeneous } from '../../reproduce/heterogeneous';
import { selectRows, type JobEvent, type JobResult, type ReproduceOptions, type RowSpec, WARM_START_CHOICES, type WarmStartChoice } from '../../reproduce/job';
import { PRESET_NAMES, type PresetName } from '../../config/presets';
import { ARCH_NAMES, type ArchName } from '../../models/archs/index';
import { comparisonTable, methodConfigTable, writeReport } from '../../reproduce/report';
import { createProgress, formatDuration, type Progress } from '../../util/progress';
import { formatTable } from '../../viz/table';
import type { Scale } from '../../types';
import { mainComparisonRows, reproduceMainComparison } from '../../reproduce/main-comparison';
import { defaultScale } from '../../reproduce/teacher';
import { conclusions } from '../../reproduce/claims';
import { agreementStats, formatMeanSd, hasSeedSpread } from '../../reproduce/seed-table';
import { parseSeedList } from '../../reproduce/seeds';
import { parseTestPad, type TestPad } from '../../eval/test-pad';
import { DCKD_PARTS, type DckdJobResult, type DckdPart, dckdRows, reproduceDckd } from '../../reproduce/dckd-tables';
import { dckdTablesText, writeDckdReport } from '../../reproduce/dckd-report';

const JOBS = ['ablation', 'main', 'heterogeneous', 'dckd'] as const;
export type JobName = (typeof JOBS)[number];

function progressPrinter(showSeed: boolean): (e: JobEvent) => void {
  let bar: Progress | null = null;
  let last = 0;
  const say = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  return (e) => {
    if (e.kind === 'teacher') {
      if (e.phase === 'start') say(`reproduce: teacher ${JSON.stringify(e.arch)}`);
      else {
        bar?.done();
        bar = null;
        const i = e.info;
        if (i) say(`reproduce: teacher ${i.source === 'given' ? `weights ${i.weights}` : `run ${i.runId}`}${i.val ? `: ${i.val.set} ${i.val.psnr.toFixed(3)} dB` : ''}`);
      }
    } else if (e.kind === 'row') {
      const row = showSeed ? `${e.row} (seed ${e.seed})` : e.row;
      if (e.phase === 'start') say(`reproduce: [${e.index + 1}/${e.of}] ${row}`);
      else {
        bar?.done();
        bar = null;
        const s = e.summary;
        if (s) say(`reproduce: [${e.index + 1}/${e.of}] ${row}: ${e.psnr !== undefined ? `${e.psnr.toFixed(3)} dB, ` : ''}${s.cached ? 'cached run' : `trained in ${formatDuration(s.trainSec)}`} (${s.runId}), row took ${formatDuration(s.wallSec)}`);
      }
    } else {
      const p = e.progress;
      if (!bar) {
        // Made at the first report, after steps already ran: those are a jump, not a measured rate.
        bar = createProgress({ total: p.totalSteps, label: `  ${e.row}`, unit: 'steps' });
        bar.set(p.step, `loss ${p.total.toPrecision(4)}`);
      } else {
        bar.tick(p.step - last, `loss ${p.total.toPrecision(4)}`);
      }
      last = p.step;
    }
  };
}

/** A parsed `srkd reproduce` command line: the job, its options (no callbacks), and what to print. */
export type ReproduceArgs = {
  readonly job: JobName;
  readonly options: Omit<ReproduceOptions, 'onProgress' | 'log'> & {
    readonly backbone: ArchName; readonly teachers?: readonly ('edsr' | 'swinir')[];
    /** dckd: the student backbone (--student, or --backbone) and the parts (--parts). */
    readonly student: ArchName; readonly parts: readonly DckdPart[];
  };
  readonly json: boolean;
  /** Write report.html (false with --no-report: sweep tasks, whose report a final job writes). */
  readonly report: boolean;
};

/** Checks a `srkd reproduce` command line (UsageError naming the flag at fault) without running anything. */
export function parseReproduceArgs(args: ParsedArgs): ReproduceArgs {
  const [job, ...extra] = args.positionals;
  if (!job) throw new UsageError(`name a job: ${JOBS.join(', ')}`);
  if (!(JOBS as readonly string[]).includes(job)) throw new UsageError(`unknown job '${job}' (expected ${JOBS.join(', ')})`);
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const preset = stringArg(args, 'preset', 'quick');
  if (!(PRESET_NAMES as readonly string[]).includes(preset)) throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')} (got '${preset}')`);
  let scale: Scale | undefined;
  if (args.values.scale !== undefined) {
    const s = numberArg(args, 'scale');
    if (s !== 2 && s !== 3 && s !== 4) throw new UsageError(`--scale must be 2, 3 or 4 (got ${String(args.values.scale)})`);
    scale = s;
  }
  const positiveInt = (key: string): number | undefined => {
    if (args.values[key] === undefined) return undefined;
    const n = numberArg(args, key);
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${key} must be an integer >= 1 (got ${String(args.values[key])})`);
    return n;
  };
  const workers = positiveInt('workers');
  const steps = positiveInt('steps');
  const backbone = stringArg(args, 'backbone', job === 'dckd' ? 'swinir' : 'edsr');
  if (!(ARCH_NAMES as readonly string[]).includes(backbone)) throw new UsageError(`--backbone must be one of ${ARCH_NAMES.join(', ')} (got '${backbone}')`);
  if (job !== 'main' && job !== 'dckd' && args.values.backbone !== undefined) throw new UsageError('--backbone applies to the main and dckd jobs only');
  if (job !== 'dckd' && (args.values.student !== undefined || args.values.parts !== undefined)) throw new UsageError('--student and --parts apply to the dckd job only');
  const student = stringArg(args, 'student', backbone);
  if (!(ARCH_NAMES as readonly string[]).includes(student)) throw new UsageError(`--student must be one of ${ARCH_NAMES.join(', ')} (got '${student}')`);
  if (args.values.student !== undefined && args.values.backbone !== undefined && student !== backbone) throw new UsageError(`--student ${student} and --backbone ${backbone} disagree (give one)`);
  const parts = (typeof args.values.parts === 'string' ? args.values.parts.split(',').map((p) => p.trim()).filter(Boolean) : [...DCKD_PARTS]);
  for (const p of parts) if (!(DCKD_PARTS as readonly string[]).includes(p)) throw new UsageError(`--parts takes ${DCKD_PARTS.join(', ')} (got '${p}')`);
  const warmStart = stringArg(args, 'warm-start', 'auto');
  if (!(WARM_START_CHOICES as readonly string[]).includes(warmStart)) {
    throw new UsageError(`--warm-start must be one of ${WARM_START_CHOICES.join(', ')} (got '${warmStart}')`);
  }
  let pad: TestPad;
  try {
    pad = parseTestPad(stringArg(args, 'pad', 'reflect'), '--pad');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let seeds: number[] | null = null;
  if (typeof args.values.seeds === 'string') {
    try {
      seeds = parseSeedList(args.values.seeds);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const text = (key: string): string | null => (typeof args.values[key] === 'string' ? (args.values[key] as string) : null);
  const teacherWeights = text('teacher-weights');
  return {
    job: job as JobName,
    json: Boolean(args.values.json),
    report: !args.values['no-report'],
    options: {
      preset: preset as PresetName, scale, workers, steps, seeds, backbone: backbone as ArchName, student: student as ArchName, parts: parts as DckdPart[],
      data: text('data'), teacherWeights, warmStart: warmStart as WarmStartChoice, teacherWeightsX2: text('teacher-weights-x2'), pad,
      onlyRows: text('rows')?.split(',').map((x) => x.trim()).filter(Boolean) ?? null,
      runsDir: text('runs-dir') ?? undefined,
      agreement: !args.values['no-agreement'],
      // a sweep task (--no-report) leaves scoring the teacher to the report job
      scoreTeacher: !args.values['no-report'],
      // one teacher's weights name that teacher alone (Table 3 has two)
      teachers: job === 'heterogeneous' && teacherWeights ? ['edsr'] : undefined,
    },
  };
}

/** The table rows a parsed command line trains (after --rows), in table order; nothing is trained. */
export function reproduceRowIds(parsed: ReproduceArgs): string[] {
  const o = parsed.options;
  const scale = o.scale ?? defaultScale(o.preset);
  let rows: RowSpec[];
  switch (parsed.job) {
    case 'ablation':
      rows = ablationRows(o.preset);
      break;
    case 'main':
      rows = mainComparisonRows(o.preset, o.backbone, scale);
      break;
    case 'heterogeneous':
      rows = heterogeneousRows(o.preset, o.teachers);
      break;
    case 'dckd':
      rows = dckdRows(o.preset, o.student, scale, o.parts);
      break;
  }
  try {
    return selectRows(rows, o.onlyRows ?? null).map((r) => r.row);
  } catch (e) {
    throw new UsageError(`--rows: ${(e as Error).message}`);
  }
}

export const REPRODUCE_OPTIONS: Command['options'] = {
  preset: { type: 'string' }, data: { type: 'string' }, 'teacher-weights': { type: 'string' }, scale: { type: 'string' },
  'warm-start': { type: 'string' }, 'teacher-weights-x2': { type: 'string' }, rows: { type: 'string' }, seeds: { type: 'string' },
  steps: { type: 'string' }, backbone: { type: 'string' }, student: { type: 'string' }, parts: { type: 'string' }, workers: { type: 'string' }, 'runs-dir': { type: 'string' },
  'no-agreement': { type: 'boolean' }, 'no-report': { type: 'boolean' }, pad: { type: 'string' },
};

export const reproduceCommand: Command = {
  name: 'reproduce',
  summary: 'reproduce a DUKD table (ablation: Table 4, main: Table 2, heterogeneous: Table 3) or DCKD\'s (dckd: Tables 2, 5, Fig. 8) with a report',
  usage: [
    'ablation|main|heterogeneous|dckd [--preset smoke|quick|paper] [--data ROOT] [--teacher-weights FILE] [--scale S] [--workers N] [--warm-start W] [--rows a,b] [--seeds 0,1,2] [--json]',
    '  ablation          DUKD-v2 Table 4: Scratch, KD, FAKD, Zoom In, Zoom Out, both, Zoom In + DA, full DUKD,\n' +
    '                    then a control row: KD at DUKD\'s loss weights (kd-dukd-weights)',
    '  main              DUKD-v2 Table 2 for one backbone (--backbone edsr|rcan|swinir): Scratch, KD, FAKD, DUKD; for EDSR also',
    '                    CSD and, beside it, Scratch from the sliced teacher (csd-slice-scratch); at x4 on the paper preset',
    '                    CSD\'s released model is the CSD row when weights/edsr_x4_0.25student.pth is present',
    '  heterogeneous     DUKD-v2 Table 3: EDSR and SwinIR teachers into an RCAN student, each with DUKD at RCAN\'s',
    '                    code setting (<t>->rcan) and with full DUKD (<t>->rcan-full: zoom-out and augmentations on)',
    '  dckd              DCKD (AAAI 2025) for one student (--student swinir|edsr|rcan, default swinir): Table 2 (Scratch,\n' +
    '                    KD, DCKD), Table 5 (KD, +DCR, +DMM, both) and Fig. 8 (negatives N = 3..7, initial history step\n' +
    '                    100..5000; the schedule is scaled to the run). Uses the VQGAN file when present ($SRKD_WEIGHTS or\n' +
    '                    `srkd weights download vqgan-f16-1024`); without it smoke/quick use a seeded random encoder and\n' +
    '                    say so ("untrained feature network: pipeline check, not the method"); paper needs the file',
    '  --preset P        smoke | quick (default: minutes on a CPU, synthetic data) | paper (the published protocol)',
    '  --data ROOT       train on DIV2K under ROOT, evaluate on the benchmark sets there (default: the synthetic set);',
    '                    or a folder of HR photos: trains on all but the last tenth, scores those (and the benchmark',
    '                    sets under $SRKD_DATA when present)',
    '  --teacher-weights FILE  teacher weights (PyTorch checkpoint, kit model dir or run dir) instead of training one',
    '  --warm-start W    x4 students start from the x2 run of the same method (as DUKD code does; trained first, cached):',
    '                    auto (default: paper preset, EDSR) | off | all-but-upsampler | all-matching (DUKD code)',
    '  --teacher-weights-x2 FILE  teacher weights for those x2 runs (default: trained)',
    '  --pad reflect|flip  SwinIR test-time padding: reflect (default, BasicSR) or flip (SwinIR\'s main_test_swinir.py,',
    '                    how the SwinIR teachers\' published numbers were made); flip rows read paper-y+flip-pad',
    '  --rows a,b        only these table rows (ids as in the table; also the optional rows, e.g. ablation/main',
    '                    fakd-release: FAKD* as DUKD\'s release ran it). Side-by-side jobs (one per row, any scheduler)',
    '                    share the runs dir: a run another process is training is waited for, not trained twice;',
    '                    a last run without --rows then only reads the cached runs and writes the full report',
    '  --seeds LIST      train every row once per seed (e.g. 0,1,2 or 0-4; default 0, the runs of a job without it);',
    '                    the table then shows mean ± sd, n, the difference from Scratch and KD paired by seed with',
    '                    a 95% Student t interval and a verdict (better / worse / not distinguishable)',
    '  --steps N         student training steps instead of the preset\'s (not part of the run id: extends cached runs;',
    '                    learning-rate milestones stay the preset\'s; the teacher keeps its own)',
    '  --scale S         2, 3 or 4 (default: the preset\'s)',
    '  --backbone B      main: edsr (default), rcan or swinir; dckd: same as --student',
    '  --student B       dckd only: the student backbone, swinir (default), edsr or rcan',
    `  --parts P         dckd only: ${DCKD_PARTS.join(',')} (default all); --rows narrows further`,
    '  --workers N       data-parallel worker threads per run (default one per core)',
    '  --runs-dir DIR    where runs and the report go (default ./runs)',
    '  --no-agreement    skip the teacher-student agreement measurement',
    '  --no-report       train and score only, write no report.html (sweep tasks; a final job writes the report)',
    '  --json            print the job result as JSON on stdout',
  ].join('\n'),
  allowPositionals: true,
  options: REPRODUCE_OPTIONS,
  async run(args) {
    const parsed = parseReproduceArgs(args);
    const { job, json } = parsed;
    const common = {
      ...parsed.options,
      onProgress: progressPrinter((parsed.options.seeds?.length ?? 1) > 1),
      log: (line: string) => process.stderr.write(`srkd: ${line}\n`),
    };
    const t0 = performance.now();
    let result: JobResult;
    switch (job) {
      case 'ablation':
        result = await reproduceAblation(common);
        break;
      case 'main':
        result = await reproduceMainComparison(common);
        break;
      case 'heterogeneous':
        result = await reproduceHeterogeneous(common);
        break;
      case 'dckd':
        result = await reproduceDckd(common);
        break;
    }
    const dckd = job === 'dckd' ? (result as DckdJobResult) : null;
    const report = parsed.report ? (dckd ? writeDckdReport(dckd) : writeReport(result)) : null;
    const wall = (performance.now() - t0) / 1000;
    if (json) {
      process.stdout.write(JSON.stringify({ ...result, report, totalWallSec: wall }) + '\n');
      return 0;
    }
    if (dckd) process.stdout.write(dckdTablesText(dckd) + '\n');
    else process.stdout.write(formatTable(comparisonTable(result), { title: `${result.title}: ours beside the paper (${result.protocol})`, digits: 3 }) + '\n');
    process.stdout.write(`paper column: ${result.paperSource}\n`);
    process.stdout.write('\n' + formatTable(methodConfigTable(result), { title: 'What each row trained (method preset, objective, config)' }) + '\n');
    for (const note of result.notes ?? []) process.stdout.write(`NOTE: ${note}\n`);
    if (result.agreement.length && hasSeedSpread(result)) {
      const rows = agreementStats(result.agreement).map((a) => ({
        row: a.row, n: a.train.n, 'train PSNR(S,T)': formatMeanSd(a.train), ...Object.fromEntries(a.heldOut.map((h) => [`${h.set} PSNR(S,T)`, formatMeanSd(h.psnr)])),
      }));
      process.stdout.write('\n' + formatTable(rows, { title: 'Teacher-student agreement (dB), mean ± sd over seeds' }) + '\n');
    } else if (result.agreement.length) {
      const rows = result.agreement.map((a) => ({ row: a.row, 'train PSNR(S,T)': a.trainPsnr, ...Object.fromEntries(a.heldOut.map((h) => [`${h.set} PSNR(S,T)`, h.psnr])) }));
      process.stdout.write('\n' + formatTable(rows, { title: 'Teacher-student agreement (dB)', digits: 3 }) + '\n');
    }
    if (report) process.stdout.write(`\nConclusions:\n${conclusions(result).map((c) => `- ${c}`).join('\n')}\n`);
    process.stdout.write(`\n${report ? `report: ${report}\n` : ''}total wall time ${formatDuration(wall)} (${wall.toFixed(1)} s)\n`);
    return 0;
  },
};
