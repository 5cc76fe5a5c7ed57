/**
 * Heatmaps as plotly specs (rendered offline like every figure of lib/viz): one matrix, or several side by side
 * on a shared colour scale (e.g. the teacher's and the student's code maps).
 */
import type { PlotFigure } from './plot';

export interface HeatmapOptions {
  readonly title: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Colour range (default: the data's). Shared by every panel of heatmapPanels. */
  readonly zmin?: number;
  readonly zmax?: number;
  readonly colorscale?: string;
  /** Row 0 at the top, as in an image (default true). */
  readonly imageRows?: boolean;
}

/** One panel of heatmapPanels: its matrix (rows of equal length) and title. */
export type HeatmapPanel = { readonly z: readonly (readonly number[])[]; readonly title: string };

function check(z: readonly (readonly number[])[], what: string): void {
  if (z.length === 0 || z[0].length === 0) throw new Error(`${what}: empty matrix`);
  if (!z.every((r) => r.length === z[0].length)) throw new Error(`${what}: rows of different lengths`);
}

/** Panels side by side with one colour bar (see the file comment). */
export function heatmapPanels(panels: readonly HeatmapPanel[], opts: HeatmapOptions): PlotFigure {
  if (panels.length === 0) throw new Error('heatmapPanels: no panels');
  panels.forEach((p) => check(p.z, `heatmap '${p.title}'`));
  const all = panels.flatMap((p) => p.z.flat());
  const zmin = opts.zmin ?? Math.min(...all);
  const zmax = opts.zmax ?? Math.max(...all);
  const gap = 0.04;
  const w = (1 - gap * (panels.length - 1)) / panels.length;
  const layout: Record<string, unknown> = { title: { text: opts.title }, annotations: [] as object[] };
  const data = panels.map((p, i) => {
    const ax = i === 0 ? '' : String(i + 1);
    layout[`xaxis${ax}`] = { domain: [i * (w + gap), i * (w + gap) + w], title: { text: opts.xTitle ?? '' }, anchor: `y${ax}` };
    layout[`yaxis${ax}`] = { anchor: `x${ax}`, title: { text: i === 0 ? opts.yTitle ?? '' : '' }, autorange: opts.imageRows === false ? true : 'reversed' };
    (layout.annotations as object[]).push({ text: p.title, x: i * (w + gap) + w / 2, y: 1.06, xref: 'paper', yref: 'paper', showarrow: false, xanchor: 'center' });
    return {
      type: 'heatmap', z: p.z, zmin, zmax, colorscale: opts.colorscale ?? 'Viridis', showscale: i === panels.length - 1,
      xaxis: `x${ax}`, yaxis: `y${ax}`, name: p.title,
    };
  });
  return { data, layout };
}

/** One matrix as a heatmap. */
export function heatmap(z: readonly (readonly number[])[], opts: HeatmapOptions): PlotFigure {
  return heatmapPanels([{ z, title: '' }], opts);
}
