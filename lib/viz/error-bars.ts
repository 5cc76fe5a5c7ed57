/**
 * Plotly traces that show spread over seeds: a curve as its mean with a band (mean ± sample sd over the runs), and
 * error bars from a standard deviation or from a confidence interval. With one run the band helpers return the
 * plain curve, so single-seed figures look as they always did.
 */
import { summarize } from '../stats/seed-stats';

/** Plotly's default colour sequence (so a band and its line share the colour plotly would give the line). */
export const PLOT_COLOURS: readonly string[] = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** One run's curve. */
export type Series = { readonly x: readonly number[]; readonly y: readonly number[] };

export type MeanCurve = { readonly x: number[]; readonly mean: number[]; readonly sd: (number | null)[]; readonly n: number };

/**
 * Mean and sd over runs at the x values every run has (ascending). A run that logged an x twice (resumed after a
 * kill: the steps after its last checkpoint are logged again) counts with its last value.
 */
export function meanCurve(series: readonly Series[]): MeanCurve {
  const maps = series.map((s) => {
    const m = new Map<number, number>();
    s.x.forEach((x, i) => m.set(x, s.y[i]));
    return m;
  });
  const xs = maps.length ? [...maps[0].keys()].filter((x) => maps.every((m) => m.has(x))).sort((a, b) => a - b) : [];
  const mean: number[] = [];
  const sd: (number | null)[] = [];
  for (const x of xs) {
    const s = summarize(maps.map((m) => m.get(x) as number));
    mean.push(s.mean);
    sd.push(s.sd);
  }
  return { x: xs, mean, sd, n: series.length };
}

/** Translucent version of a #rrggbb colour. */
export function translucent(hex: string, alpha: number): string {
  const v = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!v) throw new Error(`translucent: expected a #rrggbb colour (got '${hex}')`);
  const n = parseInt(v[1], 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export interface BandOptions {
  readonly colour: string;
  /** Trace mode of the mean line (default 'lines'). */
  readonly mode?: string;
  /** Keep the band's lower edge above 0 (for log axes): at least `mean / 10`. */
  readonly positive?: boolean;
}

/**
 * Traces for one curve: with several runs, the band mean ± sd (two edge traces, filled between) and the mean line
 * `name (mean ± sd, n=N)`; with one run, its line alone.
 */
export function meanBandTraces(name: string, series: readonly Series[], opts: BandOptions): object[] {
  const mode = opts.mode ?? 'lines';
  if (series.length === 1) return [{ type: 'scatter', mode, name, x: [...series[0].x], y: [...series[0].y], line: { color: opts.colour } }];
  const c = meanCurve(series);
  const lowEdge = c.mean.map((m, i) => {
    const low = m - (c.sd[i] ?? 0);
    return opts.positive ? Math.max(low, m / 10) : low;
  });
  const highEdge = c.mean.map((m, i) => m + (c.sd[i] ?? 0));
  const edge = { type: 'scatter', mode: 'lines', x: c.x, line: { width: 0, color: opts.colour }, legendgroup: name, showlegend: false, hoverinfo: 'skip' };
  return [
    { ...edge, name: `${name} - sd`, y: lowEdge },
    { ...edge, name: `${name} + sd`, y: highEdge, fill: 'tonexty', fillcolor: translucent(opts.colour, 0.2) },
    { type: 'scatter', mode, name: `${name} (mean ± sd, n=${c.n})`, legendgroup: name, x: c.x, y: c.mean, line: { color: opts.colour } },
  ];
}

/** Plotly `error_y` for bars at `mean` with intervals `ci` ([low, high] or null: no whisker). */
export function ciErrorY(mean: readonly (number | null)[], ci: readonly (readonly [number, number] | null)[]): object {
  return {
    type: 'data', symmetric: false, visible: true,
    array: ci.map((c, i) => (c && mean[i] !== null ? c[1] - (mean[i] as number) : 0)),
    arrayminus: ci.map((c, i) => (c && mean[i] !== null ? (mean[i] as number) - c[0] : 0)),
  };
}

/** Plotly `error_y` of ± sd (null: no whisker). */
export function sdErrorY(sd: readonly (number | null)[]): object {
  return { type: 'data', visible: true, array: sd.map((s) => s ?? 0) };
}
