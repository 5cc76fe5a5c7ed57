/**
 * Figure 4 style data (DUKD-v2): PSNR gain of each distillation method over Scratch against the student's
 * parameter count. Two point sources:
 *  - ours: the non-scratch rows of a main-comparison job on its first held-out set, x = the student's
 *    parameter count (analytic, lib/models/complexity.ts); with several seeds the gain is the mean difference
 *    paired by seed, drawn with its 95 % confidence interval as a whisker;
 *  - paper: DUKD-v2 Table 2 at one scale and set (default: the job's scale, Urban100), x = the paper's Table 1
 *    student size (printed for x4; the x2/x3 students differ only in the upsampler).
 * Gains, not absolute PSNR, are compared: our nets, data and step counts differ from the paper's.
 */
import { analyticComplexity } from '../models/archs/index';
import type { ArchConfig } from '../models/types';
import { ZOO } from '../models/zoo';
import { ciErrorY } from '../viz/error-bars';
import type { PlotFigure } from '../viz/plot';
import type { Scale } from '../types';
import type { JobResult } from './job';
import { TABLE2, type PaperBackbone, type PaperSet } from './paper-numbers';
import { primaryRows } from './report';
import { rowSeedStats } from './seed-table';

export type GainPoint = {
  readonly source: 'ours' | 'paper';
  /** 'edsr' | 'rcan' | 'swinir' (the student's backbone). */
  readonly backbone: string;
  /** Row label ('KD', 'FAKD', 'DUKD', ...). */
  readonly method: string;
  readonly params: number;
  /** PSNR(method) - PSNR(Scratch) in dB on `set`. */
  readonly gain: number;
  /** 95 % confidence interval of `gain` over seeds (ours with several seeds), else null. */
  readonly ci: readonly [number, number] | null;
  readonly set: string;
  readonly scale: Scale;
};

const PAPER_LABEL: Readonly<Record<string, string>> = { kd: 'KD', fakd: 'FAKD', csd: 'CSD', dukd: 'DUKD' };

/** Our points: each distilled row's gain over the Scratch row of the same job (first held-out set). */
export function ourGainPoints(job: JobResult, student: ArchConfig): GainPoint[] {
  const stats = rowSeedStats({ rows: primaryRows(job) });
  if (!stats.some((r) => r.method === 'scratch')) return [];
  const params = analyticComplexity(student, job.scale, 8, 8).params;
  return stats.flatMap((r) => (r.vsScratch ? [{
    source: 'ours' as const, backbone: student.arch, method: r.label, params, gain: r.vsScratch.mean, ci: r.vsScratch.ci, set: r.set, scale: job.scale,
  }] : []));
}

/** The paper's points: Table 2 gains over Scratch per backbone at `scale` on `set`, x = Table 1 student params. */
export function paperGainPoints(scale: Scale, set: PaperSet = 'Urban100'): GainPoint[] {
  const out: GainPoint[] = [];
  for (const backbone of ['edsr', 'rcan', 'swinir'] as PaperBackbone[]) {
    // the unverified SwinIR x2 DUKD row (it repeats RCAN's x2 Scratch row) is left out
    const rows = TABLE2.filter((r) => r.scale === scale && r.backbone === backbone && r.status === 'V');
    const base = rows.find((r) => r.method === 'scratch')?.sets[set];
    const size = ZOO[`${backbone}-student`].paperTable1;
    if (!base || !size) continue;
    for (const r of rows) {
      const cell = r.sets[set];
      if (r.method === 'scratch' || !cell) continue;
      out.push({ source: 'paper', backbone, method: PAPER_LABEL[r.method] ?? r.method, params: size.paramsM * 1e6, gain: cell.psnr - base.psnr, ci: null, set, scale });
    }
  }
  return out;
}

export interface GainVsParamsOptions {
  /** The job's student architecture (JobResult does not carry it; e.g. backbonePair(preset, 'edsr').student). */
  readonly student: ArchConfig;
  /** Paper column (default Urban100, where Table 2's gaps are largest). */
  readonly paperSet?: PaperSet;
  /** Paper scale (default the job's). */
  readonly paperScale?: Scale;
}

/** Ours and the paper's points for a main-comparison job. */
export function gainVsParams(job: JobResult, opts: GainVsParamsOptions): GainPoint[] {
  return [...ourGainPoints(job, opts.student), ...paperGainPoints(opts.paperScale ?? job.scale, opts.paperSet)];
}

/** A plotly scatter: x = student parameters (log axis), y = gain over Scratch; one trace per source and method. */
export function gainVsParamsFigure(points: readonly GainPoint[], title = 'PSNR gain over Scratch vs student parameters'): PlotFigure {
  const symbols: Readonly<Record<string, string>> = { ours: 'circle', paper: 'diamond' };
  // one colour per method across sources (plotly's first colours), so ours and the paper's pair up
  const colours: Readonly<Record<string, string>> = { KD: '#1f77b4', FAKD: '#ff7f0e', CSD: '#9467bd', DUKD: '#2ca02c', AugKD: '#d62728' };
  const keys = [...new Set(points.map((p) => `${p.source}\u0000${p.method}`))];
  const data = keys.map((k) => {
    const [source, method] = k.split('\u0000');
    const pts = points.filter((p) => p.source === source && p.method === method);
    const where = pts[0] ? `${pts[0].set}, x${pts[0].scale}` : '';
    const withCi = pts.some((p) => p.ci);
    return {
      type: 'scatter', mode: 'markers+text', name: `${source}: ${method} (${where})`,
      x: pts.map((p) => p.params), y: pts.map((p) => p.gain),
      text: pts.map((p) => (source === 'paper' ? p.backbone.toUpperCase() : `${p.backbone.toUpperCase()} (ours)`)), textposition: 'top center',
      marker: { size: 11, symbol: symbols[source] ?? 'circle', color: colours[method] ?? colours[method.split(/[ *]/)[0]] }, // 'FAKD (…)', 'FAKD* (…)': FAKD's colour
      ...(withCi ? { error_y: ciErrorY(pts.map((p) => p.gain), pts.map((p) => p.ci)) } : {}),
    };
  });
  return {
    data,
    layout: {
      title: { text: title }, height: 460,
      xaxis: { title: { text: 'student parameters' }, type: 'log' },
      yaxis: { title: { text: 'Δ PSNR over Scratch (dB)' }, zeroline: true },
    },
  };
}
