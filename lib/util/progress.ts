/**
 * A small terminal progress line: `label [#####.....] 12/40 tiles  3.1 tiles/s  ETA 0:09  <extra>`.
 *
 * On a TTY the line is redrawn in place (`\r` + clear to end of line), at most every `redrawMs`. On anything
 * else (a pipe, a log file, CI) it prints a plain line at most every `plainEveryMs`, so logs stay short; the
 * final line is always printed by `done()`. Rate and ETA are measured from the first `tick` (so start-up
 * work before it, e.g. loading a model, does not count; until a second tick it is measured from creation).
 * The clock is injectable for tests.
 */

/** Where the line goes: process.stderr by default; only `write` and `isTTY` are used. */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface ProgressOptions {
  /** Total units of work; 0 or undefined = unknown (no bar, no ETA). */
  readonly total?: number;
  /** Text at the start of the line, e.g. 'upscale baby.png'. */
  readonly label?: string;
  /** Unit name, e.g. 'tiles', 'steps', 'images' (default 'it'). */
  readonly unit?: string;
  readonly stream?: ProgressStream;
  /** Redraw interval on a TTY (default 100 ms). */
  readonly redrawMs?: number;
  /** Interval between plain lines when not a TTY (default 10 s). */
  readonly plainEveryMs?: number;
  /** Bar width in characters (default 24; 0 hides the bar). */
  readonly barWidth?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
}

export interface Progress {
  /** Adds `n` (default 1) finished units; `extra` replaces the text shown after the ETA. */
  tick(n?: number, extra?: string): void;
  /** Sets the done count (e.g. after a resume) without adding to the rate. */
  set(done: number, extra?: string): void;
  /** Prints the final line (and a newline on a TTY). Later calls do nothing. */
  done(extra?: string): void;
  /** Current state: done units, rate (units/s), ETA in seconds (null: unknown), seconds since creation. */
  state(): { done: number; total: number; rate: number; etaSec: number | null; elapsedSec: number };
}

/** `m:ss`, or `h:mm:ss` from one hour; '?' for non-finite values. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const two = (v: number): string => String(v).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/** A rate with 3 significant digits, e.g. '0.123', '3.10', '45.2', '1234'. */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '0';
  if (rate >= 100) return rate.toFixed(0);
  if (rate >= 10) return rate.toFixed(1);
  if (rate >= 1) return rate.toFixed(2);
  return rate.toPrecision(3);
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream: ProgressStream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = opts.now ?? (() => performance.now());
  const total = opts.total !== undefined && opts.total > 0 ? opts.total : 0;
  const unit = opts.unit ?? 'it';
  const barWidth = opts.barWidth ?? 24;
  const interval = tty ? (opts.redrawMs ?? 100) : (opts.plainEveryMs ?? 10_000);
  const created = now();
  let startAt: number | null = null; // time of the first tick
  let startDone = 0; // done count at that time
  let jumped = 0; // units set() added before the first tick: done before this bar existed, not measured
  let count = 0;
  let extraText = '';
  let lastDraw = -Infinity;
  let finished = false;
  let lastLen = 0;

  const state = (): ReturnType<Progress['state']> => {
    const t = now();
    const elapsedSec = (t - created) / 1000;
    const runSec = startAt === null ? 0 : (t - startAt) / 1000;
    // from the first tick (that tick's own units excluded); until a second tick, from creation
    const rate = runSec > 0 && count > startDone
      ? (count - startDone) / runSec
      : elapsedSec > 0 && count > jumped ? (count - jumped) / elapsedSec : 0;
    const etaSec = total > 0 && rate > 0 ? Math.max(0, total - count) / rate : total > 0 && count >= total ? 0 : null;
    return { done: count, total, rate, etaSec, elapsedSec };
  };

  const line = (final: boolean): string => {
    const st = state();
    const parts: string[] = [];
    if (opts.label) parts.push(opts.label);
    if (total > 0 && barWidth > 0) {
      const filled = Math.min(barWidth, Math.floor((barWidth * Math.min(count, total)) / total));
      parts.push(`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`);
    }
    parts.push(total > 0 ? `${count}/${total} ${unit}` : `${count} ${unit}`);
    if (st.rate > 0) parts.push(`${formatRate(st.rate)} ${unit}/s`);
    if (final) parts.push(`in ${formatDuration(st.elapsedSec)}`);
    else if (st.etaSec !== null) parts.push(`ETA ${formatDuration(st.etaSec)}`);
    if (extraText) parts.push(extraText);
    return parts.join('  ');
  };

  const draw = (force: boolean): void => {
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    const text = line(false);
    if (tty) {
      // clear whatever a longer previous line left behind
      stream.write(`\r${text}${lastLen > text.length ? ' '.repeat(lastLen - text.length) : ''}`);
      lastLen = text.length;
    } else {
      stream.write(`${text}\n`);
    }
  };

  return {
    tick(n = 1, extra?: string): void {
      if (finished) return;
      count += n;
      if (startAt === null) {
        startAt = now();
        startDone = count;
      }
      if (extra !== undefined) extraText = extra;
      draw(false);
    },
    set(done: number, extra?: string): void {
      if (finished) return;
      const measured = count - startDone;
      count = done;
      if (startAt !== null) startDone = done - measured; // the jump does not change the measured rate
      else jumped = done;
      if (extra !== undefined) extraText = extra;
      draw(false);
    },
    done(extra?: string): void {
      if (finished) return;
      finished = true;
      if (extra !== undefined) extraText = extra;
      const text = line(true);
      if (tty) stream.write(`\r${text}${lastLen > text.length ? ' '.repeat(lastLen - text.length) : ''}\n`);
      else stream.write(`${text}\n`);
    },
    state,
  };
}
