// The notebook helpers for reproduce jobs: progress lines from job events, the run summary, AugKD's rows.
import { describe, expect, it } from 'vitest';
import { augkdComparisonRows } from '../../lib/reproduce/augkd-comparison';
import { jobProgress, jobSummary } from '../../lib/reproduce/job-progress';

describe('reproduce notebook helpers', () => {
  it('jobProgress forwards training steps and announces rows; jobSummary lists runs and teachers', () => {
    const got: unknown[] = [];
    const on = jobProgress((e) => got.push(e));
    const progress = { runId: 'r', step: 3, totalSteps: 4, terms: {}, total: 1, learningRate: 1e-3, secPerStep: 0.1, etaSec: 0.1, numTensors: 5, workerNumTensors: [] };
    on({ kind: 'row', row: 'kd', seed: 1, index: 1, of: 4, phase: 'start' });
    on({ kind: 'row', row: 'kd', seed: 1, index: 1, of: 4, phase: 'done' });
    on({ kind: 'train', row: 'kd', progress });
    expect(got).toEqual(['row 2/4: kd (seed 1)', progress]);
    const text = jobSummary({
      runs: [{ row: 'kd', seed: 1, cached: true, runId: 'run-a', wallSec: 1.25 } as never],
      teachers: [{ arch: { arch: 'edsr' }, runId: 'teacher-run', weights: 'w' } as never],
      wallSec: 3,
    });
    expect(text).toBe('kd                 seed 1 cached  run-a  1.3 s\nteacher: {"arch":"edsr"} teacher-run; job 3.0 s');
  });

  it('the AugKD comparison is Scratch, KD, DUKD of Table 2 plus AugKD on the same pair, then the optional feature-KD rows', () => {
    const rows = augkdComparisonRows('smoke', 'edsr', 2);
    expect(rows.filter((r) => !r.optional).map((r) => r.method)).toEqual(['scratch', 'kd', 'dukd', 'augkd']);
    // AugKD's feature-KD experiments, trained when named
    expect(rows.filter((r) => r.optional).map((r) => r.method)).toEqual(['fakd', 'fakd-augkd', 'fitnet', 'at']);
    expect(new Set(rows.map((r) => JSON.stringify(r.pair))).size).toBe(1);
  });
});
