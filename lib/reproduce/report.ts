/**
 * The report of a reproduction job: `<runsDir>/<reportId>/report.html` (a standalone page, plotly embedded
 * once, via savePlotPage) and `job.json` (the JobResult) beside it. Figures:
 *  1. training curves: L1(S(x), y) per step from each run's log.jsonl (the weighted `rec` term divided by the
 *     method's rec weight, so methods with other weightings compare);
 *  2. validation PSNR per step (the runs' in-training validation, EMA weights);
 *  3. PSNR gain over Scratch, ours beside the paper's, per row (absolute values differ: other data and nets);
 *  4. teacher-student agreement bars (PSNR(S, T) on training patches and held-out images).
 * Tables (HTML): our PSNR/SSIM per row beside the paper's, and the runs (ids, times).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dateStamp } from '../config/hash';
import { tableHtml, type TableRow } from '../viz/table';
import { escapeHtml, savePlotPage, type PlotFigure } from '../viz/plot';
import type { JobResult, ReproduceRow } from './job';

export interface ReportOptions {
  /** Report file (default `<job.runsDir>/<reportId(job)>/report.html`). */
  readonly file?: string;
}

/** `<yyyymmdd>-reproduce-<job>-<preset>-x<scale>`. */
export function reportId(job: JobResult, date: Date = new Date()): string {
  return `${dateStamp(date)}-reproduce-${job.job}-${job.preset}-x${job.scale}`;
}

type LogEvent = { event?: string; step?: number; terms?: Record<string, number>; sets?: { set: string; psnr: number }[] };

function readLog(dir: string): LogEvent[] {
  const file = path.join(dir, 'log.jsonl');
  if (!fs.existsSync(file)) return [];
  const out: LogEvent[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LogEvent);
    } catch {
      // a line cut short by a kill
    }
  }
  return out;
}

function recWeight(dir: string): number {
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { method?: { recWeight?: number } };
    const w = cfg.method?.recWeight;
    return typeof w === 'number' && w > 0 ? w : 1;
  } catch {
    return 1;
  }
}

/** The primary set of a job: the first held-out set of its rows. */
function primarySet(job: JobResult): string | null {
  return job.rows.length ? job.rows[0].set : null;
}

/** Rows of the primary set, one per table row, in job order. */
export function primaryRows(job: JobResult): ReproduceRow[] {
  const set = primarySet(job);
  return job.rows.filter((r) => r.set === set);
}

/** Our PSNR/SSIM per row and set beside the paper's (plain rows for formatTable / tableHtml). */
export function comparisonTable(job: JobResult): TableRow[] {
  const scratch = new Map(job.rows.filter((r) => r.method === 'scratch').map((r) => [r.set, r]));
  return job.rows.map((r) => {
    const base = scratch.get(r.set);
    const paperBase = base?.paper ?? null;
    return {
      row: r.label,
      set: r.set,
      psnr: round(r.psnr, 3),
      ssim: round(r.ssim, 4),
      'Δ scratch': base ? round(r.psnr - base.psnr, 3) : null,
      'paper set': r.paperSet,
      'paper psnr': r.paper ? r.paper.psnr : null,
      'paper ssim': r.paper ? r.paper.ssim : null,
      'paper Δ': r.paper && paperBase ? round(r.paper.psnr - paperBase.psnr, 2) : null,
      runId: r.runId,
    };
  });
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** The report's figures (plain plotly specs; see the file comment). */
export function reportFigures(job: JobResult): PlotFigure[] {
  const curves: object[] = [];
  const valCurves: object[] = [];
  for (const run of job.runs) {
    const log = readLog(run.dir);
    const w = recWeight(run.dir);
    const train = log.filter((e) => e.event === 'train' && e.terms && typeof e.terms.rec === 'number');
    curves.push({ type: 'scatter', mode: 'lines', name: run.row, x: train.map((e) => e.step), y: train.map((e) => (e.terms as Record<string, number>).rec / w) });
    const val = log.filter((e) => e.event === 'val' && e.sets && e.sets.length);
    valCurves.push({ type: 'scatter', mode: 'lines+markers', name: run.row, x: val.map((e) => e.step), y: val.map((e) => (e.sets as { psnr: number }[])[0].psnr) });
  }
  const rows = primaryRows(job);
  const scratch = rows.find((r) => r.method === 'scratch');
  const gainRows = rows.filter((r) => r.method !== 'scratch');
  const set = primarySet(job) ?? '';
  const paperSet = rows.find((r) => r.paperSet)?.paperSet ?? '';
  const gains: object[] = [
    { type: 'bar', name: `ours (${set})`, x: gainRows.map((r) => r.label), y: gainRows.map((r) => (scratch ? r.psnr - scratch.psnr : null)) },
    {
      type: 'bar', name: `paper (${paperSet})`, x: gainRows.map((r) => r.label),
      y: gainRows.map((r) => (r.paper && scratch?.paper ? r.paper.psnr - scratch.paper.psnr : null)),
    },
  ];
  const agreement: object[] = [
    { type: 'bar', name: 'training patches', x: job.agreement.map((a) => rowLabel(job, a.row)), y: job.agreement.map((a) => a.trainPsnr) },
    ...(job.agreement[0]?.heldOut ?? []).map((h, i) => ({
      type: 'bar', name: `held-out: ${h.set}`, x: job.agreement.map((a) => rowLabel(job, a.row)), y: job.agreement.map((a) => a.heldOut[i]?.psnr ?? null),
    })),
  ];
  const figs: PlotFigure[] = [
    { data: curves, layout: { title: { text: 'Training curves: L1(S(x), y) per step (log.jsonl)' }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'L1 (rec / rec weight)' }, type: 'log' } } },
    { data: valCurves, layout: { title: { text: `Validation PSNR during training (EMA, ${job.protocol})` }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'PSNR (dB)' } } } },
    { data: gains, layout: { title: { text: `PSNR gain over Scratch: ours (${set}) vs paper (${paperSet}), ${job.protocol}` }, barmode: 'group', yaxis: { title: { text: 'Δ PSNR (dB)' } } } },
  ];
  if (job.agreement.length) {
    figs.push({ data: agreement, layout: { title: { text: 'Teacher-student agreement: PSNR(student, teacher), Y channel' }, barmode: 'group', yaxis: { title: { text: 'PSNR(S, T) (dB)' } } } });
  }
  return figs;
}

