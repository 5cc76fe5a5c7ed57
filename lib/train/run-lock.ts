/**
 * One process per run directory. Sweeps run many `srkd train` / `srkd reproduce` processes side by side (any
 * job scheduler); two of them reaching the same run (same config hash, e.g. a shared teacher) must not write
 * into it at once. `acquireRunLock` creates `<dir>/.lock` atomically (O_EXCL) with the holder's pid, host and
 * start time; a lock whose process is gone (same host, pid not alive) is stale and taken over. A lock from
 * another host cannot be checked and is respected (delete the file if that machine is down).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOCK_FILE = '.lock';

export interface RunLockHolder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

export class RunLockedError extends Error {
  constructor(readonly dir: string, readonly holder: RunLockHolder) {
    super(`run ${dir} is being trained by pid ${holder.pid} on ${holder.host} (since ${holder.started}); ` +
      `lock file ${path.join(dir, LOCK_FILE)}`);
    this.name = 'RunLockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readHolder(file: string): RunLockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as RunLockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : null;
  } catch {
    return null; // vanished or half-written: treated as free on the next try
  }
}

/** The live holder of `dir`'s lock, or null when it is free or stale. */
export function runLockHolder(dir: string): RunLockHolder | null {
  const h = readHolder(path.join(dir, LOCK_FILE));
  if (!h) return null;
  if (h.host === os.hostname() && !alive(h.pid)) return null;
  return h;
}

/**
 * Takes the lock of `dir` (created if missing) for this process; returns its release function. Throws
 * RunLockedError when a live process (this one included) holds it.
 */
export function acquireRunLock(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const me: RunLockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me) + '\n', { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const h = readHolder(file);
        if (h && h.pid === me.pid && h.host === me.host && h.started === me.started) fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = runLockHolder(dir);
    if (holder) throw new RunLockedError(dir, holder); // this process too: two trainings of one run never overlap
    fs.rmSync(file, { force: true }); // stale (or unreadable): take it over
  }
  throw new Error(`run ${dir}: could not take the lock file ${file} (it keeps reappearing)`);
}

/** Resolves once no live process holds `dir`'s lock (polling); rejects on `signal` abort or after `timeoutMs`. */
export async function waitForRunLock(dir: string, opts: { readonly pollMs?: number; readonly timeoutMs?: number; readonly signal?: AbortSignal } = {}): Promise<void> {
  const poll = opts.pollMs ?? 2000;
  const t0 = Date.now();
  while (runLockHolder(dir)) {
    if (opts.signal?.aborted) throw new Error(`stopped waiting for run ${dir}`);
    if (opts.timeoutMs !== undefined && Date.now() - t0 > opts.timeoutMs) throw new Error(`run ${dir}: still locked after ${opts.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, poll));
  }
}
