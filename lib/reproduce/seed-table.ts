/**
 * A job's results over seeds: per row and held-out set, PSNR/SSIM as mean +- sample sd over the seeds, and the
 * row's PSNR difference from Scratch and from KD paired by seed, with a 95 % Student t interval and a verdict
 * (lib/stats/seed-stats.ts). With one seed the differences have no interval and the verdict reads 'single run'.
 */
import { pairedDifference, summarize, type PairedDifference, type SeedSummary, type SeedValue } from '../stats/seed-stats';
import type { TableRow } from '../viz/table';
import type { AgreementRow, JobResult, PaperScore, ReproduceRow } from './job';

export type RowSeedStats = {
  readonly row: string;
  readonly label: string;
  readonly method: string;
  readonly set: string;
  readonly psnr: SeedSummary;
  readonly ssim: SeedSummary;
  /** PSNR per seed, ascending by seed. */
  readonly perSeed: readonly SeedValue[];
  /** PSNR(row) - PSNR(Scratch) paired by seed; null for Scratch itself or a job without a Scratch row. */
  readonly vsScratch: PairedDifference | null;
  /** PSNR(row) - PSNR(KD) paired by seed; null for KD itself, Scratch, or a job without a KD row. */
  readonly vsKd: PairedDifference | null;
  readonly paper: PaperScore | null;
  readonly paperSet: string | null;
};

/** The distinct seeds of a job's rows, ascending (rows from a job.json written before seeds count as seed 0). */
export function seedsOf(job: Pick<JobResult, 'rows'>): number[] {
  return [...new Set(job.rows.map((r) => r.seed ?? 0))].sort((a, b) => a - b);
}

/** Whether the job trained its rows with more than one seed. */
export function hasSeedSpread(job: Pick<JobResult, 'rows'>): boolean {
  return seedsOf(job).length > 1;
}

/** Groups entries by key in first-appearance order. */
export function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = out.get(k);
    if (g) g.push(x);
    else out.set(k, [x]);
  }
  return out;
}

const bySeed = (rows: readonly ReproduceRow[]): SeedValue[] =>
  rows.map((r) => ({ seed: r.seed ?? 0, value: r.psnr })).sort((a, b) => a.seed - b.seed);

/** Per row and set (job order): mean/sd/n and the paired differences from Scratch and from KD. */
export function rowSeedStats(job: Pick<JobResult, 'rows'>, level = 0.95): RowSeedStats[] {
  const groups = groupBy(job.rows, (r) => `${r.row}\u0000${r.set}`);
  const baseline = (method: string, set: string): SeedValue[] | null => {
    const rows = job.rows.filter((r) => r.method === method && r.set === set);
    return rows.length ? bySeed(rows) : null;
  };
  const out: RowSeedStats[] = [];
  for (const rows of groups.values()) {
    const first = rows[0];
    const perSeed = bySeed(rows);
    const scratch = first.method === 'scratch' ? null : baseline('scratch', first.set);
    const kd = first.method === 'scratch' || first.method === 'kd' ? null : baseline('kd', first.set);
    out.push({
      row: first.row, label: first.label, method: first.method, set: first.set,
      psnr: summarize(rows.map((r) => r.psnr)), ssim: summarize(rows.map((r) => r.ssim)), perSeed,
      vsScratch: scratch ? pairedDifference(perSeed, scratch, level) : null,
      vsKd: kd ? pairedDifference(perSeed, kd, level) : null,
      paper: first.paper, paperSet: first.paperSet,
    });
  }
  return out;
}

const signed = (x: number, d: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;

/** `27.703 ± 0.012` (just the mean for one seed). */
export function formatMeanSd(s: SeedSummary, digits = 3): string {
  return s.sd === null ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
}

/** `+0.117 [-0.073, +0.306]` (just the difference for one seed). */
export function formatDifference(d: PairedDifference, digits = 3): string {
  return d.ci === null ? signed(d.mean, digits) : `${signed(d.mean, digits)} [${signed(d.ci[0], digits)}, ${signed(d.ci[1], digits)}]`;
}

/**
 * The table of a multi-seed job: one line per row and set with PSNR and SSIM as mean ± sd, n, the differences
 * from Scratch and KD (mean [95 % CI], paired by seed) with their verdicts, and the paper's PSNR and gain.
 */
export function seedComparisonTable(job: Pick<JobResult, 'rows'>): TableRow[] {
  const stats = rowSeedStats(job);
  const hasKd = stats.some((s) => s.method === 'kd');
  const paperScratch = new Map(stats.filter((s) => s.method === 'scratch').map((s) => [s.set, s.paper]));
  return stats.map((s) => {
    const base = paperScratch.get(s.set) ?? null;
    const kd = hasKd ? { 'Δ KD [95% CI]': s.vsKd ? formatDifference(s.vsKd) : '', 'vs KD': s.vsKd?.verdict ?? '' } : {};
    return {
      row: s.label, set: s.set, 'psnr mean ± sd': formatMeanSd(s.psnr, 3), 'ssim mean ± sd': formatMeanSd(s.ssim, 4), n: s.psnr.n,
      'Δ scratch [95% CI]': s.vsScratch ? formatDifference(s.vsScratch) : '', 'vs scratch': s.vsScratch?.verdict ?? '',
      ...kd,
      'paper set': s.paperSet, 'paper psnr': s.paper ? s.paper.psnr : null,
      'paper Δ': s.paper && base ? Math.round((s.paper.psnr - base.psnr) * 100) / 100 : null,
    };
  });
}

export type AgreementStats = {
  readonly row: string;
  readonly method: string;
  readonly train: SeedSummary;
  readonly heldOut: readonly { readonly set: string; readonly psnr: SeedSummary }[];
};

/** Teacher-student agreement per row as mean/sd over the row's seeds (job order). */
export function agreementStats(agreement: readonly AgreementRow[]): AgreementStats[] {
  return [...groupBy(agreement, (a) => a.row).values()].map((as) => ({
    row: as[0].row, method: as[0].method, train: summarize(as.map((a) => a.trainPsnr)),
    heldOut: as[0].heldOut.map((h, i) => ({ set: h.set, psnr: summarize(as.map((a) => a.heldOut[i].psnr)) })),
  }));
}
