/**
 * The report of a reproduction job: `<runsDir>/<reportId>/report.html` (a standalone page, plotly embedded
 * once, via savePlotPage) and `job.json` (the JobResult) beside it. Figures:
 *  1. training curves: L1(S(x), y) per step from each run's log.jsonl (the weighted `rec` term divided by the
 *     method's rec weight, so methods with other weightings compare);
 *  2. validation PSNR per step (the runs' in-training validation, EMA weights);
 *  3. PSNR gain over Scratch, ours beside the paper's, per row (absolute values differ: other data and nets);
 *  4. teacher-student agreement bars (PSNR(S, T) on training patches and held-out images).
 * Tables (HTML): our PSNR/SSIM per row beside the paper's, each row's method config, and the runs (ids, times).
 * With several seeds (seed-table.ts) curves are the mean over a row's seeds with a ± sd band, gain bars carry
 * 95 % confidence whiskers (paired by seed), agreement bars ± sd whiskers, and the table shows mean ± sd, n,
 * the paired differences from Scratch and KD and their verdicts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dateStamp } from '../config/hash';
import { ciErrorY, meanBandTraces, PLOT_COLOURS, sdErrorY, type Series } from '../viz/error-bars';
import { tableHtml, type TableRow } from '../viz/table';
import { escapeHtml, savePlotPage, type PlotFigure } from '../viz/plot';
import { conclusions } from './claims';
import type { JobResult, ReproduceRow } from './job';
import { agreementStats, groupBy, hasSeedSpread, rowSeedStats, seedComparisonTable, seedsOf } from './seed-table';

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

/**
 * Our PSNR/SSIM per row and set beside the paper's (plain rows for formatTable / tableHtml). A job with several
 * seeds gets seed-table.ts's table instead (mean ± sd, n, paired differences with 95 % CIs and verdicts).
 */
