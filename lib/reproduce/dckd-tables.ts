/**
 * DCKD's SR experiments for one student backbone (`srkd reproduce dckd`), in one job with one shared teacher:
 *  - Table 2: Scratch, KD (logits) and DCKD students of the backbone's pair (DCKD publishes SwinIR and RCAN;
 *    EDSR runs have no paper column);
 *  - Table 5: KD, +DCR (DCKD without L_ce), +DMM (DCKD without L_dcl) and both (= DCKD), published for RCAN x2;
 *  - Fig. 8: DCKD with N = 3, 4, 6, 7 negatives and with initial history update steps 100, 500, 2000, 5000
 *    (N = 5 and 1000 are the DCKD row itself), published as Urban100 PSNR of RCAN x2. A sweep point sets the
 *    schedule's first period; the later phases keep the code's 1 : 2 : 3 growth ([s, 2s, 3s]; the paper names
 *    only the initial step).
 * Rows shared by several parts (KD, DCKD) are trained once. Every DCKD row is a paper-preset method config
 * fitted to the run by the preset (MethodSpec.forRun): its history schedule scaled to the run's length, its VQGAN
 * found on this machine. Without the VQGAN file, smoke and quick train with the seeded random encoder of the
 * fixture's sizes and the job's notes say so in every output; the paper preset refuses to run without it.
 * Rows of parts other than Table 2 carry no paper cells (Table 5 and Fig. 8 are RCAN x2 numbers; the part tables
 * below place them), except on RCAN x2, where Table 5's cells are Table 2's.
 */
import { PAPER_SETS, type PaperCell, type PaperCells, type DckdTable2Method, dckdFig8Psnr, dckdTable2Row, dckdTable5Row, paperCell } from './paper-numbers';
import { forwardedJobOptions, runJob, selectRows, type JobResult, type ReproduceOptions, type ReproduceRow, type RowSpec } from './job';
import { assertArchName, assertPresetName, backbonePair, rowConfig } from './job-config';
import { defaultScale } from './teacher';
import { groupBy, seedsOf } from './seed-table';
import { pairedDifference, summarize, type SeedValue } from '../stats/seed-stats';
import { formatDifference, formatMeanSd } from './seed-table';
import type { PresetName } from '../config/presets';
import type { ArchName } from '../models/archs/index';
import type { DckdConfig } from '../distill/dckd';
import type { TableRow } from '../viz/table';
import type { Scale } from '../types';

/** The job's parts: DCKD Table 2, Table 5 and the two sweeps of Fig. 8. */
export const DCKD_PARTS = ['table2', 'table5', 'negatives', 'step'] as const;
export type DckdPart = (typeof DCKD_PARTS)[number];

/** Fig. 8's sweep points besides the DCKD row's own (N = 5, step 1000). */
export const DCKD_NEGATIVES_SWEEP: readonly number[] = [3, 4, 6, 7];
export const DCKD_STEP_SWEEP: readonly number[] = [100, 500, 2000, 5000];

type PartSpec = {
  readonly part: DckdPart;
  readonly title: string;
  /** Row ids in the part's order. */
  readonly rows: readonly string[];
  /** The row every other row of the part is compared with. */
  readonly baseline: string;
  /** Where its paper column comes from. */
  readonly paperSource: string;
};

