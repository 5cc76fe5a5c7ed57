/**
 * `srkd reproduce dckd` (lib/reproduce/dckd-tables.ts, dckd-report.ts): DCKD's published numbers as data (checked
 * cell by cell against the transcription in test/fixtures/spec), the rows of each part and their configs (Table 5's
 * switches, Fig. 8's sweep points fitted to the run), the whole job at smoke size in a temp runs dir with no
 * VQGAN file (the untrained-feature note in every output), --seeds, the report, the CLI, and the paper preset
 * refusing to run without the VQGAN.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../lib/cli/command';
import { parseReproduceArgs, reproduceCommand, reproduceRowIds } from '../../lib/cli/commands/reproduce';
import { type DckdConfig, UNTRAINED_FEATURES_NOTE } from '../../lib/distill/dckd';
import { buildMethod } from '../../lib/distill/methods';
import { dckdReportFigures, writeDckdReport } from '../../lib/reproduce/dckd-report';
import { type DckdJobResult, dckdPartResults, dckdPartTable, dckdRows, reproduceDckd } from '../../lib/reproduce/dckd-tables';
import { rowConfig } from '../../lib/reproduce/job-config';
import { DCKD_FIG8, DCKD_TABLE2, DCKD_TABLE5, dckdTable2Row, dckdTable5Row } from '../../lib/reproduce/paper-numbers';
import { runCommand } from '../cli-run';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-dckd-job-'));
const saved = { SRKD_WEIGHTS: process.env.SRKD_WEIGHTS, SRKD_WEIGHTS_DIR: process.env.SRKD_WEIGHTS_DIR };
beforeAll(() => {
  // offline: no VQGAN anywhere the search looks
  delete process.env.SRKD_WEIGHTS;
  process.env.SRKD_WEIGHTS_DIR = fs.mkdtempSync(path.join(TMP, 'no-weights-'));
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('DCKD paper numbers', () => {
  it('Table 2 has SwinIR and RCAN at x2-x4 with every method row, no EDSR block', () => {
    expect(DCKD_TABLE2).toHaveLength(38); // 2 backbones x 3 scales x 6 rows, + DCKD* at x4
    for (const r of DCKD_TABLE2) expect(Object.keys(r.sets)).toEqual(['Set5', 'Set14', 'B100', 'Urban100']);
    // spot checks against the paper's table (one cell per block)
    expect(dckdTable2Row('swinir', 4, 'dckd')!.sets.Urban100).toEqual({ psnr: 26.53, ssim: 0.8007 });
    expect(dckdTable2Row('swinir', 2, 'scratch')!.sets.Set14).toEqual({ psnr: 33.56, ssim: 0.9178 });
    expect(dckdTable2Row('swinir', 3, 'teacher')!.sets.B100).toEqual({ psnr: 29.37, ssim: 0.8124 });
    expect(dckdTable2Row('rcan', 2, 'dckd')!.sets.Set14).toEqual({ psnr: 34.01, ssim: 0.9213 });
    expect(dckdTable2Row('rcan', 3, 'mipkd')!.sets.Set5).toEqual({ psnr: 34.72, ssim: 0.9296 });
    expect(dckdTable2Row('rcan', 4, 'dckd-star')!.sets.Urban100).toEqual({ psnr: 26.74, ssim: 0.8054 });
    expect(dckdTable2Row('rcan', 2, 'dckd-star')).toBeNull();
    expect(dckdTable2Row('edsr', 4, 'dckd')).toBeNull();
  });

  it("Table 5's KD and DCKD rows are Table 2's RCAN x2 rows; Fig. 8 peaks at N >= 5 and step 1000", () => {
    for (const row of ['kd', 'dckd'] as const) {
      for (const s of ['Set14', 'Urban100'] as const) expect(dckdTable5Row(row).sets[s]).toEqual(dckdTable2Row('rcan', 2, row)!.sets[s]);
    }
    expect(DCKD_TABLE5.map((r) => [r.row, r.dcr, r.dmm])).toEqual([['kd', false, false], ['dcr', true, false], ['dmm', false, true], ['dckd', true, true]]);
    expect(dckdTable5Row('dcr').sets.Urban100).toEqual({ psnr: 32.83, ssim: 0.9346 });
    expect(DCKD_FIG8.negatives.map((p) => p.urban100Psnr)).toEqual([32.82, 32.85, 32.92, 32.93, 32.93]);
    expect(DCKD_FIG8.historyStep.find((p) => p.value === 1000)?.urban100Psnr).toBe(dckdTable2Row('rcan', 2, 'dckd')!.sets.Urban100!.psnr);
  });
});

describe('DCKD job rows', () => {
  it('each part names its rows; shared rows are trained once; sweep points and switches become method configs fitted to the run', () => {
    const rows = dckdRows('quick', 'swinir', 2);
    expect(rows.map((r) => r.row)).toEqual(['scratch', 'kd', 'dckd', 'dcr', 'dmm', 'neg-3', 'neg-4', 'neg-6', 'neg-7', 'step-100', 'step-500', 'step-2000', 'step-5000']);
    expect(dckdRows('quick', 'swinir', 2, ['table5']).map((r) => r.row)).toEqual(['kd', 'dcr', 'dmm', 'dckd']);
    const cfg = (id: string) => {
      const r = rows.find((x) => x.row === id)!;
      return rowConfig('quick', { scale: 2, method: r.method, pair: r.pair, teacherWeights: '/t', methodOverride: r.methodOverride }).method as DckdConfig;
    };
    expect(cfg('neg-3')).toMatchObject({ kind: 'dckd', negatives: 3, historyEvery: [2, 3, 5] }); // quick: 400 steps
    expect(cfg('step-2000')).toMatchObject({ negatives: 5, historyEvery: [3, 6, 10], historyPhaseSteps: 160 }); // [2000, 4000, 6000] x 400 / 250k
    expect(cfg('dcr')).toMatchObject({ ceWeight: 0, dclWeight: 0.1 });
    expect(buildMethod(cfg('dcr')).termNames).toEqual(['rec', 'kd', 'dcl']);
    expect(cfg('dmm')).toMatchObject({ ceWeight: 0.001, dclWeight: 0 });
    expect(cfg('dckd')).toMatchObject({ ceWeight: 0.001, dclWeight: 0.1, negatives: 5, featureWeights: null });
    // paper cells: Table 2 for SwinIR; Table 5's on RCAN x2 only; none for EDSR
    expect(rows.find((r) => r.row === 'dckd')!.paper).toEqual(dckdTable2Row('swinir', 2, 'dckd')!.sets);
    expect(rows.find((r) => r.row === 'dcr')!.paper).toBeNull();
    expect(dckdRows('quick', 'rcan', 2).find((r) => r.row === 'dcr')!.paper).toEqual(dckdTable5Row('dcr').sets);
    expect(dckdRows('quick', 'edsr', 4).every((r) => r.paper === null)).toBe(true);
  });

  it('the paper preset refuses to run without the VQGAN file', async () => {
    await expect(reproduceDckd({ preset: 'paper', runsDir: path.join(TMP, 'paper') })).rejects.toThrow(/needs the VQGAN f16\/1024 checkpoint: run `srkd weights download vqgan-f16-1024`/);
    expect(fs.existsSync(path.join(TMP, 'paper'))).toBe(false);
  });

  it('the CLI parses --student, --parts and rejects bad values', async () => {
    const parse = (argv: string[]) => parseReproduceArgs(parseCommandArgs(reproduceCommand, argv));
    const p = parse(['dckd', '--preset', 'smoke', '--student', 'rcan', '--parts', 'table2,negatives']);
    expect(p.options).toMatchObject({ student: 'rcan', parts: ['table2', 'negatives'] });
    expect(reproduceRowIds(p)).toEqual(['scratch', 'kd', 'dckd', 'neg-3', 'neg-4', 'neg-6', 'neg-7']);
    expect(parse(['dckd']).options.student).toBe('swinir');
    expect(() => parse(['dckd', '--student', 'vgg'])).toThrow(/--student must be one of edsr, rcan, swinir/);
    expect(() => parse(['dckd', '--parts', 'table9'])).toThrow(/--parts takes table2, table5, negatives, step \(got 'table9'\)/);
    expect(() => parse(['ablation', '--student', 'rcan'])).toThrow(/--student and --parts apply to the dckd job only/);
  });
});

describe('reproduceDckd (smoke preset, no VQGAN file)', () => {
  let job: DckdJobResult;
  let report: string;
  beforeAll(async () => {
    job = await reproduceDckd({ preset: 'smoke', student: 'swinir', runsDir: path.join(TMP, 'runs'), workers: 1 });
    report = writeDckdReport(job);
  }, 900_000);

  it('trains every row once, scores it, and says the feature network is untrained', () => {
    expect([...new Set(job.rows.map((r) => r.row))]).toEqual(['scratch', 'kd', 'dckd', 'dcr', 'dmm', 'neg-3', 'neg-4', 'neg-6', 'neg-7', 'step-100', 'step-500', 'step-2000', 'step-5000']);
    for (const r of job.rows) {
      expect(r.set).toBe('synthetic-valid');
      expect(Number.isFinite(r.psnr)).toBe(true);
    }
    expect(job.job).toBe('dckd');
    expect(job.teachers).toHaveLength(1);
    const note = (job.notes ?? []).find((n) => n.includes(UNTRAINED_FEATURES_NOTE));
    expect(note).toBeDefined();
    expect(note!.startsWith('dckd, dcr, dmm, neg-3')).toBe(true); // the DCKD rows, not scratch/kd
    // at 4 steps every history step scales to one period: those rows are the DCKD run itself
    const dckdRun = job.runs.find((r) => r.row === 'dckd')!.runId;
    expect(job.runs.filter((r) => r.row.startsWith('step-')).every((r) => r.runId === dckdRun)).toBe(true);
    expect(job.runs.find((r) => r.row === 'neg-3')!.runId).not.toBe(dckdRun);
    expect(JSON.parse(JSON.stringify(job))).toEqual(job);
  });

  it('part tables: ours, the difference from the part baseline, the paper beside it', () => {
    const parts = dckdPartResults(job);
    expect(parts.map((p) => p.part)).toEqual(['table2', 'table5', 'negatives', 'step']);
    const t2 = dckdPartTable(parts[0], 1) as Record<string, unknown>[];
    expect(t2.map((r) => r.row)).toEqual(['Scratch', 'KD (logits)', 'DCKD (DCR + DMM, N = 5, step 1000)']);
    expect(t2[2]).toMatchObject({ 'paper set': 'Urban100', 'paper psnr': 32.59, 'paper ssim': 0.933, 'paper Δ scratch': 0.54 });
    const ours = (id: string) => job.rows.find((r) => r.row === id)!.psnr;
    expect(t2[2]['Δ scratch']).toBe(`${ours('dckd') - ours('scratch') >= 0 ? '+' : ''}${(ours('dckd') - ours('scratch')).toFixed(3)}`);
    const t5 = dckdPartTable(parts[1], 1) as Record<string, unknown>[];
    expect(t5.map((r) => [r.row, r['paper psnr'], r['paper Δ kd']])).toEqual([
      ['KD (logits)', 32.67, null], ['+DCR (DCKD without L_ce)', 32.83, 0.16], ['+DMM (DCKD without L_dcl)', 32.81, 0.14], ['DCKD (DCR + DMM, N = 5, step 1000)', 32.92, 0.25],
    ]);
    const neg = dckdPartTable(parts[2], 1) as Record<string, unknown>[];
    expect(neg.map((r) => [r.row, r['paper psnr'], r['paper ssim']])).toEqual([['N = 3', 32.82, null], ['N = 4', 32.85, null], ['DCKD (DCR + DMM, N = 5, step 1000)', 32.92, null], ['N = 6', 32.93, null], ['N = 7', 32.93, null]]);
  });

  it('writes the report: part tables, the untrained-feature note, sweep figures, conclusions', () => {
    const html = fs.readFileSync(report, 'utf8');
    expect(html).toContain(UNTRAINED_FEATURES_NOTE);
    for (const t of ['DCKD Table 2: Scratch, KD, DCKD (SWINIR x2)', 'DCKD Table 5: DCR and DMM ablation', 'DCKD Fig. 8a: number of negatives N', 'DCKD Fig. 8b: initial history update step']) expect(html).toContain(t);
    expect(html).toContain('are one run');
    const figs = dckdReportFigures(job);
    expect(figs.length).toBe(2 + 4 + 1);
    expect(html.match(/<div class="plotly-figure"/g)?.length).toBe(figs.length);
    expect(html).toMatch(/<h2>Conclusions<\/h2>\n<ul>\n<li>Teacher/);
    expect(html).toContain('are a pipeline check, not the method');
    expect(html).toContain('DCR helps (KD + DCR beats KD, Table 5)');
    expect(fs.existsSync(path.join(path.dirname(report), 'job.json'))).toBe(true);
  });

  it('--seeds 0,1 through the CLI: seed 0 reuses the runs, the tables pair the seeds; the note is printed', async () => {
    const { code, out } = await runCommand(reproduceCommand,
      ['dckd', '--preset', 'smoke', '--parts', 'table5', '--rows', 'kd,dcr', '--seeds', '0,1', '--runs-dir', job.runsDir, '--workers', '1', '--no-agreement', '--no-report']);
    expect(code).toBe(0);
    expect(out).toContain('DCKD Table 5: DCR and DMM ablation: ours beside the paper');
    expect(out).toMatch(/\+DCR \(DCKD without L_ce\).*[+-]\d\.\d{3} \[[+-]\d+\.\d{3}, [+-]\d+\.\d{3}\]/);
    expect(out).toContain(`NOTE: dcr: ${UNTRAINED_FEATURES_NOTE}`);
    const json = await runCommand(reproduceCommand,
      ['dckd', '--preset', 'smoke', '--parts', 'table5', '--rows', 'kd,dcr', '--seeds', '0,1', '--runs-dir', job.runsDir, '--workers', '1', '--no-agreement', '--json']);
    const seeded = JSON.parse(json.out) as DckdJobResult & { report: string };
    expect(seeded.runs.map((r) => [r.row, r.seed, r.cached])).toEqual([['kd', 0, true], ['kd', 1, true], ['dcr', 0, true], ['dcr', 1, true]]);
    expect(seeded.runs[0].runId).toBe(job.runs.find((r) => r.row === 'kd')!.runId);
    const html = fs.readFileSync(seeded.report, 'utf8');
    expect(html).toContain('Seeds 0, 1: every row trained once per seed');
    expect(html).toContain('Δ kd [95% CI]');
  }, 600_000);
});
