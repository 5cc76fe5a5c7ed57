/**
 * `srkd sweep slurm` end to end on a real single-node Slurm (slurm-cluster.ts): the smoke ablation's Scratch and
 * KD rows x seeds 0, 1 (4 array tasks, 20 steps each) are submitted with --requeue; task 0 is frozen right after
 * its first checkpoint (scontrol suspend, so it cannot finish first), requeued (scontrol requeue) and released;
 * it must finish from its checkpoint, and the report job (afterok on the array) must write the report from the
 * cached runs. Skipped with the reason where Slurm cannot start, except under CI=true, where that fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepCommand } from '../../lib/cli/commands/sweep';
import { runIdSuffix } from '../../lib/config/hash';
import { ablationPair, rowConfig } from '../../lib/reproduce/job-config';
import type { JobResult } from '../../lib/reproduce/job';
import { runCommand } from '../cli-run';
import { startSlurm, type SlurmCluster, type SlurmStart } from './slurm-cluster';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-slurm-sweep-'));
const STEPS = 20;
let start: SlurmStart;
let cluster: SlurmCluster | null = null;
const submitted: string[] = [];

beforeAll(async () => {
  start = await startSlurm();
  if ('skip' in start) {
    if (process.env.CI === 'true') throw new Error(`CI=true but the Slurm end-to-end test cannot run: ${start.skip}`);
    process.stderr.write(`skipping the Slurm end-to-end test: ${start.skip}\n`);
  } else {
    cluster = start.cluster;
  }
}, 120_000);

afterAll(() => {
  if (cluster) {
    if (submitted.length) cluster.run('scancel', submitted); // leftovers of a failed run; a no-op otherwise
    cluster.stop();
  }
  fs.rmSync(TMP, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something; on timeout the error adds the queue (what Slurm was doing). */