function rowLabel(job: JobResult, row: string): string {
  return job.rows.find((r) => r.row === row)?.label ?? row;
}

/** The HTML tables and notes placed under the page title. */
export function reportTablesHtml(job: JobResult): string {
  const runs = job.runs.map((r) => ({ row: r.row, method: r.method, runId: r.runId, trainSec: round(r.trainSec, 1), wallSec: round(r.wallSec, 1), cached: r.cached, formula: r.formula }));
  const teachers = job.teachers.map((t) => ({
    arch: JSON.stringify(t.arch), source: t.source, runId: t.runId, weights: t.weights,
    val: t.val ? `${t.val.set} ${t.val.psnr.toFixed(3)} dB` : null, trainSec: round(t.elapsedSec, 1),
  }));
  const notes = [
    `${job.title}. Preset ${job.preset}, x${job.scale}, data: ${job.data}. Protocol ${job.protocol}.`,
    `Paper column: ${job.paperSource}.`,
    job.data === 'synthetic'
      ? 'Held-out set: the synthetic valid split (procedural images, not photographs): absolute numbers are not comparable with the paper; compare the gains over Scratch.'
      : 'Held-out sets: the benchmark sets found under the data root.',
    `Job wall time ${job.wallSec.toFixed(1)} s.`,
  ];
  return [
    ...notes.map((n) => `<p>${escapeHtml(n)}</p>`),
    tableHtml(comparisonTable(job), { title: `PSNR / SSIM per row beside the paper (${job.protocol})`, digits: 4 }),
    '<h2>Teachers</h2>',
    tableHtml(teachers, { title: 'Shared teachers' }),
    '<h2>Runs</h2>',
    tableHtml(runs, { title: 'Runs (trainSec: recorded training time; wallSec: time this job spent on the row)', digits: 1 }),
    job.agreement.length
      ? tableHtml(job.agreement.map((a) => ({ row: rowLabel(job, a.row), train: round(a.trainPsnr, 3), ...Object.fromEntries(a.heldOut.map((h) => [h.set, round(h.psnr, 3)])) })),
        { title: 'Teacher-student agreement, PSNR(S, T) in dB' })
      : '',
  ].join('\n');
}

/** Writes report.html (and job.json) for a job; returns the report's path. */
export function writeReport(job: JobResult, opts: ReportOptions = {}): string {
  const file = path.resolve(opts.file ?? path.join(job.runsDir, reportId(job), 'report.html'));
  savePlotPage(file, reportFigures(job), job.title);
  // savePlotPage's page has no slot for tables: place them right after its <h1> title
  const page = fs.readFileSync(file, 'utf8');
  const at = page.indexOf('</h1>');
  const withTables = at < 0 ? page : `${page.slice(0, at + 5)}\n${reportTablesHtml(job)}\n${page.slice(at + 5)}`;
  fs.writeFileSync(file, withTables);
  fs.writeFileSync(path.join(path.dirname(file), 'job.json'), JSON.stringify(job, null, 1) + '\n');
  return file;
}
