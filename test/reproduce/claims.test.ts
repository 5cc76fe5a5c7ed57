/** The report's conclusions on hand-made jobs: the teacher's margin rule and each claim's verdict. */
import { describe, expect, it } from 'vitest';
import { checkClaims, conclusions, MIN_TEACHER_MARGIN_DB, teacherMargins } from '../../lib/reproduce/claims';
import type { JobResult, JobTeacher, ReproduceRow } from '../../lib/reproduce/job';

const PAPER: Record<string, number> = { scratch: 29.75, kd: 29.78, full: 30.06, 'zoom-in': 29.95 };

function row(id: string, seed: number, psnr: number): ReproduceRow {
  return {
    row: id, label: id, method: id === 'full' || id === 'zoom-in' ? 'dukd' : id, set: 'synthetic-valid', psnr, ssim: 0.9, scale: 4, protocol: 'paper-y',
    paper: { psnr: PAPER[id], ssim: 0.8 }, paperSet: 'DIV2K-val', runId: `${id}-${seed}`, seed,
  };
}

const teacher = (psnr: number): JobTeacher => ({
  arch: { arch: 'edsr', feats: 16, blocks: 4, resScale: 1 }, scale: 4, weights: '/t', source: 'trained', runId: 't', runDir: '/t', val: null, elapsedSec: 1,
  heldOut: [{ set: 'synthetic-valid', psnr, ssim: 0.9, images: 8, protocol: 'paper-y' }],
});

// per seed 0, 1, 2: full - kd = 0.3, 0.2, 0.4 (CI [0.0516, 0.5484]: holds); kd - scratch = 0.1, -0.1, 0.0 (CI contains 0);
// zoom-in - kd = -0.3, -0.2, -0.4 (contradicted)
const PSNR: Record<string, number[]> = { scratch: [24.0, 24.2, 24.1], kd: [24.1, 24.1, 24.1], full: [24.4, 24.3, 24.5], 'zoom-in': [23.8, 23.9, 23.7] };
const job = (teacherPsnr: number, seeds = [0, 1, 2]): JobResult => ({
  job: 'ablation', title: 't', paperSource: 'DUKD-v2 Table 4', preset: 'quick', scale: 4, protocol: 'paper-y', data: 'synthetic', teachers: [teacher(teacherPsnr)], seeds,
  rows: Object.keys(PSNR).flatMap((id) => seeds.map((s) => row(id, s, PSNR[id][s]))), runs: [], agreement: [], wallSec: 1, runsDir: '/tmp',
});

describe('teacher margin', () => {
  it('is the teacher\'s held-out PSNR minus Scratch\'s mean; under 0.3 dB is not strong enough', () => {
    const [m] = teacherMargins(job(24.6));
    expect(m.margin).toBeCloseTo(0.5, 10); // scratch mean 24.1
    expect(m.strongEnough).toBe(true);
    expect(teacherMargins(job(24.1 + MIN_TEACHER_MARGIN_DB - 0.01))[0].strongEnough).toBe(false);
  });

  it('refuses to call the table a reproduction under the margin, in plain words', () => {
    const weak = conclusions(job(24.2));
    expect(weak[0]).toMatch(/^Teacher .*: 24\.200 dB on synthetic-valid, \+0\.100 dB over Scratch \(24\.100 ± 0\.100 dB, n=3\)\. That is under 0\.3 dB: this table is NOT a reproduction/);
    expect(conclusions(job(24.6))[0]).toMatch(/\+0\.500 dB over Scratch .* clearly stronger than the student trained alone/);
  });
});

describe('claims', () => {
  it('checks each claim whose rows the job trained, paired by seed', () => {
    const checks = checkClaims(job(24.6));
    expect(checks.map((c) => c.id)).toEqual(['dukd>kd', 'kd>scratch', 'zoom-in']);
    const [dukd, kd, zoomIn] = checks;
    expect(dukd.difference.mean).toBeCloseTo(0.3, 10);
    expect(dukd.difference.ci![0]).toBeCloseTo(0.051586, 5);
    expect(dukd.difference.verdict).toBe('better');
    expect(dukd.paper).toBeCloseTo(0.28, 10);
    expect(kd.difference.verdict).toBe('not distinguishable');
    expect(zoomIn.difference.verdict).toBe('worse');
  });

  it('ends with one sentence per claim, a summary and the scale', () => {
    const c = conclusions(job(24.6));
    expect(c[1]).toBe('Holds beyond the seed spread: DUKD (zoom-in + zoom-out + DA) beats logits KD (paper: +0.28 dB on DIV2K-val); here +0.300 [+0.052, +0.548] dB (95% CI, 3 seeds) on synthetic-valid.');
    expect(c[2]).toMatch(/^Not shown at this scale: logits KD beats training from scratch .*an interval that contains 0/);
    expect(c[3]).toMatch(/^Contradicted beyond the seed spread: zoom-in helps/);
    expect(c[4]).toBe('In short (3 seeds): holds: dukd>kd; not distinguishable from seed noise: kd>scratch; contradicted: zoom-in.');
    expect(c[5]).toMatch(/^Scale: quick preset .*not the paper's numbers \(DUKD-v2 Table 4\)/);
  });

  it('with one seed, says no claim can be judged', () => {
    const c = conclusions(job(24.6, [0]));
    expect(c[1]).toMatch(/^Cannot be judged from one seed: DUKD .* here \+0\.300 dB on synthetic-valid \(run with --seeds 0,1,2/);
    expect(c).toContain('With one seed no claim can be told apart from seed noise.');
  });
});

describe('the control row (KD at DUKD\'s loss weights)', () => {
  // control - kd = -0.2, -0.1, -0.3 per seed (t interval [-0.448, +0.048]: contains 0); zoom-in - control = -0.1, -0.1, -0.1 (sd 0)
  const withControl = (): JobResult => {
    const j = job(24.6);
    const control = [23.9, 24.0, 23.8];
    return { ...j, rows: [...j.rows, ...[0, 1, 2].map((s) => ({ ...row('kd-dukd-weights', s, control[s]), method: 'dukd', paper: null, paperSet: null }))] };
  };

  it('checks zoom-in against the control at equal weights, and states the weights\' own effect', () => {
    const checks = checkClaims(withControl());
    expect(checks.map((c) => c.id)).toEqual(['dukd>kd', 'kd>scratch', 'zoom-in', 'zoom-in@w']);
    const zi = checks[3];
    expect(zi.difference.mean).toBeCloseTo(-0.1, 10);
    expect(zi.paper).toBeNull();
    const c = conclusions(withControl());
    const note = c.find((x) => x.startsWith('Loss weights:'));
    expect(note).toMatch(/minus the Logits-KD row is -0\.200 \[-0\.448, \+0\.048\] dB \(95% CI, 3 seeds\) on synthetic-valid \(verdict: not distinguishable\)/);
  });

  it('no control row: no weights sentence', () => {
    expect(conclusions(job(24.6)).some((x) => x.startsWith('Loss weights:'))).toBe(false);
  });
});