async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) {
      const queue = cluster ? cluster.run('squeue', ['-o', '%i %T %r']) : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; squeue:\n${queue}`);
    }
    await sleep(250);
  }
}

/** The run directory of the smoke ablation's Scratch row with `seed` (named by config hash), once it exists. */
function scratchRunDir(runsDir: string, seed: number): string | null {
  const suffix = runIdSuffix(rowConfig('smoke', { scale: 2, method: 'scratch', pair: ablationPair('smoke'), teacherWeights: null, seed }));
  const hit = fs.existsSync(runsDir) ? fs.readdirSync(runsDir).find((n) => n.endsWith(suffix)) : undefined;
  return hit ? path.join(runsDir, hit) : null;
}

function checkpointSteps(dir: string): number[] {
  const ckpt = path.join(dir, 'ckpt');
  return fs.existsSync(ckpt) ? fs.readdirSync(ckpt).map((n) => Number(/^step-(\d+)$/.exec(n)?.[1])).filter((n) => n > 0) : [];
}

function readJsonl(file: string): { event?: string; resumedFrom?: number | null; step?: number }[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as { event?: string });
}

describe('srkd sweep slurm on a real Slurm', () => {
  it('runs the array, resumes a requeued task from its checkpoint, and the afterok job writes the report', async (ctx) => {
    if (!cluster) {
      ctx.skip();
      return;
    }
    const c = cluster;
    const runsDir = path.join(TMP, 'runs');
    const oldConf = process.env.SLURM_CONF;
    process.env.SLURM_CONF = c.env.SLURM_CONF; // for the sbatch calls of --submit
    let out: string;
    try {
      ({ out } = await runCommand(sweepCommand, [
        'slurm', 'ablation', '--preset', 'smoke', '--rows', 'scratch,kd', '--seeds', '0,1', '--steps', String(STEPS), '--runs-dir', runsDir,
        '--cpus-per-task', '1', '--time', '00:20:00', '--requeue', '--submit', '--json',
      ]));
    } finally {
      if (oldConf === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = oldConf;
    }
    const sweep = JSON.parse(out) as { submission: { arrayJobId: string; reportJobId: string }; tasks: { index: number; row: string; seed: number }[]; logs: string };
    const { arrayJobId, reportJobId } = sweep.submission;
    submitted.push(arrayJobId, reportJobId);
    expect(sweep.tasks.map((t) => `${t.row}/${t.seed}`)).toEqual(['scratch/0', 'scratch/1', 'kd/0', 'kd/1']);
    const task0 = `${arrayJobId}_0`; // Scratch, seed 0

    // freeze task 0 right after its first checkpoint, then requeue it
    const dir = await until('task 0 to write its first checkpoint', () => {
      const d = scratchRunDir(runsDir, 0);
      return d && checkpointSteps(d).length > 0 ? d : null;
    }, 300_000);
    c.run('scontrol', ['suspend', task0]);
    const results = path.join(dir, 'results.json');
    const doneBefore = fs.existsSync(results) && (JSON.parse(fs.readFileSync(results, 'utf8')) as { status: string }).status === 'completed';
    expect(doneBefore, 'task 0 finished before it could be requeued').toBe(false);
    const stepAtRequeue = Math.max(...checkpointSteps(dir));
    expect(stepAtRequeue).toBeLessThan(STEPS);
    c.run('scontrol', ['requeue', task0]);
    // A job requeued while suspended is held (Reason=JobHeldAdmin), and Slurm delays any requeued job's start
    // (Reason=BeginTime): release it and let it start as soon as a core is free.
    const reason = await until('task 0 to be pending again', () => {
      const [state, why] = c.run('squeue', ['-h', '-j', task0, '-o', '%T %r']).trim().split(/\s+/);
      return state === 'PENDING' ? why : null;
    }, 60_000);
    if (/Held/.test(reason)) c.run('scontrol', ['release', task0]);
    c.run('scontrol', ['update', `jobid=${task0}`, 'StartTime=now']);

    await until('the array and the report job to leave the queue', () => c.run('squeue', ['-h', '-j', `${arrayJobId},${reportJobId}`]).trim() === '', 600_000);
    const states = c.run('scontrol', ['show', 'job', arrayJobId]) + c.run('scontrol', ['show', 'job', reportJobId]);
    expect(states.match(/JobState=\w+/g)).toEqual(Array(5).fill('JobState=COMPLETED'));

    // task 0 ran twice and its second run resumed from a checkpoint, then finished all steps
    const log0 = fs.readdirSync(sweep.logs).find((n) => n.endsWith(`-${arrayJobId}_0.out`)) as string;
    const taskLog = fs.readFileSync(path.join(sweep.logs, log0), 'utf8');
    expect(taskLog).toContain('restart 0');
    expect(taskLog).toContain('restart 1');
    const starts = readJsonl(path.join(dir, 'log.jsonl')).filter((e) => e.event === 'start');
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts[0].resumedFrom).toBeNull();
    expect(starts[starts.length - 1].resumedFrom).toBeGreaterThanOrEqual(stepAtRequeue);
    const final = JSON.parse(fs.readFileSync(results, 'utf8')) as { status: string; step: number };
    expect(final).toMatchObject({ status: 'completed', step: STEPS });

    // the report job found every run cached and wrote the paired-seed report
    const reportDir = fs.readdirSync(runsDir).find((n) => n.endsWith('-reproduce-ablation-smoke-x2')) as string;
    expect(reportDir, 'report folder').toBeDefined();
    const job = JSON.parse(fs.readFileSync(path.join(runsDir, reportDir, 'job.json'), 'utf8')) as JobResult;
    expect(job.seeds).toEqual([0, 1]);
    expect(job.runs.map((r) => [r.row, r.seed, r.cached])).toEqual([['scratch', 0, true], ['scratch', 1, true], ['kd', 0, true], ['kd', 1, true]]);
    expect(job.runs[0].dir).toBe(dir);
    const html = fs.readFileSync(path.join(runsDir, reportDir, 'report.html'), 'utf8');
    expect(html).toContain('Seeds 0, 1: every row trained once per seed');
  }, 900_000);
});
