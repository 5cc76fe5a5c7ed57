/**
 * The report of `srkd reproduce dckd`: `<runsDir>/<reportId>-<student>/report.html` and job.json, like the other
 * jobs' reports (report.ts) but with one table per part (DCKD Table 2, Table 5, Fig. 8a, Fig. 8b), each row beside
 * the paper's number of that part and its difference from the part's baseline (Scratch, KD, the DCKD default).
 * Figures: the training and validation curves of every run (report.ts), ours beside the paper's gain over the
 * baseline for Table 2 and Table 5 (bars), and both Fig. 8 sweeps as the difference from the DCKD default point
 * (ours on the primary held-out set, the paper's on Urban100), then the teacher-student agreement. The job's
 * notes (an untrained feature network above all) open the page, and the conclusions repeat them.
 */
import * as path from 'node:path';
import { escapeHtml, type PlotFigure } from '../viz/plot';
import { formatTable, tableHtml } from '../viz/table';
import { ciErrorY } from '../viz/error-bars';
import { type DckdJobResult, type DckdPartResult, dckdPartResults, dckdPartTable, dckdSeedCount, sharedRunNotes, sweepPoint } from './dckd-tables';
import { reportFigures, reportId, reportNotes, runTablesHtml, writeReportPage } from './report';

/** The report's notes: report.ts's, then the rows that share a run. */
export function dckdReportNotes(job: DckdJobResult): string[] {
  return [...reportNotes(job), ...sharedRunNotes(job).map((n) => `Note: ${n}.`)];
}

/** The primary set's rows of a part (the first held-out set). */
function primaryOf(part: DckdPartResult): DckdPartResult['rowsOut'] {
  const set = part.rowsOut[0]?.set;
  return part.rowsOut.filter((r) => r.set === set);
}

/** Gain over the part's baseline: ours (with CI whiskers over seeds) beside the paper's. */
function gainFigure(part: DckdPartResult): PlotFigure {
  const rows = primaryOf(part).filter((r) => r.row !== part.baseline);
  const ours = rows.map((r) => r.vsBaseline?.mean ?? null);
  const set = rows[0]?.set ?? '';
  const paperSet = rows.find((r) => r.paperSet)?.paperSet ?? '';
  return {
    data: [
      { type: 'bar', name: `ours (${set})`, x: rows.map((r) => r.label), y: ours, error_y: ciErrorY(ours, rows.map((r) => r.vsBaseline?.ci ?? null)) },
      { type: 'bar', name: `paper (${paperSet || 'none'})`, x: rows.map((r) => r.label), y: rows.map((r) => r.paperDelta) },
    ],
    layout: { title: { text: `${part.title}: PSNR gain over ${part.baseline}, ours vs paper` }, barmode: 'group', yaxis: { title: { text: 'Δ PSNR (dB)' } } },
  };
}

/** A Fig. 8 sweep: PSNR minus the DCKD default point's, ours and the paper's, against the swept value. */
function sweepFigure(part: DckdPartResult): PlotFigure {
  const defaultValue = part.part === 'negatives' ? 5 : 1000;
  const rows = primaryOf(part)
    .map((r) => ({ r, x: sweepPoint(r.row)?.value ?? defaultValue }))
    .sort((a, b) => a.x - b.x);
  const ours = rows.map(({ r }) => (r.row === part.baseline ? 0 : r.vsBaseline?.mean ?? null));
  return {
    data: [
      {
        type: 'scatter', mode: 'lines+markers', name: `ours (${rows[0]?.r.set ?? ''})`, x: rows.map((p) => p.x), y: ours,
        error_y: ciErrorY(ours, rows.map(({ r }) => r.vsBaseline?.ci ?? null)),
      },
      { type: 'scatter', mode: 'lines+markers', name: 'paper (Urban100, RCAN x2)', x: rows.map((p) => p.x), y: rows.map(({ r }) => (r.row === part.baseline ? (r.paperPsnr === null ? null : 0) : r.paperDelta)) },
    ],
    layout: {
      title: { text: `${part.title}: PSNR minus the default's (${part.part === 'negatives' ? 'N = 5' : 'step 1000'})` },
      xaxis: { title: { text: part.part === 'negatives' ? 'negatives N' : 'initial history update step (paper schedule; scaled to the run)' }, ...(part.part === 'step' ? { type: 'log' } : {}) },
      yaxis: { title: { text: 'Δ PSNR (dB)' } },
    },
  };
}

/** A part's figure: gain bars for Table 2 / Table 5, the sweep curve for Fig. 8a / 8b. */
export function dckdPartFigure(part: DckdPartResult): PlotFigure {
  return part.part === 'table2' || part.part === 'table5' ? gainFigure(part) : sweepFigure(part);
}

/** The report's figures in page order. */
export function dckdReportFigures(job: DckdJobResult): PlotFigure[] {
  const base = reportFigures(job);
  const parts = dckdPartResults(job);
  return [
    base.trainingCurves,
    base.validation,
    ...parts.map(dckdPartFigure),
    ...(base.agreement ? [base.agreement] : []),
  ];
}

/** The part tables as plain text (the CLI's output), each titled with its paper source. */
export function dckdTablesText(job: DckdJobResult): string {
  const seeds = dckdSeedCount(job);
  return dckdPartResults(job)
    .map((p) => formatTable(dckdPartTable(p, seeds), { title: `${p.title}: ours beside the paper (${job.protocol}); paper: ${p.paperSource}`, digits: 4 }))
    .join('\n\n');
}

/** Writes the DCKD report page (see the file comment); returns its path. */
export function writeDckdReport(job: DckdJobResult, opts: { readonly file?: string } = {}): string {
  const file = path.resolve(opts.file ?? path.join(job.runsDir, `${reportId(job)}-${job.student}`, 'report.html'));
  const seeds = dckdSeedCount(job);
  const tables = [
    ...dckdReportNotes(job).map((n) => `<p>${escapeHtml(n)}</p>`),
    ...dckdPartResults(job).map((p) => `<h2>${escapeHtml(p.title)}</h2>\n<p>${escapeHtml(`Paper: ${p.paperSource}. Baseline row: ${p.baseline}.`)}</p>\n` +
      tableHtml(dckdPartTable(p, seeds), { title: `${p.title} (${job.protocol})`, digits: 4 })),
    runTablesHtml(job),
  ].join('\n');
  return writeReportPage(file, job, dckdReportFigures(job), tables);
}
