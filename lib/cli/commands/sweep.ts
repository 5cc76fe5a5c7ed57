/**
 * `srkd sweep slurm <job> [reproduce options] [--partition P --gres G --time T --cpus-per-task N --mem M
 *  --account A --qos Q --requeue --max-parallel K --sbatch OPT ...] [--script-dir DIR] [--srkd CMD] [--submit] [--json]`
 * Writes a Slurm sweep of a reproduction job (lib/sweep/slurm.ts): an sbatch array (one task per row x seed),
 * a report job and submit.sh; `--submit` submits them and prints the job ids. The reproduce options are checked
 * here exactly as `srkd reproduce` checks them, before anything is written.
 */
import * as path from 'node:path';
import type { Command, ParsedArgs } from '../command';
import { numberArg, UsageError } from '../command';
import { resolveSeeds } from '../../reproduce/seeds';
import { submitSlurmSweep, writeSlurmSweep, type SlurmResources } from '../../sweep/slurm';
import { defaultScale } from '../../reproduce/teacher';
import { parseReproduceArgs, REPRODUCE_OPTIONS, reproduceRowIds } from './reproduce';

/** reproduce options the sweep sets per task or per job itself. */
const SET_BY_SWEEP = new Set(['rows', 'seeds', 'runs-dir', 'workers', 'no-report', 'json', 'help']);
/** reproduce options naming files: made absolute, since the tasks may start elsewhere. */
const PATH_OPTIONS = new Set(['data', 'teacher-weights', 'teacher-weights-x2']);

const SLURM_OPTIONS: Command['options'] = {
  partition: { type: 'string' }, gres: { type: 'string' }, time: { type: 'string' }, 'cpus-per-task': { type: 'string' }, mem: { type: 'string' },
  account: { type: 'string' }, qos: { type: 'string' }, requeue: { type: 'boolean' }, 'max-parallel': { type: 'string' },
  sbatch: { type: 'string', multiple: true }, 'script-dir': { type: 'string' }, srkd: { type: 'string' }, submit: { type: 'boolean' },
};

/** The reproduce options of the command line, as `srkd reproduce` would parse them (positionals: the job). */
function reproducePart(args: ParsedArgs, job: string): ParsedArgs {
  const values = Object.fromEntries(Object.entries(args.values).filter(([k]) => k in REPRODUCE_OPTIONS));
  return { values, positionals: [job] };
}

/** The shared reproduce options as argv words for the scripts (without the ones the sweep sets). */
function passThrough(args: ParsedArgs): string[] {
  const out: string[] = [];
  for (const key of Object.keys(REPRODUCE_OPTIONS)) {
    const v = args.values[key];
    if (SET_BY_SWEEP.has(key) || v === undefined || v === false) continue;
    if (v === true) out.push(`--${key}`);
    else if (typeof v === 'string') out.push(`--${key}`, PATH_OPTIONS.has(key) ? path.resolve(v) : v);
  }
  return out;
}