export function comparisonTable(job: JobResult): TableRow[] {
  if (hasSeedSpread(job)) return seedComparisonTable(job);
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

/**
 * What each row trained, one line per row: its method preset, the objective and the whole method config (JSON),
 * so a row's variant (e.g. which FAKD, which DUKD switches) is on the page beside its numbers.
 */
export type MethodConfigRow = { readonly row: string; readonly preset: string; readonly objective: string; readonly config: string };
export function methodConfigTable(job: Pick<JobResult, 'runs' | 'rows'>): MethodConfigRow[] {
  const seen = new Set<string>();
  const out: MethodConfigRow[] = [];
  for (const r of job.runs) {
    if (seen.has(r.row)) continue;
    seen.add(r.row);
    out.push({ row: job.rows.find((x) => x.row === r.row)?.label ?? r.row, preset: r.method, objective: r.formula, config: r.methodConfig === null ? 'released model (not trained here)' : JSON.stringify(r.methodConfig) });
  }
  return out;
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** The report's figures (plain plotly specs; see the file comment). */
/** The report's figures by name (notebooks show one by name; the page shows them in this order). */
export type ReportFigures = {
  /** L1(S(x), y) per step for every row (mean ± sd band over seeds). */
  readonly trainingCurves: PlotFigure;
  /** Validation PSNR during training (EMA weights). */
  readonly validation: PlotFigure;
  /** PSNR gain over Scratch, ours beside the paper's (CI whiskers over seeds). */
  readonly gainOverScratch: PlotFigure;
  /** PSNR(student, teacher) per row; null when the job measured no agreement. */
  readonly agreement: PlotFigure | null;
};

/** The figures in page order. */
export function reportFigureList(f: ReportFigures): PlotFigure[] {
  return [f.trainingCurves, f.validation, f.gainOverScratch, ...(f.agreement ? [f.agreement] : [])];
}

export function reportFigures(job: JobResult): ReportFigures {
  const curves: object[] = [];
  const valCurves: object[] = [];
  [...groupBy(job.runs, (r) => r.row).entries()].forEach(([row, runs], i) => {
    const colour = PLOT_COLOURS[i % PLOT_COLOURS.length];
    const train: Series[] = [];
    const val: Series[] = [];
    for (const run of runs) {
      const log = readLog(run.dir);
      const w = recWeight(run.dir);
      const t = log.filter((e) => e.event === 'train' && e.terms && typeof e.terms.rec === 'number');
      train.push({ x: t.map((e) => e.step as number), y: t.map((e) => (e.terms as Record<string, number>).rec / w) });
      const v = log.filter((e) => e.event === 'val' && e.sets && e.sets.length);
      val.push({ x: v.map((e) => e.step as number), y: v.map((e) => (e.sets as { psnr: number }[])[0].psnr) });
    }
    curves.push(...meanBandTraces(row, train, { colour, positive: true }));
    valCurves.push(...meanBandTraces(row, val, { colour, mode: 'lines+markers' }));
  });
  const spread = hasSeedSpread(job);
  const set = primarySet(job) ?? '';
  const stats = rowSeedStats({ rows: primaryRows(job) });
  const scratchPaper = stats.find((r) => r.method === 'scratch')?.paper ?? null;
  const gainRows = stats.filter((r) => r.method !== 'scratch');
  const paperSet = stats.find((r) => r.paperSet)?.paperSet ?? '';
  const ourGain = gainRows.map((r) => r.vsScratch?.mean ?? null);
  const gains: object[] = [
    {
      type: 'bar', name: spread ? `ours (${set}; mean, 95% CI over ${seedsOf(job).length} seeds)` : `ours (${set})`, x: gainRows.map((r) => r.label), y: ourGain,
      ...(spread ? { error_y: ciErrorY(ourGain, gainRows.map((r) => r.vsScratch?.ci ?? null)) } : {}),
    },
    {
      type: 'bar', name: `paper (${paperSet})`, x: gainRows.map((r) => r.label),
      y: gainRows.map((r) => (r.paper && scratchPaper ? r.paper.psnr - scratchPaper.psnr : null)),
    },
  ];
  const agree = agreementStats(job.agreement);
  const whiskers = (sd: (number | null)[]): object => (spread ? { error_y: sdErrorY(sd) } : {});
  const agreement: object[] = [
    { type: 'bar', name: 'training patches', x: agree.map((a) => rowLabel(job, a.row)), y: agree.map((a) => a.train.mean), ...whiskers(agree.map((a) => a.train.sd)) },
    ...(agree[0]?.heldOut ?? []).map((h, i) => ({
      type: 'bar', name: `held-out: ${h.set}`, x: agree.map((a) => rowLabel(job, a.row)), y: agree.map((a) => a.heldOut[i]?.psnr.mean ?? null),
      ...whiskers(agree.map((a) => a.heldOut[i]?.psnr.sd ?? null)),
    })),
  ];
  return {
    trainingCurves: { data: curves, layout: { title: { text: `Training curves: L1(S(x), y) per step (log.jsonl)${spread ? ', mean ± sd over seeds' : ''}` }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'L1 (rec / rec weight)' }, type: 'log' } } },
    validation: { data: valCurves, layout: { title: { text: `Validation PSNR during training (EMA, ${job.protocol})${spread ? ', mean ± sd over seeds' : ''}` }, xaxis: { title: { text: 'step' } }, yaxis: { title: { text: 'PSNR (dB)' } } } },
    gainOverScratch: { data: gains, layout: { title: { text: `PSNR gain over Scratch: ours (${set}) vs paper (${paperSet}), ${job.protocol}` }, barmode: 'group', yaxis: { title: { text: 'Δ PSNR (dB)' } } } },
    agreement: job.agreement.length
      ? { data: agreement, layout: { title: { text: `Teacher-student agreement: PSNR(student, teacher), Y channel${spread ? ', mean ± sd over seeds' : ''}` }, barmode: 'group', yaxis: { title: { text: 'PSNR(S, T) (dB)' } } } }
      : null,
  };
}

function rowLabel(job: JobResult, row: string): string {
  return job.rows.find((r) => r.row === row)?.label ?? row;
}

/** The job's notes (title, preset, data, seeds, the methods' own notes), one sentence each, for the top of a report. */
export function reportNotes(job: JobResult): string[] {
  return [
    `${job.title}. Preset ${job.preset}, x${job.scale}, data: ${job.data}. Protocol ${job.protocol}.`,
    `Paper column: ${job.paperSource}.`,
    job.data === 'synthetic'
      ? 'Held-out set: the synthetic valid split (procedural images, not photographs): absolute numbers are not comparable with the paper; compare the gains over Scratch.'
      : `Held-out sets: ${[...new Set(job.rows.map((r) => r.set))].join(', ')} (benchmark sets found under the data root or $SRKD_DATA; ` +
        "'<folder>-held-out': the last tenth of a folder of photos, never trained on).",
    ...(hasSeedSpread(job)
      ? [`Seeds ${seedsOf(job).join(', ')}: every row trained once per seed (the seed sets the student's initialisation and the data order; the teacher is shared). ` +
        'PSNR/SSIM are mean ± sample sd over the seeds; Δ is the difference paired by seed with a 95 % Student t interval; ' +
        "a verdict is 'better' or 'worse' only when that interval excludes 0."]
      : []),
    ...(job.notes ?? []).map((n) => `Note: ${n}.`),
    `Job wall time ${job.wallSec.toFixed(1)} s.`,
  ];
}

