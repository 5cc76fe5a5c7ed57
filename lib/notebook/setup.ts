/**
 * The first cell of every notebook (notebooks stay thin: this setup, then calls into lib):
 *
 *   const nb = await kit.notebookSetup({ seed: 0 });
 *   nb.show(kit.viz.table(rows, { title }));           // tables, plotly figures, HTML, PNG bytes
 *   await kit.train(cfg, { onProgress: nb.progress() }); // one live line
 *
 * Works in a tslab kernel, under scripts/nbrun.js, and in plain Node (tables as text, progress on stderr).
 */
import { describeBackend, initBackend, type BackendInfo, type BackendName } from '../backend/index';
import { checkDataRoot } from '../data/data-check';
import { defaultDataRoot } from '../data/data-root';
import type { JobEvent } from '../reproduce/job';
import { jobProgress } from '../reproduce/job-progress';
import { formatDuration } from '../util/progress';
import { Rng } from '../util/rng';
import { notebookDisplay, showPlot, type NotebookDisplay, type PlotFigure } from '../viz/plot';
import { isTableSpec, showTable, type TableRow, type TableSpec } from '../viz/table';

export interface NotebookSetupOptions {
  /** Seed of `nb.rng` (default 0). */
  readonly seed?: number;
  /** Overrides SRKD_BACKEND. */
  readonly backend?: BackendName;
  /** Print the environment lines (default true). */
  readonly quiet?: boolean;
  /** Print one line on which datasets are present under the data root (default true; folder listings only). */
  readonly dataCheck?: boolean;
}

/** What `progress()` callbacks accept: a training progress event (the trainer's `onProgress` payload), or any text. */
export interface ProgressEventLike {
  readonly step: number;
  readonly totalSteps?: number;
  readonly terms?: Readonly<Record<string, number>>;
  readonly learningRate?: number;
  readonly secPerStep?: number;
  readonly etaSec?: number;
  readonly numTensors?: number;
}

export interface ProgressLineOptions {
  /** Text before the numbers, e.g. 'fakd'. */
  readonly label?: string;
  /** Least time between redraws (default 250 ms in a notebook, 100 ms on a TTY, 10 s in a log). */
  readonly minIntervalMs?: number;
}

/** Things `show` displays: table specs and row arrays, plotly figures, HTML strings / {html}, PNG bytes. */
export type Showable = TableSpec | PlotFigure | readonly TableRow[] | string | { readonly html: string } | Uint8Array;

export interface NotebookHelpers {
  readonly backend: BackendInfo;
  readonly seed: number;
  /** A generator seeded with `seed`, for notebook-level sampling. */
  readonly rng: Rng;
  /** True inside a tslab kernel (or scripts/nbrun.js). */
  readonly inNotebook: boolean;
  show(x: Showable): void;
  progress(options?: ProgressLineOptions): (event: ProgressEventLike | string) => void;
  /** A progress line fed by a reproduce job's events (`onProgress` of kit.reproduce*). */
  jobProgress(options?: ProgressLineOptions): (event: JobEvent) => void;
}

export async function notebookSetup(options: NotebookSetupOptions = {}): Promise<NotebookHelpers> {
  const seed = options.seed ?? 0;
  const backend = await initBackend({ backend: options.backend, announce: false });
  const inNotebook = notebookDisplay() !== null;
  if (!options.quiet) {
    console.log(`srkd: ${describeBackend(backend)}`);
    console.log(`seed ${seed}, cwd ${process.cwd()}${inNotebook ? ', tslab' : ''}`);
    if (options.dataCheck !== false) console.log(dataLine());
  }
  return {
    backend,
    seed,
    rng: new Rng(seed),
    inNotebook,
    show,
    progress: progressLine,
    jobProgress: (opts?: ProgressLineOptions) => jobProgress(progressLine(opts)),
  };
}