/** The parts: their rows, baseline row and paper source. */
export function dckdPartSpecs(student: ArchName, scale: Scale): PartSpec[] {
  const t2 = student === 'edsr' ? 'DCKD publishes no EDSR block (Table 2 has SwinIR and RCAN): no paper column' : `DCKD Table 2, ${student.toUpperCase()} x${scale}`;
  return [
    { part: 'table2', title: `DCKD Table 2: Scratch, KD, DCKD (${student.toUpperCase()} x${scale})`, rows: ['scratch', 'kd', 'dckd'], baseline: 'scratch', paperSource: t2 },
    { part: 'table5', title: 'DCKD Table 5: DCR and DMM ablation', rows: ['kd', 'dcr', 'dmm', 'dckd'], baseline: 'kd', paperSource: 'DCKD Table 5: RCAN x2, Set14 and Urban100' },
    {
      part: 'negatives', title: 'DCKD Fig. 8a: number of negatives N', rows: ['neg-3', 'neg-4', 'dckd', 'neg-6', 'neg-7'], baseline: 'dckd',
      paperSource: 'DCKD Fig. 8a: RCAN x2, Urban100 PSNR (no SSIM published)',
    },
    {
      part: 'step', title: 'DCKD Fig. 8b: initial history update step', rows: ['step-100', 'step-500', 'dckd', 'step-2000', 'step-5000'], baseline: 'dckd',
      paperSource: 'DCKD Fig. 8b: RCAN x2, Urban100 PSNR (no SSIM published)',
    },
  ];
}

const ROW_LABELS: Readonly<Record<string, string>> = {
  scratch: 'Scratch', kd: 'KD (logits)', dckd: 'DCKD (DCR + DMM, N = 5, step 1000)', dcr: '+DCR (DCKD without L_ce)', dmm: '+DMM (DCKD without L_dcl)',
};

/** A Fig. 8 row's sweep value: ('negatives', 3) for 'neg-3', ('step', 100) for 'step-100'; the DCKD row is both sweeps' default. */
export function sweepPoint(row: string): { readonly sweep: 'negatives' | 'historyStep'; readonly value: number } | null {
  const m = /^(neg|step)-(\d+)$/.exec(row);
  if (!m) return null;
  return { sweep: m[1] === 'neg' ? 'negatives' : 'historyStep', value: Number(m[2]) };
}

/** Table 2's paper row of a job row (null: EDSR, or no such row). */
function table2Cells(student: ArchName, scale: Scale, row: string): PaperCells | null {
  if (student === 'edsr' || !['scratch', 'kd', 'dckd'].includes(row)) return null;
  return dckdTable2Row(student, scale, row as DckdTable2Method)?.sets ?? null;
}

/** The job's rows (each trained once), in part order; see the file comment. */
export function dckdRows(preset: PresetName, student: ArchName, scale: Scale, parts: readonly DckdPart[] = DCKD_PARTS): RowSpec[] {
  const pair = backbonePair(preset, student);
  const rcanX2 = student === 'rcan' && scale === 2; // Table 5's setting: its KD and DCKD rows are Table 2's
  const spec = (row: string): RowSpec => {
    const point = sweepPoint(row);
    if (point) {
      const methodOverride: Partial<DckdConfig> = point.sweep === 'negatives'
        ? { negatives: point.value }
        : { historyEvery: [point.value, 2 * point.value, 3 * point.value] };
      return { row, label: point.sweep === 'negatives' ? `N = ${point.value}` : `step ${point.value}`, method: 'dckd', pair, paper: null, methodOverride };
    }
    if (row === 'dcr' || row === 'dmm') {
      return {
        row, label: ROW_LABELS[row], method: 'dckd', pair, paper: rcanX2 ? dckdTable5Row(row).sets : null,
        methodOverride: row === 'dcr' ? { ceWeight: 0 } : { dclWeight: 0 },
      };
    }
    return { row, label: ROW_LABELS[row], method: row as 'scratch' | 'kd' | 'dckd', pair, paper: table2Cells(student, scale, row) };
  };
  const ids: string[] = [];
  for (const p of dckdPartSpecs(student, scale)) if (parts.includes(p.part)) for (const r of p.rows) if (!ids.includes(r)) ids.push(r);
  return ids.map(spec);
}

export interface DckdJobOptions extends ReproduceOptions {
  /** The student backbone (default 'swinir', DCKD's main one). */
  readonly student?: ArchName;
  /** Which parts to train (default all); `onlyRows` narrows further. */
  readonly parts?: readonly DckdPart[];
}

/** A DCKD job's result: a JobResult (job 'dckd') plus the student backbone the part tables need. */
export type DckdJobResult = JobResult & { readonly student: ArchName; readonly parts: readonly DckdPart[] };

