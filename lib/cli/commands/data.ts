import * as path from 'node:path';
import type { Command } from '../command';
import { stringArg, UsageError } from '../command';
import { defaultDataRoot } from '../../data/data-root';
import { checkDataRoot, formatDataCheck } from '../../data/data-check';
import { archiveUrl, DOWNLOAD_TARGETS, downloadDatasets, type DownloadTarget } from '../../data/download-datasets';
import type { DownloadProgress } from '../../io/download';

function human(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function duration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec)) return '--:--';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** e.g. `DIV2K_train_HR.zip  1.2 GB / 3.5 GB  34%  12.3 MB/s  ETA 3:05`. */
export function formatProgress(file: string, p: DownloadProgress): string {
  const pct = p.total ? `${Math.floor((100 * p.bytes) / p.total)}%` : '';
  const of = p.total ? ` / ${human(p.total)}` : '';
  return `${file}  ${human(p.bytes)}${of}  ${pct}  ${human(p.rateBytesPerSec)}/s  ETA ${duration(p.etaSec)}`;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'Download DIV2K / benchmark sets into the expected layout, or check what is present',
  usage: [
    'download div2k|benchmarks|flickr2k|all [--root DIR] [--base-url URL] [--keep-archives] [--json]',
    '       srkd data check [--root DIR] [--json]',
    '  --root DIR        data root (default: $SRKD_DATA or ./data)',
    '  --base-url URL    fetch archives from URL/<file> instead of the official hosts (also $SRKD_DATA_BASE_URL)',
    '  --keep-archives   keep the downloaded archives in <root>/archives',
    '  --json            machine-readable output (download: one JSON line per event)',
    "  'all' = DIV2K (train + valid, HR + LR x2/x3/x4) and the benchmarks (Set5, Set14, B100, Urban100).",
  ].join('\n'),
  options: { root: { type: 'string' }, 'base-url': { type: 'string' }, 'keep-archives': { type: 'boolean' } },
  allowPositionals: true,
  async run(args) {
    const [sub, what, ...extra] = args.positionals;
    const root = path.resolve(stringArg(args, 'root', defaultDataRoot()));
    const json = Boolean(args.values.json);
    if (sub === 'check') {
      if (what !== undefined) throw new UsageError(`'data check' takes no positional arguments (got '${what}')`);
      const rows = checkDataRoot(root);
      process.stdout.write(json ? JSON.stringify({ root, layouts: rows }, null, 2) + '\n' : formatDataCheck(root, rows));
      return 0;
    }
    if (sub !== 'download') throw new UsageError(`expected 'download' or 'check' (got '${sub ?? ''}')`);
    if (!what || !(DOWNLOAD_TARGETS as readonly string[]).includes(what) || extra.length) {
      throw new UsageError(`'data download' needs one of ${DOWNLOAD_TARGETS.join(', ')} (got '${[what, ...extra].filter(Boolean).join(' ')}')`);
    }
    const baseUrl = typeof args.values['base-url'] === 'string' ? args.values['base-url'] : undefined;
    const tty = process.stderr.isTTY && !json;
    let lastLen = 0;
    const line = (text: string): void => {
      if (tty) {
        process.stderr.write(`\r${text.padEnd(lastLen)}`);
        lastLen = text.length;
      }
    };
    const results = await downloadDatasets(what as DownloadTarget, {
      root, baseUrl, keepArchives: Boolean(args.values['keep-archives']),
      onProgress: (a, p) => {
        if (json) process.stdout.write(JSON.stringify({ event: 'progress', file: a.file, ...p }) + '\n');
        else if (tty) line(formatProgress(a.file, p));
      },
      onStage: (a, stage) => {
        if (json) {
          process.stdout.write(JSON.stringify({ event: stage, file: a.file }) + '\n');
          return;
        }
        if (tty && lastLen) {
          process.stderr.write('\n');
          lastLen = 0;
        }
        const text = { present: 'already unpacked', download: `downloading ${archiveUrl(a, baseUrl)}`, extract: 'unpacking', done: 'done' }[stage];
        process.stderr.write(`${a.file}: ${text}\n`);
      },
    });
    if (json) process.stdout.write(JSON.stringify({ event: 'finished', root, archives: results }) + '\n');
    else process.stdout.write(formatDataCheck(root, checkDataRoot(root)));
    return 0;
  },
};

export default dataCommand;
