/**
 * A reproduction job as a Slurm sweep: an sbatch array script with one task per (row, seed), each task a
 * `srkd reproduce <job> ... --rows R --seeds S --no-report` on a shared runs directory, and a report script that
 * runs the whole job (`--seeds` all) once every task succeeded (`sbatch --dependency=afterok:<array job>`):
 * by then every run is cached, so it only evaluates and writes report.html. `submit.sh` submits both and prints
 * their job ids.
 *
 * Why this works (lib/reproduce, lib/train): runs are named by config hash and locked while trained, so tasks
 * that need the same run (the shared teacher) train it once and the others wait for it; a task that is killed
 * (preempted, cancelled, out of time) and requeued (`--requeue`) finds its run by the same hash and resumes from
 * its newest checkpoint, taking over the dead process's lock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** Resources and policies of every job of the sweep (`#SBATCH` lines); unset ones are left to the cluster's defaults. */
export interface SlurmResources {
  readonly partition?: string | null;
  /** Generic resources per task, e.g. 'gpu:1'. */
  readonly gres?: string | null;
  /** Wall-time limit per task, in Slurm's format (e.g. '04:00:00', '2-00:00:00'). */
  readonly time?: string | null;
  /** CPU cores per task; the kit's data-parallel workers follow it ($SLURM_CPUS_PER_TASK). */
  readonly cpusPerTask?: number | null;
  /** Memory per node, e.g. '16G'. */
  readonly mem?: string | null;
  readonly account?: string | null;
  readonly qos?: string | null;
  /** Let Slurm requeue a task that is preempted or whose node fails (it resumes from its checkpoint). */
  readonly requeue?: boolean;
  /** At most this many array tasks at once (`--array=0-N%K`). */
  readonly maxParallel?: number | null;
  /** Further sbatch options, one per `#SBATCH` line, verbatim (e.g. '--constraint=a100'). */
  readonly extra?: readonly string[];
}

export interface SlurmSweepSpec {
  /** Job name prefix (`<name>` for the array, `<name>-report` for the report job). */
  readonly name: string;
  /** The reproduce job: 'ablation' | 'main' | 'heterogeneous'. */
  readonly job: string;
  /** reproduce options the tasks and the report job share (no --rows, --seeds, --runs-dir, --workers, --no-report). */
  readonly reproduceArgs: readonly string[];
  /** Rows the sweep trains, in table order. */
  readonly rows: readonly string[];
  /** Pass these rows to the report job too (the user limited the job with --rows); false: the whole table. */
  readonly reportOnlyRows: boolean;
  readonly seeds: readonly number[];
  /** Shared runs directory (absolute: the tasks may start in another directory). */
  readonly runsDir: string;
  /** Where the scripts and the tasks' logs go (absolute). */
  readonly scriptDir: string;
  /** Directory the tasks start in (the kit checkout, so relative paths in the options resolve as here). */
  readonly workDir: string;
  /** The srkd command line, e.g. ['node', '/opt/srkd/bin/srkd.js'] or ['npx', 'srkd']. */
  readonly srkd: readonly string[];
  /** Data-parallel workers per task (default: $SLURM_CPUS_PER_TASK, else 1, never the whole node). */
  readonly workers?: number | null;
  readonly resources: SlurmResources;
  /** Shown in the scripts' header comment. */
  readonly title?: string;
}

export type SlurmTask = { readonly index: number; readonly row: string; readonly seed: number };

export type SlurmSweepFiles = {
  readonly dir: string;
  readonly arrayScript: string;
  readonly reportScript: string;
  readonly submitScript: string;
  readonly logs: string;
  readonly tasks: readonly SlurmTask[];
};

export type SlurmSubmission = { readonly arrayJobId: string; readonly reportJobId: string };

/** One task per (row, seed), row by row. */
export function sweepTasks(rows: readonly string[], seeds: readonly number[]): SlurmTask[] {
  if (rows.length === 0) throw new Error('sweep: no rows to run');
  if (seeds.length === 0) throw new Error('sweep: no seeds to run');
  return rows.flatMap((row) => seeds.map((seed) => ({ row, seed }))).map((t, index) => ({ index, ...t }));
}