function optionalInt(args: ParsedArgs, key: string): number | null {
  if (args.values[key] === undefined) return null;
  const n = numberArg(args, key);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${key} must be an integer >= 1 (got ${String(args.values[key])})`);
  return n;
}

const text = (args: ParsedArgs, key: string): string | null => (typeof args.values[key] === 'string' ? (args.values[key] as string) : null);

export const sweepCommand: Command = {
  name: 'sweep',
  summary: 'run a reproduction job as a Slurm array (one task per row x seed) plus a report job',
  usage: [
    'slurm ablation|main|heterogeneous|dckd [reproduce options] [--partition P] [--gres G] [--time T] [--cpus-per-task N] [--requeue] [--submit]',
    '  Writes array.sbatch (one task per table row x seed: srkd reproduce ... --rows R --seeds S on a shared runs dir),',
    '  report.sbatch (the whole job from the cached runs: report.html) and submit.sh (submits the array, then the',
    '  report with --dependency=afterok on it). Every `srkd reproduce` option applies (--preset, --seeds, --rows,',
    '  --data, --runs-dir, ...; see srkd reproduce --help).',
    '  --partition P       sbatch --partition',
    '  --gres G            sbatch --gres per task, e.g. gpu:1',
    '  --time T            wall-time limit per task, e.g. 04:00:00',
    '  --cpus-per-task N   cores per task; each task trains with N data-parallel workers (default 1 worker)',
    '  --mem M             memory per task, e.g. 16G',
    '  --account A, --qos Q',
    '  --requeue           let Slurm requeue preempted tasks; a requeued task resumes from its checkpoint',
    '  --max-parallel K    at most K tasks at once (--array=0-N%K)',
    '  --sbatch OPT        any further sbatch option, e.g. --sbatch=--constraint=a100 (repeatable)',
    '  --script-dir DIR    where the scripts and logs go (default <runs-dir>/slurm/<job>-<preset>-x<scale>)',
    '  --srkd CMD          how the tasks start srkd (default: this node and this checkout\'s bin/srkd.js)',
    '  --submit            submit the sweep now (sbatch on PATH) and print the job ids',
    '  --json              print the files, tasks and job ids as JSON',
  ].join('\n'),
  allowPositionals: true,
  options: { ...REPRODUCE_OPTIONS, ...SLURM_OPTIONS },
  async run(args) {
    const [kind, job, ...extra] = args.positionals;
    if (kind !== 'slurm') throw new UsageError(kind ? `unknown scheduler '${kind}' (expected slurm)` : 'name a scheduler: slurm');
    if (!job) throw new UsageError('name a job: ablation, main, heterogeneous');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const repro = parseReproduceArgs(reproducePart(args, job));
    const rows = reproduceRowIds(repro);
    const o = repro.options;
    const seeds = resolveSeeds(o.seeds, o.preset);
    const scale = o.scale ?? defaultScale(o.preset);
    const runsDir = path.resolve(o.runsDir ?? 'runs');
    const scriptDir = path.resolve(text(args, 'script-dir') ?? path.join(runsDir, 'slurm', `${repro.job}-${o.preset}-x${scale}`));
    const resources: SlurmResources = {
      partition: text(args, 'partition'), gres: text(args, 'gres'), time: text(args, 'time'), mem: text(args, 'mem'), account: text(args, 'account'),
      qos: text(args, 'qos'), cpusPerTask: optionalInt(args, 'cpus-per-task'), requeue: Boolean(args.values.requeue),
      maxParallel: optionalInt(args, 'max-parallel'), extra: (args.values.sbatch as string[] | undefined) ?? [],
    };
    const srkd = text(args, 'srkd')?.trim().split(/\s+/) ?? [process.execPath, path.resolve(__dirname, '../../../bin/srkd.js')];
    let files;
    try {
      files = writeSlurmSweep({
        name: `srkd-${repro.job}-${o.preset}`, job: repro.job, reproduceArgs: passThrough(args), rows, reportOnlyRows: Boolean(o.onlyRows?.length), seeds,
        runsDir, scriptDir, workDir: process.cwd(), srkd, workers: o.workers ?? null, resources,
        title: `srkd reproduce ${repro.job} (${o.preset} preset, x${scale})`,
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const submission = args.values.submit ? submitSlurmSweep(files) : null;
    if (args.values.json) {
      process.stdout.write(JSON.stringify({ ...files, rows, seeds, runsDir, submission }) + '\n');
      return 0;
    }
    const say = (line: string): boolean => process.stdout.write(`${line}\n`);
    say(`srkd sweep slurm: ${files.tasks.length} task(s) = ${rows.length} row(s) x ${seeds.length} seed(s) of '${repro.job}' (${o.preset}, x${scale}); runs in ${runsDir}`);
    say(`  array   ${files.arrayScript}`);
    say(`  report  ${files.reportScript}`);
    say(`  logs    ${files.logs}`);
    if (submission) say(`submitted: array job ${submission.arrayJobId}, report job ${submission.reportJobId} (starts after every task succeeded)`);
    else say(`submit:  bash ${files.submitScript}`);
    return 0;
  },
};
