/**
 * The sweep's scripts without a cluster: their #SBATCH lines, bash syntax (bash -n), what the array script runs
 * for a task (srkd replaced by a stub that prints its argv), and submit.sh against a stub sbatch that records
 * its arguments and prints job ids as `sbatch --parsable` does. The real-Slurm run is slurm-cluster.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepCommand } from '../../lib/cli/commands/sweep';
import { arrayScript, parseSubmitOutput, reportScript, shellQuote, submitSlurmSweep, sweepTasks, writeSlurmSweep, type SlurmSweepSpec } from '../../lib/sweep/slurm';
import { runCommand } from '../cli-run';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-sweep-scripts-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

// prints one argument per line, so the test sees exactly the words the script passes
const ARGV_STUB = path.join(TMP, 'print-argv.sh');
fs.writeFileSync(ARGV_STUB, '#!/bin/bash\nprintf "%s\\n" "$@"\n', { mode: 0o755 });

const spec = (over: Partial<SlurmSweepSpec> = {}): SlurmSweepSpec => ({
  name: 'srkd-ablation-smoke', job: 'ablation', reproduceArgs: ['--preset', 'smoke', '--data', '/data/my photos'], rows: ['scratch', 'kd'], reportOnlyRows: true,
  seeds: [0, 1, 2], runsDir: path.join(TMP, 'runs'), scriptDir: path.join(TMP, 'runs', 'slurm', 'x'), workDir: TMP, srkd: [ARGV_STUB],
  resources: { partition: 'gpu', gres: 'gpu:1', time: '04:00:00', cpusPerTask: 4, requeue: true, maxParallel: 2, extra: ['--constraint=a100'] }, ...over,
});

describe('slurm sweep scripts', () => {
  it('one task per row x seed, row by row', () => {
    expect(sweepTasks(['a', 'b'], [0, 5])).toEqual([
      { index: 0, row: 'a', seed: 0 }, { index: 1, row: 'a', seed: 5 }, { index: 2, row: 'b', seed: 0 }, { index: 3, row: 'b', seed: 5 },
    ]);
    expect(() => sweepTasks([], [0])).toThrow(/no rows/);
  });

  it('the array script carries the resources, the array range and the task table', () => {
    const s = arrayScript(spec());
    for (const line of ['#SBATCH --array=0-5%2', '#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=04:00:00', '#SBATCH --cpus-per-task=4',
      '#SBATCH --requeue', '#SBATCH --constraint=a100', '#SBATCH --open-mode=append', 'ROWS=(scratch scratch scratch kd kd kd)', 'SEEDS=(0 1 2 0 1 2)']) {
      expect(s.split('\n')).toContain(line);
    }
    expect(arrayScript(spec({ resources: {} }))).not.toContain('--requeue');
    expect(() => arrayScript(spec({ resources: { partition: 'a b' } }))).toThrow(/--partition must be one word/);
    expect(() => arrayScript(spec({ resources: { extra: ['constraint=x'] } }))).toThrow(/'--name=value'/);
  });

  it('task i runs srkd reproduce with its row and seed, the shared runs dir, and no report (bash, stub srkd)', () => {
    const files = writeSlurmSweep(spec());
    for (const f of [files.arrayScript, files.reportScript, files.submitScript]) expect(spawnSync('bash', ['-n', f]).status, f).toBe(0);
    const r = spawnSync('bash', [files.arrayScript], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '4', SLURM_CPUS_PER_TASK: '4' } });
    expect(r.status).toBe(0);
    const argv = r.stdout.trim().split('\n');
    expect(argv[0]).toBe('srkd sweep task 4: row kd, seed 1, restart 0, on ' + os.hostname() + argv[0].slice(argv[0].indexOf(' at ')));
    expect(argv.slice(1)).toEqual([
      'reproduce', 'ablation', '--preset', 'smoke', '--data', '/data/my photos', '--rows', 'kd', '--seeds', '1', '--runs-dir', path.join(TMP, 'runs'),
      '--workers', '4', '--no-agreement', '--no-report',
    ]);
    const noId = spawnSync('bash', [files.arrayScript], { encoding: 'utf8', env: { ...process.env, SLURM_ARRAY_TASK_ID: '' } });
    expect(noId.status).not.toBe(0);
    expect(noId.stderr).toContain('submit this script with sbatch');
  });

  it('the report job runs the whole job over all seeds (the user\'s rows only when given)', () => {
    const files = writeSlurmSweep(spec());
    const r = spawnSync('bash', [files.reportScript], { encoding: 'utf8', env: { ...process.env, SLURM_CPUS_PER_TASK: '' } });
    expect(r.stdout.trim().split('\n')).toEqual([
      'reproduce', 'ablation', '--preset', 'smoke', '--data', '/data/my photos', '--rows', 'scratch,kd', '--seeds', '0,1,2', '--runs-dir', path.join(TMP, 'runs'), '--workers', '1',
    ]);
    expect(reportScript(spec({ reportOnlyRows: false }))).not.toContain('--rows');
    expect(reportScript(spec())).not.toContain('--array');
  });

  it('submit.sh submits the array, then the report with afterok on the array id', () => {
    const files = writeSlurmSweep(spec());
    const bin = path.join(TMP, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const calls = path.join(TMP, 'sbatch-calls');
    // a stub sbatch: records its arguments, answers 41 then 42 (the second with a cluster name, as --parsable may)
    fs.writeFileSync(path.join(bin, 'sbatch'), `#!/bin/bash\necho "$*" >> ${calls}\nif [[ "$*" == *report* ]]; then echo "42;cluster"; else echo 41; fi\n`, { mode: 0o755 });
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      expect(submitSlurmSweep(files)).toEqual({ arrayJobId: '41', reportJobId: '42' });
    } finally {
      process.env.PATH = oldPath;
    }
    expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['--parsable array.sbatch', '--parsable --dependency=afterok:41 report.sbatch']);
    expect(() => parseSubmitOutput('sbatch: error: invalid partition')).toThrow(/could not read the job ids/);
  });

  it('quotes words for bash', () => {
    expect(shellQuote('a/b-c_1.2:x=y')).toBe('a/b-c_1.2:x=y');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(spawnSync('bash', ['-c', `printf %s ${shellQuote("a b'c$d")}`], { encoding: 'utf8' }).stdout).toBe("a b'c$d");
  });
});

describe('srkd sweep slurm', () => {
  it('checks the reproduce options like srkd reproduce, writes the scripts and lists them as JSON', async () => {
    const runsDir = path.join(TMP, 'cli-runs');
    const { code, out } = await runCommand(sweepCommand,
      ['slurm', 'ablation', '--preset', 'smoke', '--rows', 'kd,scratch', '--seeds', '0-1', '--runs-dir', runsDir, '--partition', 'debug', '--requeue', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out) as { rows: string[]; seeds: number[]; arrayScript: string; submission: null };
    expect(r.rows).toEqual(['scratch', 'kd']); // table order
    expect(r.seeds).toEqual([0, 1]);
    expect(r.submission).toBeNull();
    expect(path.dirname(r.arrayScript)).toBe(path.join(runsDir, 'slurm', 'ablation-smoke-x2'));
    const s = fs.readFileSync(r.arrayScript, 'utf8');
    expect(s).toContain(`reproduce ablation --preset smoke --rows "\${ROWS[$i]}"`);
    expect(s).toContain('#SBATCH --partition=debug');
  });

  it('rejects bad input before writing anything', async () => {
    const run = (argv: string[]) => runCommand(sweepCommand, argv);
    await expect(run(['pbs', 'ablation'])).rejects.toThrow(/unknown scheduler 'pbs' \(expected slurm\)/);
    await expect(run(['slurm'])).rejects.toThrow(/name a job/);
    await expect(run(['slurm', 'ablation', '--rows', 'nope'])).rejects.toThrow(/--rows: unknown row 'nope'; this table's rows: scratch, kd/);
    await expect(run(['slurm', 'ablation', '--preset', 'big'])).rejects.toThrow(/--preset must be one of/);
    await expect(run(['slurm', 'ablation', '--cpus-per-task', '0'])).rejects.toThrow(/--cpus-per-task must be an integer >= 1/);
  });
});