/** A word as bash reads it literally (single-quoted unless it is plainly safe). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_\-.,/:=+@%]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function sbatchValue(name: string, v: string): string {
  if (!v || /[\s'"\\$`]/.test(v)) throw new Error(`sweep: --${name} must be one word without quotes or '$' (got ${JSON.stringify(v)})`);
  return v;
}

/** The `#SBATCH` lines both scripts share. */
function resourceLines(r: SlurmResources): string[] {
  const out: string[] = [];
  const add = (flag: string, v: string | number | null | undefined): void => {
    if (v !== null && v !== undefined) out.push(`#SBATCH --${flag}=${sbatchValue(flag, String(v))}`);
  };
  add('partition', r.partition);
  add('account', r.account);
  add('qos', r.qos);
  add('gres', r.gres);
  add('time', r.time);
  if (r.cpusPerTask !== null && r.cpusPerTask !== undefined) {
    if (!(Number.isSafeInteger(r.cpusPerTask) && r.cpusPerTask >= 1)) throw new Error(`sweep: --cpus-per-task must be an integer >= 1 (got ${r.cpusPerTask})`);
    add('cpus-per-task', r.cpusPerTask);
  }
  add('mem', r.mem);
  for (const e of r.extra ?? []) {
    if (!/^--?[A-Za-z]/.test(e) || /[\n\r]/.test(e)) throw new Error(`sweep: an extra sbatch option must look like '--name=value' (got ${JSON.stringify(e)})`);
    out.push(`#SBATCH ${e}`);
  }
  return out;
}

function workersArg(spec: SlurmSweepSpec): string {
  return spec.workers ? String(spec.workers) : '"${SLURM_CPUS_PER_TASK:-1}"';
}

function srkdLine(spec: SlurmSweepSpec, tail: readonly string[]): string {
  return ['exec', ...spec.srkd.map(shellQuote), 'reproduce', shellQuote(spec.job), ...spec.reproduceArgs.map(shellQuote), ...tail].join(' ');
}

function header(spec: SlurmSweepSpec, what: string): string[] {
  return [
    '#!/bin/bash',
    `# ${what}`,
    `# Made by 'srkd sweep slurm'${spec.title ? ` for ${spec.title}` : ''}. Submit the sweep with: bash ${shellQuote(path.join(spec.scriptDir, 'submit.sh'))}`,
  ];
}

/** The array script: task i trains row ROWS[i] with seed SEEDS[i]. */
export function arrayScript(spec: SlurmSweepSpec): string {
  const tasks = sweepTasks(spec.rows, spec.seeds);
  const r = spec.resources;
  if (r.maxParallel !== null && r.maxParallel !== undefined && !(Number.isSafeInteger(r.maxParallel) && r.maxParallel >= 1)) {
    throw new Error(`sweep: --max-parallel must be an integer >= 1 (got ${r.maxParallel})`);
  }
  const array = `0-${tasks.length - 1}${r.maxParallel ? `%${r.maxParallel}` : ''}`;
  return [
    ...header(spec, `${tasks.length} tasks: ${spec.rows.length} row(s) x ${spec.seeds.length} seed(s), one srkd reproduce run each, on a shared runs directory.`),
    `#SBATCH --job-name=${sbatchValue('name', spec.name)}`,
    `#SBATCH --array=${array}`,
    `#SBATCH --output=${sbatchValue('script-dir', path.join(spec.scriptDir, 'logs'))}/%x-%A_%a.out`,
    '#SBATCH --open-mode=append',
    ...resourceLines(r),
    ...(r.requeue ? ['#SBATCH --requeue'] : []),
    'set -euo pipefail',
    `ROWS=(${tasks.map((t) => shellQuote(t.row)).join(' ')})`,
    `SEEDS=(${tasks.map((t) => t.seed).join(' ')})`,
    'i=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch (it is an array job)}',
    'echo "srkd sweep task ${i}: row ${ROWS[$i]}, seed ${SEEDS[$i]}, restart ${SLURM_RESTART_COUNT:-0}, on $(hostname) at $(date -Is)"',
    `cd ${shellQuote(spec.workDir)}`,
    '# A requeued task finds its run by config hash and resumes from the newest checkpoint.',
    srkdLine(spec, ['--rows', '"${ROWS[$i]}"', '--seeds', '"${SEEDS[$i]}"', '--runs-dir', shellQuote(spec.runsDir), '--workers', workersArg(spec), '--no-agreement', '--no-report']),
    '',
  ].join('\n');
}

