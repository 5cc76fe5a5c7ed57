/**
 * Tables of result rows: HTML for notebooks (`showTable`), plain text for terminals (`formatTable`),
 * and `table()` specs that the notebook helper `nb.show` displays.
 */
import { escapeHtml, notebookDisplay } from './plot';

/**
 * Any plain object is a row (interfaces such as result rows included). Cells that are not
 * string/number/boolean show as JSON; null and undefined as empty.
 */
export type TableRow = object;
type Cells = Readonly<Record<string, unknown>>;

export interface TableOptions {
  /** Shown above the table (a caption in HTML). Result tables name their evaluation protocol here. */
  readonly title?: string;
  /** Column order and selection (default: keys in order of first appearance). */
  readonly columns?: readonly string[];
  /** Decimals for non-integer numbers (default 4); tiny or huge values use exponent notation. */
  readonly digits?: number;
}

/** A table to display later, e.g. `nb.show(table(rows, { title }))`. */
export interface TableSpec {
  readonly kind: 'table';
  readonly rows: readonly TableRow[];
  readonly options: TableOptions;
}

export function table(rows: readonly TableRow[], options: TableOptions = {}): TableSpec {
  return { kind: 'table', rows, options };
}

export function isTableSpec(x: unknown): x is TableSpec {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'table' && Array.isArray((x as TableSpec).rows);
}

export function tableColumns(rows: readonly TableRow[], columns?: readonly string[]): string[] {
  if (columns) return [...columns];
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** A number as table text: integers as is, others with `digits` decimals, exponent form outside [1e-3, 1e6). */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(Math.max(1, Math.min(digits, 6) - 1));
  return x.toFixed(digits);
}

function cellText(v: unknown, digits: number): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return formatNumber(v, digits);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const cellOf = (row: TableRow, col: string): unknown => (row as Cells)[col];

/** Per column: every non-empty cell is a number (and there is one). */
function numericColumns(rows: readonly TableRow[], cols: readonly string[]): boolean[] {
  return cols.map(
    (c) => rows.some((r) => typeof cellOf(r, c) === 'number') && rows.every((r) => cellOf(r, c) == null || typeof cellOf(r, c) === 'number'),
  );
}

/**
 * A plain-text table: header, dashes, one line per row; numeric columns right-aligned, others left.
 * A column counts as numeric when every non-empty cell in it is a number.
 */
export function formatTable(rows: readonly TableRow[], options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const cols = tableColumns(rows, options.columns);
  const numeric = numericColumns(rows, cols);
  const body = rows.map((r) => cols.map((c) => cellText(cellOf(r, c), digits)));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((x, i) => (numeric[i] ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  if (options.title) lines.unshift(options.title);
  return lines.join('\n');
}

/** The table as an HTML fragment (numbers right-aligned, text escaped). */
export function tableHtml(rows: readonly TableRow[], options: TableOptions = {}): string {
  const digits = options.digits ?? 4;
  const cols = tableColumns(rows, options.columns);
  const numeric = numericColumns(rows, cols);
  const align = (i: number): string => (numeric[i] ? 'text-align:right;font-variant-numeric:tabular-nums' : 'text-align:left');
  const caption = options.title ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(options.title)}</caption>` : '';
  const head = `<tr>${cols.map((c, i) => `<th style="${align(i)}">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => `<tr>${cols.map((c, i) => `<td style="${align(i)}">${escapeHtml(cellText(cellOf(r, c), digits))}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="srkd-table">${caption}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/** Shows rows as an HTML table in tslab; elsewhere prints the plain-text table to stdout. */
export function showTable(rows: readonly TableRow[], options: TableOptions = {}): void {
  const nb = notebookDisplay();
  if (nb) nb.display.html(tableHtml(rows, options));
  else process.stdout.write(formatTable(rows, options) + '\n');
}
