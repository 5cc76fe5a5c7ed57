/**
 * Plotly figures that render offline: inline in tslab notebooks (and in the HTML made from saved
 * notebooks), and in standalone report pages. Scripts go inside HTML output because nbconvert drops
 * `display.javascript`.
 *
 * - In a kernel session, the first figure inlines plotly.js-dist-min (≈4.8 MB) once; later figures
 *   wait for `window.Plotly` (up to 15 s) and otherwise ask to re-run the first plot.
 * - `plotPage` builds a standalone page with the bundle embedded once, for report files.
 * - Inlined script text has `</script` and `<!--` made inert, and figure JSON escapes `<`.
 *
 * Also home of the tslab detection the notebook helpers share (`notebookDisplay`).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';

/** A plotly figure as plain JSON: traces, layout and config (https://plotly.com/javascript/reference/). */
export interface PlotFigure {
  readonly data: readonly object[];
  readonly layout?: object;
  readonly config?: object;
}

export interface PlotHtmlOptions {
  /**
   * 'auto' (default): inline plotly.js only for the first figure of this process (the kernel
   * session); 'inline': always; 'none': never (the page provides window.Plotly).
   */
  readonly bundle?: 'auto' | 'inline' | 'none';
  /** CSS height of the figure box (default '450px', plotly's default height). */
  readonly height?: string;
}

/** The part of tslab's display API used here (tslab's own types stay out of lib/). */
export interface NotebookDisplay {
  html(s: string): void;
  text(s: string): void;
  png(b: Uint8Array): void;
}

export interface NotebookApi {
  readonly display: NotebookDisplay;
  /** A display that each call overwrites in place (one live line). */
  newDisplay(): NotebookDisplay;
}

/** How long a later figure waits for the first figure's plotly.js to load. */
export const PLOTLY_WAIT_MS = 15_000;

const BUNDLE_SENT = Symbol.for('srkd.viz.plotlyBundleSent');
type SessionGlobal = { [BUNDLE_SENT]?: boolean; __tslab__?: unknown };
let bundleText: string | null = null;

/** Resolves packages from the project root (process.cwd()), as everywhere in lib/. */
function projectRequire(): ReturnType<typeof createRequire> {
  return createRequire(path.join(process.cwd(), 'package.json'));
}

/**
 * tslab's display API when this code runs inside a tslab kernel (or scripts/nbrun.js), else null.
 * `require('tslab')` alone is no test: the package is installed, and loads outside a kernel too.
 */
export function notebookDisplay(): NotebookApi | null {
  if ((globalThis as SessionGlobal).__tslab__ === undefined) return null;
  try {
    return projectRequire()('tslab') as NotebookApi;
  } catch {
    return null;
  }
}

/** Makes text safe to place between <script> and </script>: it can neither close nor comment out the element. */
export function inertScriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON that is also a safe script literal (`<` as \u003c; U+2028/2029 escaped). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** plotly.js-dist-min's source, made inert for inlining (read once per process). */
export function plotlyBundle(): string {
  if (bundleText === null) {
    const file = projectRequire().resolve('plotly.js-dist-min');
    bundleText = inertScriptText(fs.readFileSync(file, 'utf8'));
  }
  return bundleText;
}

/** The bundle as one <script> element. */
export function plotlyScriptTag(): string {
  return `<script type="text/javascript">${plotlyBundle()}</script>`;
}

/** Forget that this session inlined the bundle (tests; a fresh page). */
export function resetPlotSession(): void {
  (globalThis as SessionGlobal)[BUNDLE_SENT] = false;
}

function figureScript(id: string, fig: PlotFigure): string {
  const config = { responsive: true, displaylogo: false, ...(fig.config ?? {}) };
  const spec = scriptJson({ data: fig.data, layout: fig.layout ?? {}, config });
  const missing = scriptJson(
    'plotly.js is not loaded: re-run the first plot cell of this notebook (it embeds the library once per kernel session).',
  );
  return `<script type="text/javascript">
(function () {
  var id = ${scriptJson(id)}, fig = ${spec}, t0 = Date.now();
  function draw() {
    var el = document.getElementById(id);
    if (el && window.Plotly) { window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); return; }
    if (Date.now() - t0 > ${PLOTLY_WAIT_MS}) { if (el) el.textContent = ${missing}; return; }
    setTimeout(draw, 100);
  }
  draw();
})();
</script>`;
}

/** One figure as an HTML fragment: `<div class="plotly-figure">` and its scripts. */
export function plotHtml(fig: PlotFigure, options: PlotHtmlOptions = {}): string {
  if (!fig || !Array.isArray(fig.data)) throw new Error('plotHtml: figure needs a `data` array of traces');
  const session = globalThis as SessionGlobal;
  const mode = options.bundle ?? 'auto';
  const inline = mode === 'inline' || (mode === 'auto' && !session[BUNDLE_SENT]);
  if (mode === 'auto' && inline) session[BUNDLE_SENT] = true;
  const id = `plotly-${randomBytes(6).toString('hex')}`;
  const height = options.height ?? '450px';
  const div = `<div class="plotly-figure" id="${id}" style="width:100%;min-height:${escapeAttr(height)}"></div>`;
  return `${div}\n${inline ? plotlyScriptTag() + '\n' : ''}${figureScript(id, fig)}`;
}

/** Shows a figure in tslab; elsewhere prints a one-line note (use `plotPage` for files). */
export function showPlot(fig: PlotFigure, options: PlotHtmlOptions = {}): void {
  const nb = notebookDisplay();
  if (nb) {
    nb.display.html(plotHtml(fig, options));
    return;
  }
  const title = figureTitle(fig);
  process.stdout.write(`[plotly figure${title ? ` '${title}'` : ''}: ${fig.data.length} trace(s); not in a notebook, use plotPage() for an HTML file]\n`);
}

/** A standalone HTML page with the plotly bundle embedded once and every figure. */
export function plotPage(figs: readonly PlotFigure[], title = 'srkd report'): string {
  const body = figs.map((f) => plotHtml(f, { bundle: 'none' })).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body { font-family: sans-serif; margin: 1.5em; } .plotly-figure { margin-bottom: 1.5em; }</style>
${plotlyScriptTag()}
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** Writes `plotPage(figs, title)` to `file` (directories are created); returns the path. */
export function savePlotPage(file: string, figs: readonly PlotFigure[], title?: string): string {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, plotPage(figs, title));
  return file;
}

function figureTitle(fig: PlotFigure): string {
  const t = (fig.layout as { title?: unknown } | undefined)?.title;
  if (typeof t === 'string') return t;
  if (t && typeof t === 'object' && typeof (t as { text?: unknown }).text === 'string') return (t as { text: string }).text;
  return '';
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeHtml(s).replace(/"/g, '&quot;');
}
