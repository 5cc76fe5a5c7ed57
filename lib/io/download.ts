/**
 * Resumable HTTP(S) downloads: the bytes go to `<dest>.part`; an interrupted transfer continues with a
 * `Range` request (automatically up to `retries` times, or on the next call); size and SHA-256 are checked
 * before the file is renamed into place, and a file that fails the check is deleted, never kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import { createHash, type Hash } from 'node:crypto';

export interface DownloadProgress {
  /** Bytes of the file on disk so far (including what an earlier, interrupted call fetched). */
  readonly bytes: number;
  /** Expected total size, or null when neither the caller nor the server said. */
  readonly total: number | null;
  /** Transfer rate of this call in bytes per second (0 until measurable). */
  readonly rateBytesPerSec: number;
  /** Estimated seconds left, or null when unknown. */
  readonly etaSec: number | null;
}

export interface DownloadOptions {
  /** Expected SHA-256 (hex). null/undefined: not checked (the digest is still computed and returned). */
  readonly sha256?: string | null;
  /** Expected size in bytes; null/undefined: taken from the server when it says. */
  readonly size?: number | null;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** Minimum milliseconds between progress calls (default 200); the final call always happens. */
  readonly progressEveryMs?: number;
  /** Automatic resumes after a broken connection within this call (default 5). */
  readonly retries?: number;
  /** Seconds without data before the connection counts as broken (default 60). */
  readonly idleTimeoutSec?: number;
  readonly signal?: AbortSignal;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** True when the file was already complete and nothing was fetched. */
  readonly skipped: boolean;
  /** Number of requests that continued a partial file with `Range`. */
  readonly resumed: number;
}

/** A failed check (size or checksum): not retried, and the partial file is removed. */
export class DownloadIntegrityError extends Error {}

const MAX_REDIRECTS = 10;

