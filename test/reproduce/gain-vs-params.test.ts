import { describe, expect, it } from 'vitest';
import { analyticComplexity } from '../../lib/models/archs/index';
import type { JobResult, ReproduceRow } from '../../lib/reproduce/job';
import { gainVsParams, gainVsParamsFigure, ourGainPoints, paperGainPoints } from '../../lib/reproduce/gain-vs-params';

const student = { arch: 'edsr', feats: 4, blocks: 1, resScale: 1 } as const;

function row(method: string, label: string, set: string, psnr: number): ReproduceRow {
  return { row: method, label, method, set, psnr, ssim: 0.5, scale: 2, protocol: 'paper-y', paper: null, paperSet: null, runId: `r-${method}`, seed: 0 };
}

const job = {
  job: 'main', title: 'DUKD-v2 Table 2, EDSR x2 (smoke preset)', preset: 'smoke', scale: 2, protocol: 'paper-y', data: 'synthetic', teachers: [],
  rows: [row('scratch', 'Scratch', 'A', 20), row('kd', 'KD', 'A', 20.1), row('dukd', 'DUKD', 'A', 20.5), row('dukd', 'DUKD', 'B', 30)],
  runs: [], agreement: [], wallSec: 1, runsDir: '/tmp',
} as unknown as JobResult;

describe('gain vs params', () => {
  it('takes our gains over Scratch on the first held-out set, at the student size', () => {
    const pts = ourGainPoints(job, student);
    expect(pts.map((p) => p.method)).toEqual(['KD', 'DUKD']);
    expect(pts[0].gain).toBeCloseTo(0.1, 6);
    expect(pts[1].gain).toBeCloseTo(0.5, 6);
    expect(pts.every((p) => p.set === 'A' && p.source === 'ours' && p.backbone === 'edsr')).toBe(true);
    expect(pts[0].params).toBe(analyticComplexity(student, 2, 8, 8).params);
  });

  it('has no points without a Scratch row', () => {
    expect(ourGainPoints({ ...job, rows: job.rows.filter((r) => r.method !== 'scratch') }, student)).toEqual([]);
  });

  it("takes the paper's Table 2 gains at Table 1 student sizes", () => {
    const x4 = paperGainPoints(4);
    const edsrDukd = x4.find((p) => p.backbone === 'edsr' && p.method === 'DUKD');
    expect(edsrDukd?.gain).toBeCloseTo(26.45 - 26.21, 6);
    expect(edsrDukd?.params).toBeCloseTo(2.7e6, 0);
    expect(x4.filter((p) => p.backbone === 'swinir').map((p) => p.method).sort()).toEqual(['DUKD', 'KD']);
    // the unverified SwinIR x2 DUKD row is left out
    expect(paperGainPoints(2).some((p) => p.backbone === 'swinir' && p.method === 'DUKD')).toBe(false);
    expect(paperGainPoints(2, 'Set5').every((p) => p.set === 'Set5')).toBe(true);
  });

  it('builds a log-x scatter with one trace per source and method', () => {
    const pts = gainVsParams(job, { student });
    const fig = gainVsParamsFigure(pts);
    const names = fig.data.map((t) => (t as { name: string }).name);
    expect(names.filter((n) => n.startsWith('ours:'))).toHaveLength(2);
    expect(names.some((n) => n.startsWith('paper: DUKD'))).toBe(true);
    expect((fig.layout as { xaxis: { type: string } }).xaxis.type).toBe('log');
    const total = fig.data.reduce((s, t) => s + (t as { x: number[] }).x.length, 0);
    expect(total).toBe(pts.length);
  });
});