/** Trains and scores the DCKD rows (see the file comment). */
export async function reproduceDckd(opts: DckdJobOptions): Promise<DckdJobResult> {
  assertPresetName(opts.preset);
  const student = opts.student ?? 'swinir';
  assertArchName(student);
  const parts = opts.parts ?? DCKD_PARTS;
  for (const p of parts) if (!(DCKD_PARTS as readonly string[]).includes(p)) throw new Error(`unknown DCKD part ${JSON.stringify(p)}; parts: ${DCKD_PARTS.join(', ')}`);
  const scale = opts.scale ?? defaultScale(opts.preset);
  const rows = dckdRows(opts.preset, student, scale, parts);
  if (opts.preset === 'paper') {
    // never present random-feature numbers as a reproduction: the paper preset needs the real VQGAN
    const dckd = selectRows(rows, opts.onlyRows ?? null).find((r) => r.method === 'dckd');
    const cfg = dckd ? rowConfig('paper', { scale, method: 'dckd', pair: dckd.pair, teacherWeights: null, data: opts.data, steps: opts.steps, methodOverride: dckd.methodOverride }) : null;
    if (cfg && cfg.method.kind === 'dckd' && cfg.method.featureWeights === null) {
      throw new Error('reproduce dckd --preset paper needs the VQGAN f16/1024 checkpoint: run `srkd weights download vqgan-f16-1024`, or put ' +
        'vqgan_imagenet_f16_1024.ckpt (or VQGAN_f16_n1024.ckpt) in the directory $SRKD_WEIGHTS names');
    }
  }
  const job = await runJob('dckd', `DCKD Tables 2 and 5, Fig. 8, ${student.toUpperCase()} x${scale} (${opts.preset} preset)`, rows, {
    ...forwardedJobOptions(opts, scale), syntheticPaperSet: 'Urban100',
    paperSource: `DCKD (AAAI 2025): ${dckdPartSpecs(student, scale).filter((p) => parts.includes(p.part)).map((p) => p.paperSource).join('; ')}`,
  });
  return { ...job, student, parts: [...parts] };
}

/** The paper's cell for a row of a part on our set (synthetic and photo sets sit beside Urban100). */
function partPaperCell(job: DckdJobResult, part: DckdPart, row: string, set: string): { readonly set: string; readonly cell: PaperCell | { psnr: number; ssim: null } } | null {
  const paperSet = (PAPER_SETS as readonly string[]).includes(set) ? set : 'Urban100';
  if (part === 'table2') {
    const cells = table2Cells(job.student, job.scale, row);
    const cell = cells ? paperCell(cells, paperSet) : null;
    return cell ? { set: paperSet, cell } : null;
  }
  if (part === 'table5') {
    if (!['kd', 'dcr', 'dmm', 'dckd'].includes(row)) return null;
    const cell = paperCell(dckdTable5Row(row as 'kd').sets, paperSet);
    return cell ? { set: paperSet, cell } : null;
  }
  if (paperSet !== 'Urban100') return null;
  const point = sweepPoint(row) ?? { sweep: part === 'negatives' ? 'negatives' as const : 'historyStep' as const, value: part === 'negatives' ? 5 : 1000 };
  const psnr = dckdFig8Psnr(point.sweep, point.value);
  return psnr === null ? null : { set: 'Urban100', cell: { psnr, ssim: null } };
}

export type DckdPartRow = {
  readonly row: string;
  readonly label: string;
  readonly set: string;
  readonly n: number;
  /** Mean over seeds. */
  readonly psnr: number;
  readonly ssim: number;
  readonly psnrText: string;
  readonly ssimText: string;
  /** PSNR minus the part's baseline row, paired by seed (null for the baseline itself). */
  readonly vsBaseline: ReturnType<typeof pairedDifference> | null;
  readonly paperSet: string | null;
  readonly paperPsnr: number | null;
  readonly paperSsim: number | null;
  /** The paper's PSNR minus its baseline row's, in the same table. */
  readonly paperDelta: number | null;
};

