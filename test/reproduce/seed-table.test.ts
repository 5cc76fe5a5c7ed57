/**
 * The multi-seed table and figures on a hand-made job (3 seeds; numbers chosen so the arithmetic is easy to
 * check by hand), and that a one-seed job keeps the single-run table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgreementRow, JobResult, ReproduceRow, RunSummary } from '../../lib/reproduce/job';
import { comparisonTable, reportFigureList, reportFigures } from '../../lib/reproduce/report';
import { agreementStats, formatDifference, formatMeanSd, rowSeedStats, seedComparisonTable } from '../../lib/reproduce/seed-table';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-seed-table-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

// PSNR per seed 0, 1, 2
const PSNR: Record<string, number[]> = {
  scratch: [30.0, 30.1, 30.15],
  kd: [30.1, 30.3, 30.2], // - scratch: 0.10, 0.20, 0.05 (mean 0.116667, CI [-0.073064, 0.306398])
  dukd: [30.4, 30.5, 30.6], // - scratch: 0.40, 0.40, 0.45 (mean 0.416667); - kd: 0.30, 0.20, 0.40 (mean 0.3, sd 0.1)
};
const LABEL: Record<string, string> = { scratch: 'Scratch', kd: 'KD', dukd: 'DUKD' };

function row(method: string, seed: number): ReproduceRow {
  return {
    row: method, label: LABEL[method], method, set: 'synthetic-valid', psnr: PSNR[method][seed], ssim: 0.9 + seed / 100, scale: 2, protocol: 'paper-y',
    paper: { psnr: { scratch: 29.75, kd: 29.8, dukd: 30.06 }[method] as number, ssim: 0.8 }, paperSet: 'DIV2K-val', runId: `${method}-${seed}`, seed,
  };
}

function runDir(method: string, seed: number): string {
  const dir = path.join(TMP, `${method}-${seed}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ method: { recWeight: 1 } }));
  const lines = [1, 2, 3].map((step) => JSON.stringify({ event: 'train', step, terms: { rec: 0.1 * (seed + 1) / step } }));
  lines.push(JSON.stringify({ event: 'val', step: 3, sets: [{ set: 'synthetic', psnr: PSNR[method][seed] }] }));
  fs.writeFileSync(path.join(dir, 'log.jsonl'), lines.join('\n') + '\n');
  return dir;
}

const methods = ['scratch', 'kd', 'dukd'];
const seeds = [0, 1, 2];
const job = {
  job: 'ablation', title: 't', paperSource: 'p', preset: 'smoke', scale: 2, protocol: 'paper-y', data: 'synthetic', teachers: [], seeds,
  rows: methods.flatMap((m) => seeds.map((s) => row(m, s))),
  runs: methods.flatMap((m) => seeds.map((s): RunSummary => ({
    row: m, method: m, seed: s, runId: `${m}-${s}`, dir: runDir(m, s), teacherRunId: null, trainSec: 1, wallSec: 1, cached: false, formula: '', methodConfig: { kind: 'scratch' }, warmStartRunId: null,
  }))),
  agreement: methods.flatMap((m) => seeds.map((s): AgreementRow => ({
    row: m, method: m, seed: s, runId: `${m}-${s}`, trainPsnr: 40 + s, trainPatches: 16, heldOut: [{ set: 'synthetic-valid', psnr: 35 + 2 * s, images: 4 }], protocol: 'paper-y',
  }))),
  wallSec: 1, runsDir: TMP,
} as JobResult;

describe('rowSeedStats', () => {
  const stats = rowSeedStats(job);

  it('summarises each row over its seeds', () => {
    expect(stats.map((s) => s.row)).toEqual(methods);
    const kd = stats[1];
    expect(kd.psnr.n).toBe(3);
    expect(kd.psnr.mean).toBeCloseTo(30.2, 10);
    expect(kd.psnr.sd).toBeCloseTo(0.1, 10); // deviations -0.1, 0.1, 0
  });

  it('pairs each row with Scratch and with KD by seed', () => {
    const [scratch, kd, dukd] = stats;
    expect(scratch.vsScratch).toBeNull();
    expect(scratch.vsKd).toBeNull();
    expect(kd.vsKd).toBeNull();
    expect(kd.vsScratch!.mean).toBeCloseTo(0.116667, 6);
    expect(kd.vsScratch!.ci![0]).toBeCloseTo(-0.073064, 5);
    expect(kd.vsScratch!.verdict).toBe('not distinguishable');
    // dukd - kd = 0.3, 0.2, 0.4: mean 0.3, sd 0.1, half width 4.302653 * 0.1 / sqrt(3) = 0.248414
    expect(dukd.vsKd!.ci![0]).toBeCloseTo(0.051586, 5);
    expect(dukd.vsKd!.ci![1]).toBeCloseTo(0.548414, 5);
    expect(dukd.vsKd!.verdict).toBe('better');
    // dukd - scratch = 0.40, 0.40, 0.45: mean 0.416667, sd 0.028868, half width 4.302653 * 0.028868 / sqrt(3) = 0.071711
    expect(dukd.vsScratch!.ci![0]).toBeCloseTo(0.344956, 5);
    expect(dukd.vsScratch!.verdict).toBe('better');
  });

  it('formats mean ± sd and differences with their interval', () => {
    expect(formatMeanSd(stats[1].psnr)).toBe('30.200 ± 0.100');
    expect(formatDifference(stats[1].vsScratch!)).toBe('+0.117 [-0.073, +0.306]');
    expect(formatMeanSd({ n: 1, mean: 27.5, sd: null })).toBe('27.500');
  });
});

describe('the multi-seed table and figures', () => {
  it('comparisonTable switches to mean ± sd, n, paired CIs and verdicts', () => {
    const t = comparisonTable(job) as Record<string, unknown>[];
    expect(t).toEqual(seedComparisonTable(job));
    expect(t[2]).toMatchObject({
      row: 'DUKD', n: 3, 'psnr mean ± sd': '30.500 ± 0.100', 'Δ scratch [95% CI]': '+0.417 [+0.345, +0.488]', 'vs scratch': 'better',
      'Δ KD [95% CI]': '+0.300 [+0.052, +0.548]', 'vs KD': 'better', 'paper psnr': 30.06, 'paper Δ': 0.31,
    });
    expect(t[0]['vs scratch']).toBe('');
  });

  it('draws mean curves with ± sd bands, gain bars with CI whiskers and agreement with sd whiskers', () => {
    const [curves, val, gains, agreement] = reportFigureList(reportFigures(job)) as { data: Record<string, unknown>[] }[];
    // per row: lower edge, upper edge (filled to the lower), mean line
    expect(curves.data).toHaveLength(9);
    expect(curves.data[1].fill).toBe('tonexty');
    expect(curves.data[2].name).toBe('scratch (mean ± sd, n=3)');
    // rec at step 1 over seeds: 0.1, 0.2, 0.3 -> mean 0.2, sd 0.1
    expect((curves.data[2].y as number[])[0]).toBeCloseTo(0.2, 12);
    expect((curves.data[1].y as number[])[0]).toBeCloseTo(0.3, 12);
    expect(val.data).toHaveLength(9);
    const ours = gains.data[0] as { y: number[]; error_y: { array: number[]; arrayminus: number[] } };
    expect(ours.y[1]).toBeCloseTo(0.416667, 6);
    expect(ours.error_y.arrayminus[1]).toBeCloseTo(0.071711, 5);
    expect(ours.error_y.array[1]).toBeCloseTo(0.071711, 5);
    const train = agreement.data[0] as { y: number[]; error_y: { array: number[] } };
    expect(train.y).toEqual([41, 41, 41]);
    expect(train.error_y.array[0]).toBeCloseTo(1, 12);
    expect(agreementStats(job.agreement)[0].heldOut[0].psnr.sd).toBeCloseTo(2, 12);
  });

  it('a one-seed job keeps the single-run table and plain curves', () => {
    const one = { ...job, seeds: [0], rows: job.rows.filter((r) => r.seed === 0), runs: job.runs.filter((r) => r.seed === 0), agreement: job.agreement.filter((a) => a.seed === 0) };
    const t = comparisonTable(one) as Record<string, unknown>[];
    expect(t[1]).toMatchObject({ row: 'KD', psnr: 30.1, 'Δ scratch': 0.1, 'paper psnr': 29.8 });
    expect(Object.keys(t[1])).not.toContain('n');
    const [curves, , gains] = reportFigureList(reportFigures(one)) as { data: Record<string, unknown>[] }[];
    expect(curves.data).toHaveLength(3);
    expect(curves.data[0].name).toBe('scratch');
    expect(gains.data[0].error_y).toBeUndefined();
  });
});