/** e.g. `data ./data: complete DIV2K-train, Set5; partial Set14; absent B100, Urban100` (`srkd data check` for details). */
function dataLine(): string {
  try {
    const root = defaultDataRoot();
    const rows = checkDataRoot(root);
    const groups = (['complete', 'partial', 'absent'] as const)
      .map((status) => [status, rows.filter((r) => r.status === status).map((r) => r.name)] as const)
      .filter(([, names]) => names.length > 0)
      .map(([status, names]) => `${status} ${names.join(', ')}`);
    return `data ${root}: ${groups.join('; ') || 'no known datasets'}`;
  } catch (err) {
    return `data: check failed (${(err as Error).message})`;
  }
}

/** Displays a table, figure, HTML or PNG; outside a notebook, tables print as text and HTML is summarised. */
export function show(x: Showable): void {
  const nb = notebookDisplay();
  if (isTableSpec(x)) return showTable(x.rows, x.options);
  if (Array.isArray(x)) return showTable(x as readonly TableRow[]);
  if (x instanceof Uint8Array) {
    if (nb) nb.display.png(x);
    else process.stdout.write(`[PNG image, ${x.length} bytes]\n`);
    return;
  }
  if (typeof x === 'string' || (typeof x === 'object' && x !== null && typeof (x as { html?: unknown }).html === 'string')) {
    const html = typeof x === 'string' ? x : (x as { html: string }).html;
    if (nb) nb.display.html(html);
    else process.stdout.write(`[HTML, ${html.length} characters]\n`);
    return;
  }
  if (typeof x === 'object' && x !== null && Array.isArray((x as PlotFigure).data)) return showPlot(x as PlotFigure);
  throw new Error('show: expected a table(...) spec, an array of rows, a plotly figure {data, layout}, HTML, or PNG bytes');
}

function num(x: number): string {
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toPrecision(4);
}

/** One line for a progress event: `label step 120/1000 12%  l1 0.0312  lr 2.00e-4  0.41 s/step  ETA 6:01  312 tensors`. */
export function formatProgressEvent(e: ProgressEventLike | string, label = ''): string {
  if (typeof e === 'string') return label ? `${label} ${e}` : e;
  const parts: string[] = [];
  if (label) parts.push(label);
  const total = e.totalSteps !== undefined && e.totalSteps > 0 ? e.totalSteps : 0;
  parts.push(total ? `step ${e.step}/${total} ${Math.floor((100 * e.step) / total)}%` : `step ${e.step}`);
  for (const [k, v] of Object.entries(e.terms ?? {})) parts.push(`${k} ${num(v)}`);
  if (e.learningRate !== undefined) parts.push(`lr ${e.learningRate.toExponential(2)}`);
  if (e.secPerStep !== undefined) parts.push(`${e.secPerStep.toFixed(2)} s/step`);
  if (e.etaSec !== undefined) parts.push(`ETA ${formatDuration(e.etaSec)}`);
  if (e.numTensors !== undefined) parts.push(`${e.numTensors} tensors`);
  return parts.join('  ');
}

/**
 * An onProgress callback that keeps one live line: an updatable display in tslab, `\r`-redrawn on a
 * TTY, and a plain line every 10 s otherwise (logs stay short). The last step is always shown.
 */
export function progressLine(options: ProgressLineOptions = {}): (event: ProgressEventLike | string) => void {
  const nb = notebookDisplay();
  const tty = !nb && process.stderr.isTTY === true;
  const interval = options.minIntervalMs ?? (nb ? 250 : tty ? 100 : 10_000);
  let line: NotebookDisplay | null = null;
  let last = -Infinity;
  let lastText = '';
  return (event) => {
    const final = typeof event !== 'string' && event.totalSteps !== undefined && event.step >= event.totalSteps;
    const now = performance.now();
    if (!final && now - last < interval) return;
    const text = formatProgressEvent(event, options.label);
    if (text === lastText && !final) return;
    last = now;
    lastText = text;
    if (nb) {
      line ??= nb.newDisplay();
      line.text(text);
    } else if (tty) {
      process.stderr.write(`\r\x1b[K${text}${final ? '\n' : ''}`);
    } else {
      process.stderr.write(`${text}\n`);
    }
  };
}