/** The report script: the whole job over all seeds, from the cached runs (submitted with afterok on the array). */
export function reportScript(spec: SlurmSweepSpec): string {
  const rows = spec.reportOnlyRows ? ['--rows', shellQuote(spec.rows.join(','))] : [];
  return [
    ...header(spec, 'The report: runs after every array task succeeded; all runs are cached by then, so it evaluates and writes report.html.'),
    `#SBATCH --job-name=${sbatchValue('name', `${spec.name}-report`)}`,
    `#SBATCH --output=${sbatchValue('script-dir', path.join(spec.scriptDir, 'logs'))}/%x-%j.out`,
    ...resourceLines(spec.resources),
    'set -euo pipefail',
    `cd ${shellQuote(spec.workDir)}`,
    srkdLine(spec, [...rows, '--seeds', spec.seeds.join(','), '--runs-dir', shellQuote(spec.runsDir), '--workers', workersArg(spec)]),
    '',
  ].join('\n');
}

/** submit.sh: the array, then the report job with --dependency=afterok on it; prints both ids on one line. */
export function submitScript(): string {
  return [
    '#!/bin/bash',
    '# Submits the sweep: the array job, then the report job, which starts once every array task succeeded.',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    'array=$(sbatch --parsable array.sbatch)',
    'array=${array%%;*}   # --parsable prints "id" or "id;cluster"',
    'report=$(sbatch --parsable --dependency=afterok:${array} report.sbatch)',
    'report=${report%%;*}',
    'echo "srkd sweep submitted: array=${array} report=${report}"',
    '',
  ].join('\n');
}

/** Writes array.sbatch, report.sbatch, submit.sh and the logs folder under spec.scriptDir. */
export function writeSlurmSweep(spec: SlurmSweepSpec): SlurmSweepFiles {
  for (const [name, p] of [['runsDir', spec.runsDir], ['scriptDir', spec.scriptDir], ['workDir', spec.workDir]] as const) {
    if (!path.isAbsolute(p)) throw new Error(`sweep: ${name} must be an absolute path (got ${p})`);
  }
  const tasks = sweepTasks(spec.rows, spec.seeds);
  const files = {
    dir: spec.scriptDir, arrayScript: path.join(spec.scriptDir, 'array.sbatch'), reportScript: path.join(spec.scriptDir, 'report.sbatch'),
    submitScript: path.join(spec.scriptDir, 'submit.sh'), logs: path.join(spec.scriptDir, 'logs'), tasks,
  };
  const texts = [arrayScript(spec), reportScript(spec), submitScript()]; // all checked before anything is written
  fs.mkdirSync(files.logs, { recursive: true });
  fs.mkdirSync(spec.runsDir, { recursive: true });
  fs.writeFileSync(files.arrayScript, texts[0], { mode: 0o755 });
  fs.writeFileSync(files.reportScript, texts[1], { mode: 0o755 });
  fs.writeFileSync(files.submitScript, texts[2], { mode: 0o755 });
  return files;
}

/** The ids in submit.sh's last line ('srkd sweep submitted: array=123 report=124'). */
export function parseSubmitOutput(stdout: string): SlurmSubmission {
  const m = /srkd sweep submitted: array=(\d+) report=(\d+)/.exec(stdout);
  if (!m) throw new Error(`sweep: could not read the job ids from submit.sh's output: ${JSON.stringify(stdout.trim())}`);
  return { arrayJobId: m[1], reportJobId: m[2] };
}

/** Runs submit.sh (sbatch must be on PATH; SLURM_CONF etc. come from the environment). */
export function submitSlurmSweep(files: Pick<SlurmSweepFiles, 'submitScript'>): SlurmSubmission {
  const r = spawnSync('bash', [files.submitScript], { encoding: 'utf8' });
  if (r.error) throw new Error(`sweep: could not run ${files.submitScript}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`sweep: submitting failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return parseSubmitOutput(r.stdout);
}