export type DckdPartResult = PartSpec & { readonly rowsOut: readonly DckdPartRow[] };

/** A part's rows with our numbers (mean over seeds), the difference from its baseline and the paper's. */
export function dckdPartRows(job: DckdJobResult, part: DckdPart): DckdPartResult {
  const spec = dckdPartSpecs(job.student, job.scale).find((p) => p.part === part)!;
  const byRowSet = groupBy(job.rows.filter((r) => spec.rows.includes(r.row)), (r) => `${r.row}\u0000${r.set}`);
  const seedsOfRows = (rows: readonly ReproduceRow[]): SeedValue[] => rows.map((r) => ({ seed: r.seed, value: r.psnr })).sort((a, b) => a.seed - b.seed);
  const out: DckdPartRow[] = [];
  for (const id of spec.rows) {
    for (const [key, rows] of byRowSet) {
      if (!key.startsWith(`${id}\u0000`)) continue;
      const set = rows[0].set;
      const base = byRowSet.get(`${spec.baseline}\u0000${set}`);
      const ps = summarize(rows.map((r) => r.psnr));
      const ss = summarize(rows.map((r) => r.ssim));
      const paper = partPaperCell(job, part, id, set);
      const paperBase = partPaperCell(job, part, spec.baseline, set);
      out.push({
        row: id, label: rows[0].label, set, n: ps.n, psnr: ps.mean, ssim: ss.mean, psnrText: formatMeanSd(ps, 3), ssimText: formatMeanSd(ss, 4),
        vsBaseline: id === spec.baseline || !base ? null : pairedDifference(seedsOfRows(rows), seedsOfRows(base)),
        paperSet: paper?.set ?? null, paperPsnr: paper?.cell.psnr ?? null, paperSsim: paper?.cell.ssim ?? null,
        paperDelta: paper && paperBase ? Math.round((paper.cell.psnr - paperBase.cell.psnr) * 100) / 100 : null,
      });
    }
  }
  return { ...spec, rowsOut: out };
}

/** The parts the job trained, with their rows (parts whose rows were all left out by --rows are skipped). */
export function dckdPartResults(job: DckdJobResult): DckdPartResult[] {
  return job.parts.map((p) => dckdPartRows(job, p)).filter((p) => p.rowsOut.length > 0);
}

/** Plain table rows of a part (formatTable / tableHtml). */
export function dckdPartTable(part: DckdPartResult, seeds: number): TableRow[] {
  const base = part.baseline;
  return part.rowsOut.map((r) => ({
    row: r.label,
    set: r.set,
    ...(seeds > 1 ? { n: r.n, 'psnr mean ± sd': r.psnrText, 'ssim mean ± sd': r.ssimText } : { psnr: round(r.psnr, 3), ssim: round(r.ssim, 4) }),
    [`Δ ${base}${seeds > 1 ? ' [95% CI]' : ''}`]: r.vsBaseline ? formatDifference(r.vsBaseline) : '',
    ...(seeds > 1 ? { verdict: r.vsBaseline?.verdict ?? '' } : {}),
    'paper set': r.paperSet,
    'paper psnr': r.paperPsnr,
    'paper ssim': r.paperSsim,
    [`paper Δ ${base}`]: r.row === part.baseline ? null : r.paperDelta,
  }));
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/**
 * Rows that trained the same run (equal configs: at a short run length several history steps scale to the same
 * period), as sentences; [] when every row has its own run.
 */
export function sharedRunNotes(job: JobResult): string[] {
  const byRun = groupBy(job.runs, (r) => r.runId);
  return [...byRun.values()].filter((rs) => new Set(rs.map((r) => r.row)).size > 1)
    .map((rs) => `rows ${[...new Set(rs.map((r) => r.row))].join(', ')} are one run (${rs[0].runId}): at this run length their configs coincide`);
}

/** How many seeds the job trained each row with. */
export function dckdSeedCount(job: DckdJobResult): number {
  return seedsOf(job).length;
}
