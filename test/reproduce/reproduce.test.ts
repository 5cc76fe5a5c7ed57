/**
 * The reproduction jobs: paper numbers as data (every Table 4 row, Table 2/3 shapes), the smoke ablation end to
 * end in a temp runs dir (tiny nets, 4 steps; three rows keep it short), its report (one plotly div per figure,
 * the comparison table), and the CLI (--help, a bad preset). Pool starts dominate the time, so one job is shared.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../lib/cli/command';
import { reproduceCommand } from '../../lib/cli/commands/reproduce';
import { ABLATION_METHODS, ablationRows, reproduceAblation } from '../../lib/reproduce/ablation';
import { type JobResult, selectRows, warmStartMode } from '../../lib/reproduce/job';
import { ablationPair, rowConfig } from '../../lib/reproduce/job-config';
import { mainComparisonRows } from '../../lib/reproduce/main-comparison';
import { heterogeneousRows } from '../../lib/reproduce/heterogeneous';
import { ABLATION_ROWS, PAPER_SETS, TABLE2, TABLE3, TABLE4, table2Row, table4Row } from '../../lib/reproduce/paper-numbers';
import { comparisonTable, methodConfigTable, reportFigureList, reportFigures, writeReport } from '../../lib/reproduce/report';
import { teacherConfig } from '../../lib/reproduce/teacher';
import { runCommand } from '../cli-run';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-reproduce-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('paper numbers', () => {
  it('has every Table 4 row with all five sets and a source tag', () => {
    expect(TABLE4.map((r) => r.row)).toEqual([...ABLATION_ROWS]);
    for (const r of TABLE4) {
      expect(r.source).toMatch(/DUKD-v2 Table 4/);
      expect(r.status).toBe('V');
      for (const s of PAPER_SETS) {
        const cell = r.sets[s];
        expect(cell, `${r.row} ${s}`).toBeDefined();
        expect(cell!.psnr).toBeGreaterThan(24);
        expect(cell!.ssim).toBeGreaterThan(0.7);
        expect(cell!.ssim).toBeLessThan(1);
      }
    }
    expect(table4Row('full').sets.Urban100).toEqual({ psnr: 25.34, ssim: 0.7609 });
    expect(table4Row('scratch').sets['DIV2K-val']).toEqual({ psnr: 29.75, ssim: 0.8215 });
  });

  it('has Table 2 (36 rows, the SwinIR x2 DUKD row flagged) and Table 3', () => {
    expect(TABLE2).toHaveLength(36);
    expect(table2Row('swinir', 2, 'dukd')?.status).toBe('unverified');
    expect(table2Row('edsr', 4, 'dukd')?.sets.Urban100).toEqual({ psnr: 26.45, ssim: 0.7963 });
    expect(table2Row('edsr', 4, 'fakd')?.retrained).toBe(true);
    expect(table2Row('swinir', 4, 'fakd')).toBeNull();
    expect(TABLE3.map((r) => r.teacher)).toEqual(['none', 'edsr', 'swinir']);
    for (const r of [...TABLE2, ...TABLE3]) expect(Object.keys(r.sets)).toEqual(['Set5', 'Set14', 'B100', 'Urban100']);
  });

  it('maps every Table 4 row to a method preset and the paper pair', () => {
    expect(Object.keys(ABLATION_METHODS).sort()).toEqual([...ABLATION_ROWS].sort());
    const pair = ablationPair('paper');
    expect(pair.teacher).toMatchObject({ arch: 'edsr', feats: 64, blocks: 32 });
    expect(pair.student).toMatchObject({ arch: 'edsr', feats: 16, blocks: 32 });
    const rows = ablationRows('paper');
    const cfg = (row: string) => rowConfig('paper', { scale: 4, method: rows.find((r) => r.row === row)!.method, pair, teacherWeights: '/w' });
    expect(cfg('zoom-out').method).toMatchObject({ kind: 'dukd', zoomIn: false, zoomOut: true, invAug: false });
    expect(cfg('zoom-in+da').method).toMatchObject({ kind: 'dukd', zoomIn: true, zoomOut: false, invAug: true });
    expect(cfg('full').method).toMatchObject({ kind: 'dukd', zoomIn: true, zoomOut: true, invAug: true, recWeight: 5, kdWeight: 1 });
    expect(cfg('scratch').teacher).toBeNull();
    expect(cfg('kd').teacherWeights).toBe('/w');
    // the control row after the paper's: KD at DUKD's weights, no paper cells; then the optional FAKD* row
    expect(rows.map((r) => r.row)).toEqual([...ABLATION_ROWS, 'kd-dukd-weights', 'fakd-release']);
    expect(selectRows(rows, null).map((r) => r.row)).toEqual([...ABLATION_ROWS, 'kd-dukd-weights']);
    expect(selectRows(rows, ['fakd-release']).map((r) => r.row)).toEqual(['fakd-release']);
    expect(rows.find((r) => r.row === 'kd-dukd-weights')!.paper).toBeNull();
    // which FAKD a row is: the label says it, the config shows it
    expect(rows.find((r) => r.row === 'fakd')!.label).toMatch(/^FAKD \(FAKD paper/);
    expect(rows.find((r) => r.row === 'fakd-release')!.label).toMatch(/^FAKD\* \(DUKD's release/);
    expect(cfg('fakd').method).toMatchObject({ kind: 'fakd', detachAffinity: false, taps: 'thirds' });
    expect(cfg('fakd-release').method).toMatchObject({ kind: 'fakd', detachAffinity: true, taps: 'dukd4', recWeight: 1, kdWeight: 1, affinityWeight: 10 });
    expect(cfg('fakd-release').optim).toMatchObject({ milestones: [18750], gamma: 0.5 });
    expect(ablationRows('paper', ['fakd-release'])[0].optional).toBe(false); // named rows are trained
    expect(cfg('kd-dukd-weights').method).toMatchObject({ kind: 'dukd', zoomIn: false, zoomOut: false, invAug: false, recWeight: 5, kdWeight: 1 });
  });

  it('builds Table 2 and Table 3 rows with paper cells', () => {
    expect(selectRows(mainComparisonRows('paper', 'rcan', 4), null).map((r) => r.row)).toEqual(['scratch', 'kd', 'fakd', 'dukd']);
    expect(mainComparisonRows('paper', 'rcan', 4).map((r) => r.row)).toEqual(['scratch', 'kd', 'fakd', 'fakd-release', 'dukd']);
    expect(mainComparisonRows('quick', 'swinir', 2).map((r) => r.row)).toEqual(['scratch', 'kd', 'dukd']);
    const het = heterogeneousRows('paper');
    expect(het.map((r) => r.row)).toEqual(['scratch', 'edsr->rcan', 'edsr->rcan-full', 'swinir->rcan', 'swinir->rcan-full']);
    expect(het.every((r) => r.pair.student.arch === 'rcan')).toBe(true);
    expect(het[3].pair.teacher.arch).toBe('swinir');
    // the RCAN x4 code setting (no zoom-out, no augmentations) and full DUKD, both beside the paper's row
    const hcfg = (row: string) => rowConfig('paper', { scale: 4, method: het.find((r) => r.row === row)!.method, pair: het.find((r) => r.row === row)!.pair, teacherWeights: '/w' }).method;
    expect(hcfg('edsr->rcan')).toMatchObject({ kind: 'dukd', zoomIn: true, zoomOut: false, invAug: false, recWeight: 1, kdWeight: 1 });
    expect(hcfg('edsr->rcan-full')).toMatchObject({ kind: 'dukd', zoomIn: true, zoomOut: true, invAug: true, augProb: 0.3, recWeight: 1, kdWeight: 1 });
    expect(het[2].paper).toEqual(het[1].paper);
    expect(het[1].label).toMatch(/RCAN code setting/);
    expect(het[2].label).toMatch(/full DUKD/);
  });

  it('trains the teacher with scratch, its own seed and more steps on quick', () => {
    const t = teacherConfig({ preset: 'quick' });
    const s = rowConfig('quick', { scale: t.scale, method: 'scratch', pair: ablationPair('quick'), teacherWeights: null });
    expect(t.method.kind).toBe('scratch');
    expect(t.student).toEqual(ablationPair('quick').teacher);
    expect(t.seed).not.toBe(s.seed);
    expect(t.totalSteps).toBeGreaterThan(s.totalSteps);
  });
});

describe('reproduceAblation (smoke preset)', () => {
  let job: JobResult;
  let report: string;
  beforeAll(async () => {
    job = await reproduceAblation({ preset: 'smoke', rows: ['scratch', 'kd', 'full'], runsDir: path.join(TMP, 'runs'), workers: 1 });
    report = writeReport(job);
  }, 600_000);

  it('returns one row per table row with our numbers, the paper number and the run', () => {
    expect(job.rows.map((r) => r.row)).toEqual(['scratch', 'kd', 'full']);
    for (const r of job.rows) {
      expect(r.set).toBe('synthetic-valid');
      expect(r.protocol).toBe('paper-y');
      expect(Number.isFinite(r.psnr)).toBe(true);
      expect(r.ssim).toBeGreaterThan(0);
      expect(r.paperSet).toBe('DIV2K-val');
      expect(r.paper).toEqual(table4Row(r.row as 'scratch').sets['DIV2K-val']);
      expect(fs.existsSync(path.join(job.runsDir, r.runId, 'results.json'))).toBe(true);
    }
    expect(job.runs.map((r) => r.method)).toEqual(['scratch', 'kd', 'dukd']);
    expect(job.teachers).toHaveLength(1);
    expect(job.teachers[0].source).toBe('trained');
    expect(fs.existsSync(path.join(job.teachers[0].weights, 'model.json'))).toBe(true);
    // the teacher scored on the same held-out set as the students (its margin over Scratch ends the report)
    expect(job.teachers[0].heldOut?.map((h) => h.set)).toEqual(['synthetic-valid']);
    expect(Number.isFinite(job.teachers[0].heldOut![0].psnr)).toBe(true);
    expect(job.agreement.map((a) => a.row)).toEqual(['scratch', 'kd', 'full']);
    for (const a of job.agreement) {
      expect(Number.isFinite(a.trainPsnr)).toBe(true);
      expect(a.heldOut[0].set).toBe('synthetic-valid');
    }
    expect(JSON.parse(JSON.stringify(job))).toEqual(job); // plain data
  });

  it('writes report.html with one plotly div per figure and the comparison table', () => {
    expect(report).toBe(path.join(job.runsDir, path.basename(path.dirname(report)), 'report.html'));
    const html = fs.readFileSync(report, 'utf8');
    const named = reportFigures(job);
    expect(named.agreement).not.toBeNull();
    expect(JSON.stringify(named.gainOverScratch.layout)).toContain('gain over Scratch');
    const figs = reportFigureList(named);
    expect(figs.length).toBe(4);
    expect(html.match(/<div class="plotly-figure"/g)?.length).toBe(figs.length);
    expect(html).toContain('<table class="srkd-table">');
    expect(html).toContain('Zoom In + Zoom Out + DA');
    expect(html).toContain('PSNR / SSIM per row beside the paper (paper-y)');
    // what each row trained: preset, objective, whole method config
    expect(html).toContain('What each row trained');
    expect(methodConfigTable(job).map((r) => r.preset)).toEqual(['scratch', 'kd', 'dukd']);
    expect(JSON.parse(methodConfigTable(job)[2].config)).toEqual(job.runs[2].methodConfig);
    expect(job.runs[2].methodConfig).toMatchObject({ kind: 'dukd', zoomIn: true, zoomOut: true, invAug: true });
    expect(html.match(/<script type="text\/javascript">/g)!.length).toBe(figs.length + 1); // plotly once + one per figure
    expect(fs.existsSync(path.join(path.dirname(report), 'job.json'))).toBe(true);
    expect(html).toMatch(/<h2>Conclusions<\/h2>\n<ul>\n<li>Teacher \{.*over Scratch/);
    expect(html.indexOf('<h2>Conclusions</h2>')).toBeGreaterThan(html.lastIndexOf('plotly-figure'));
    const table = comparisonTable(job);
    expect(table).toHaveLength(3);
    expect(table[0]).toMatchObject({ row: 'Scratch', 'paper psnr': 29.75, 'Δ scratch': 0 });
  });

  it('reuses the cached runs when run again', async () => {
    const again = await reproduceAblation({ preset: 'smoke', rows: ['scratch', 'kd'], runsDir: job.runsDir, workers: 1, agreement: false });
    expect(again.runs.every((r) => r.cached)).toBe(true);
    expect(again.rows.map((r) => r.psnr)).toEqual(job.rows.slice(0, 2).map((r) => r.psnr));
  }, 300_000);

  it('--seeds 0,1 trains each row once per seed: seed 0 reuses the runs above, the table pairs the seeds', async () => {
    const { code, out } = await runCommand(reproduceCommand,
      ['ablation', '--preset', 'smoke', '--rows', 'scratch,kd', '--seeds', '0,1', '--runs-dir', job.runsDir, '--workers', '1', '--no-agreement', '--json']);
    expect(code).toBe(0);
    const seeded = JSON.parse(out) as JobResult & { report: string };
    expect(seeded.seeds).toEqual([0, 1]);
    expect(seeded.runs.map((r) => [r.row, r.seed, r.cached])).toEqual([['scratch', 0, true], ['scratch', 1, false], ['kd', 0, true], ['kd', 1, false]]);
    expect(seeded.runs[0].runId).toBe(job.runs[0].runId);
    expect(seeded.runs[1].runId).not.toBe(job.runs[0].runId);
    const cfg1 = JSON.parse(fs.readFileSync(path.join(seeded.runs[1].dir, 'config.json'), 'utf8')) as { seed: number };
    expect(cfg1.seed).toBe(1);
    const table = comparisonTable(seeded) as Record<string, unknown>[];
    expect(table.map((r) => r.n)).toEqual([2, 2]);
    expect(table[1]['Δ scratch [95% CI]']).toMatch(/^[+-]\d\.\d{3} \[[+-]\d+\.\d{3}, [+-]\d+\.\d{3}\]$/);
    expect(['better', 'worse', 'not distinguishable']).toContain(table[1]['vs scratch']);
    const html = fs.readFileSync(seeded.report, 'utf8');
    expect(html).toContain('Seeds 0, 1: every row trained once per seed');
    expect(html).toContain('mean ± sd over seeds');
  }, 300_000);
});

describe('x2 -> x4 warm start (spec A2)', () => {
  it("'auto' follows the paper protocol: EDSR students at x4 on the paper preset only", () => {
    const edsr = { arch: 'edsr', feats: 64, blocks: 16, resScale: 1 } as const;
    const rcan = { arch: 'rcan', feats: 64, groups: 10, blocks: 6, reduction: 16, resScale: 1 } as const;
    expect(warmStartMode('auto', 'paper', 4, edsr)).toBe('all-but-upsampler');
    expect(warmStartMode('auto', 'paper', 2, edsr)).toBeNull();
    expect(warmStartMode('auto', 'paper', 4, rcan)).toBeNull();
    expect(warmStartMode('auto', 'quick', 4, edsr)).toBeNull();
    expect(warmStartMode('off', 'paper', 4, edsr)).toBeNull();
    expect(warmStartMode('all-matching', 'smoke', 4, rcan)).toBe('all-matching');
    expect(warmStartMode('all-matching', 'smoke', 3, rcan)).toBeNull();
  });

  it('trains each row\'s x2 counterpart first (same method) and starts the x4 student from it', async () => {
    const runsDir = path.join(TMP, 'warm-runs');
    const job = await reproduceAblation({ preset: 'smoke', scale: 4, rows: ['scratch', 'kd'], runsDir, workers: 1, agreement: false, warmStart: 'all-but-upsampler' });
    expect(job.runs).toHaveLength(2);
    for (const r of job.runs) {
      expect(r.warmStartRunId, r.row).toMatch(new RegExp(`^\\d{8}-${r.method}-edsrx2-[0-9a-f]{8}$`));
      const x4 = JSON.parse(fs.readFileSync(path.join(r.dir, 'config.json'), 'utf8')) as { scale: number; studentInit: { weights: string; mode: string } };
      expect(x4.scale).toBe(4);
      expect(x4.studentInit).toEqual({ weights: path.join(runsDir, r.warmStartRunId as string), mode: 'all-but-upsampler' });
      const x2 = JSON.parse(fs.readFileSync(path.join(runsDir, r.warmStartRunId as string, 'config.json'), 'utf8')) as { scale: number; method: { kind: string } };
      expect(x2.scale).toBe(2);
      expect(x2.method.kind).toBe(r.method === 'scratch' ? 'scratch' : 'kd');
    }
  });
});

describe('srkd reproduce', () => {
  const ROOT = path.resolve(__dirname, '../..');
  const srkd = (args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/srkd.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

  it('--help lists the jobs and options', () => {
    const r = srkd(['reproduce', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: srkd reproduce ablation|main|heterogeneous');
    for (const opt of ['--preset', '--data', '--teacher-weights', '--scale', '--workers', '--json']) expect(r.stdout).toContain(opt);
    expect(srkd(['--help']).stdout).toMatch(/reproduce\s+reproduce a DUKD table/);
  });

  it('rejects a bad preset with exit code 2 and names the presets', () => {
    const r = srkd(['reproduce', 'ablation', '--preset', 'huge']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--preset must be one of paper, quick, smoke (got 'huge')");
  });

  it('rejects a bad job, scale, backbone or warm start before any training', async () => {
    const run = (argv: string[]) => reproduceCommand.run(parseCommandArgs(reproduceCommand, argv));
    await expect(run(['tables'])).rejects.toThrow(/unknown job 'tables'/);
    await expect(run([])).rejects.toThrow(/name a job/);
    await expect(run(['ablation', '--scale', '5'])).rejects.toThrow(/--scale must be 2, 3 or 4/);
    await expect(run(['ablation', '--backbone', 'rcan'])).rejects.toThrow(/main and dckd jobs only/);
    await expect(run(['main', '--backbone', 'vgg'])).rejects.toThrow(/--backbone must be one of edsr, rcan, swinir/);
    await expect(run(['ablation', '--warm-start', 'body'])).rejects.toThrow("--warm-start must be one of auto, off, all-but-upsampler, all-matching (got 'body')");
    await expect(run(['ablation', '--seeds', '0,0'])).rejects.toThrow('--seeds: seed 0 is listed twice');
  });
});