/** The HTML tables and notes placed under the page title. */
export function reportTablesHtml(job: JobResult): string {
  return [
    ...reportNotes(job).map((n) => `<p>${escapeHtml(n)}</p>`),
    tableHtml(comparisonTable(job), { title: `PSNR / SSIM per row beside the paper (${job.protocol})`, digits: 4 }),
    tableHtml(methodConfigTable(job), { title: 'What each row trained: method preset, objective, method config' }),
    runTablesHtml(job),
  ].join('\n');
}

/** The teachers, runs and agreement tables of a report. */
export function runTablesHtml(job: JobResult): string {
  const runs = job.runs.map((r) => ({ row: r.row, method: r.method, seed: r.seed ?? 0, runId: r.runId, trainSec: round(r.trainSec, 1), wallSec: round(r.wallSec, 1), cached: r.cached, formula: r.formula }));
  const teachers = job.teachers.map((t) => ({
    arch: JSON.stringify(t.arch), source: t.source, runId: t.runId, weights: t.weights,
    val: t.val ? `${t.val.set} ${t.val.psnr.toFixed(3)} dB` : null,
    'held-out': t.heldOut?.map((h) => `${h.set} ${h.psnr.toFixed(3)} dB`).join(', ') ?? null, trainSec: round(t.elapsedSec, 1),
  }));
  return [
    '<h2>Teachers</h2>',
    tableHtml(teachers, { title: 'Shared teachers' }),
    '<h2>Runs</h2>',
    tableHtml(runs, { title: 'Runs (trainSec: recorded training time; wallSec: time this job spent on the row)', digits: 1 }),
    job.agreement.length
      ? tableHtml(job.agreement.map((a) => ({ row: rowLabel(job, a.row), ...(hasSeedSpread(job) ? { seed: a.seed } : {}), train: round(a.trainPsnr, 3), ...Object.fromEntries(a.heldOut.map((h) => [h.set, round(h.psnr, 3)])) })),
        { title: 'Teacher-student agreement, PSNR(S, T) in dB' })
      : '',
  ].join('\n');
}

/** The closing section: claims.ts's sentences. */
export function conclusionsHtml(job: JobResult): string {
  return `<h2>Conclusions</h2>\n<ul>\n${conclusions(job).map((c) => `<li>${escapeHtml(c)}</li>`).join('\n')}\n</ul>`;
}

/** Writes report.html (and job.json) for a job; returns the report's path. */
export function writeReport(job: JobResult, opts: ReportOptions = {}): string {
  const file = path.resolve(opts.file ?? path.join(job.runsDir, reportId(job), 'report.html'));
  return writeReportPage(file, job, reportFigureList(reportFigures(job)), reportTablesHtml(job));
}

/**
 * A report page: `figs` (plotly, embedded once), `tablesHtml` right under the title, the conclusions at the end,
 * and job.json beside it. Returns the page's path.
 */
export function writeReportPage(file: string, job: JobResult, figs: readonly PlotFigure[], tablesHtml: string): string {
  savePlotPage(file, figs, job.title);
  // savePlotPage's page has no slot for tables: place them right after its <h1> title
  const page = fs.readFileSync(file, 'utf8');
  const at = page.indexOf('</h1>');
  const withTables = at < 0 ? page : `${page.slice(0, at + 5)}\n${tablesHtml}\n${page.slice(at + 5)}`;
  // ... and the conclusions after the figures, at the end of the page
  const end = withTables.lastIndexOf('</body>');
  fs.writeFileSync(file, end < 0 ? withTables + conclusionsHtml(job) : `${withTables.slice(0, end)}${conclusionsHtml(job)}\n${withTables.slice(end)}`);
  fs.writeFileSync(path.join(path.dirname(file), 'job.json'), JSON.stringify(job, null, 1) + '\n');
  return file;
}