/** SHA-256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await hashInto(h, file);
  return h.digest('hex');
}

async function hashInto(h: Hash, file: string): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
}

function sizeOf(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}

/**
 * Downloads `url` to `dest`. If `dest` already exists and matches the expected size/SHA-256 (when given),
 * nothing is fetched. Throws `DownloadIntegrityError` on a size or checksum mismatch (leaving neither
 * `dest` nor `dest.part`), and a plain Error naming the URL for HTTP errors (keeping `.part` to resume).
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const want = opts.sha256 ? opts.sha256.toLowerCase() : null;
  const existing = sizeOf(dest);
  if (existing !== null && (opts.size == null || opts.size === existing)) {
    const digest = await sha256File(dest);
    if (want === null || digest === want) return { path: dest, bytes: existing, sha256: digest, skipped: true, resumed: 0 };
    // A complete-looking file with the wrong digest: fetch it again.
    fs.rmSync(dest, { force: true });
  }
  fs.mkdirSync(path.dirname(path.resolve(dest)), { recursive: true });
  const part = `${dest}.part`;
  const retries = opts.retries ?? 5;
  let resumed = 0;
  let total: number | null = opts.size ?? null;
  const started = Date.now();
  let fetchedThisCall = 0;
  let lastReport = 0;
  const report = (bytes: number, force: boolean): void => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < (opts.progressEveryMs ?? 200)) return;
    lastReport = now;
    const sec = (now - started) / 1000;
    const rate = sec > 0 ? fetchedThisCall / sec : 0;
    const etaSec = total !== null && rate > 0 ? Math.max(0, (total - bytes) / rate) : null;
    opts.onProgress({ bytes, total, rateBytesPerSec: rate, etaSec });
  };

  for (let attempt = 0; ; attempt++) {
    const have = sizeOf(part) ?? 0;
    if (total !== null && have > total) fs.rmSync(part, { force: true }); // stale part from another file version
    const offset = sizeOf(part) ?? 0;
    if (total !== null && offset === total) break; // already complete, only the check is left
    let cur = offset;
    try {
      const r = await fetchInto(url, part, offset, opts, (n) => {
        fetchedThisCall += n;
        cur += n;
        report(cur, false);
      }, (t) => {
        if (total === null) total = t;
      });
      if (r.resumed) resumed++;
      if (r.total !== null) {
        if (total !== null && r.total !== total) {
          fs.rmSync(part, { force: true });
          throw new DownloadIntegrityError(`${url}: server reports ${r.total} bytes, expected ${total} (for ${dest})`);
        }
        total = r.total;
      }
      const now = sizeOf(part) ?? 0;
      if (total !== null && now < total) throw new Error(`connection closed at ${now} of ${total} bytes`);
      break;
    } catch (err) {
      if (err instanceof DownloadIntegrityError || opts.signal?.aborted || attempt >= retries || (err as { fatal?: boolean }).fatal) {
        if (err instanceof DownloadIntegrityError) throw err;
        throw new Error(`download of ${url} to ${dest} failed: ${(err as Error).message}` +
          (fs.existsSync(part) ? ` (partial file kept: ${part}; run again to resume)` : ''));
      }
      await new Promise((res) => setTimeout(res, Math.min(200 * 2 ** attempt, 5000)));
    }
  }

  const bytes = sizeOf(part) ?? 0;
  report(bytes, true);
  if (total !== null && bytes !== total) {
    fs.rmSync(part, { force: true });
    throw new DownloadIntegrityError(`${url}: got ${bytes} bytes, expected ${total}; removed ${part}`);
  }
  const digest = await sha256File(part);
  if (want !== null && digest !== want) {
    fs.rmSync(part, { force: true });
    throw new DownloadIntegrityError(`${url}: SHA-256 mismatch for ${dest}: got ${digest}, expected ${want}; removed the download`);
  }
  fs.renameSync(part, dest); // atomic on one file system
  return { path: dest, bytes, sha256: digest, skipped: false, resumed };
}

interface FetchResult { readonly total: number | null; readonly resumed: boolean }

/** One request (following redirects) that appends to `part` from `offset`. */
function fetchInto(url: string, part: string, offset: number, opts: DownloadOptions, onData: (n: number) => void,
  onTotal: (total: number) => void, redirects = 0): Promise<FetchResult> {
  return new Promise<FetchResult>((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (!lib) return reject(Object.assign(new Error(`unsupported URL protocol '${u.protocol}' in ${url}`), { fatal: true }));
    const headers: Record<string, string> = { 'user-agent': 'srkd', ...opts.headers };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const req = lib.get(u, { headers, signal: opts.signal }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(Object.assign(new Error(`too many redirects from ${url}`), { fatal: true }));
        const next = new URL(res.headers.location, u).toString();
        fetchInto(next, part, offset, opts, onData, onTotal, redirects + 1).then(resolve, reject);
        return;
      }
      if (status === 416 && offset > 0) {
        // Range not satisfiable: the part file is already the whole file (or longer); let the caller check it.
        res.resume();
        const m = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
        return resolve({ total: m ? Number(m[1]) : offset, resumed: true });
      }
      if (status !== 200 && status !== 206) {
        res.resume();
        return reject(Object.assign(new Error(`HTTP ${status} for ${url}`), { fatal: status >= 400 && status < 500 }));
      }
      let total: number | null = null;
      let append = false;
      if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
        if (!m || Number(m[1]) !== offset) {
          res.resume();
          return reject(new Error(`bad Content-Range '${res.headers['content-range']}' for ${url}`));
        }
        append = true;
        if (m[3] !== '*') total = Number(m[3]);
      } else {
        const len = res.headers['content-length'];
        if (len !== undefined) total = Number(len);
      }
      if (total !== null) onTotal(total);
      const out = fs.createWriteStream(part, { flags: append ? 'a' : 'w' });
      let failed = false;
      const fail = (err: Error): void => {
        if (failed) return;
        failed = true;
        res.destroy();
        out.end(() => reject(err));
      };
      res.setTimeout((opts.idleTimeoutSec ?? 60) * 1000, () => fail(new Error(`no data for ${opts.idleTimeoutSec ?? 60} s`)));
      res.on('data', (chunk: Buffer) => {
        if (!out.write(chunk)) {
          res.pause();
          out.once('drain', () => res.resume());
        }
        onData(chunk.length);
      });
      res.on('aborted', () => fail(new Error('connection aborted by the server')));
      res.on('error', (err) => fail(err));
      out.on('error', (err) => fail(err));
      res.on('end', () => {
        if (failed) return;
        if (!res.complete) return fail(new Error('connection closed early'));
        out.end(() => resolve({ total, resumed: append }));
      });
    });
    req.on('error', reject);
  });
}
