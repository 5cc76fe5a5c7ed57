import * as path from 'node:path';
import type { Command } from '../command';
import { stringArg, UsageError } from '../command';
import type { DownloadProgress } from '../../io/download';
import {
  ALL_WEIGHTS, WEIGHT_NAMES, type WeightsEntry, type WeightsDownloadResult, defaultWeightsDir, downloadWeights, weightsEntry,
  weightsUrl,
} from '../../io/weights-download';

function human(bytes: number | null): string {
  if (bytes === null) return '?';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

/** The `weights list` table: name, scale, size, checksum status, description; entries without a URL footnoted. */
export function formatWeightsList(entries: readonly WeightsEntry[], baseUrl?: string): string {
  const width = Math.max(4, ...entries.map((e) => e.name.length));
  const notes = new Map<string, number>();
  const rows = entries.map((e) => {
    const check = e.sha256 ? 'sha256' : e.sha256Prefix ? `sha256 ${e.sha256Prefix}...` : 'unknown';
    let mark = '';
    if (weightsUrl(e, baseUrl) === null) {
      const note = e.note ?? 'no direct download URL';
      if (!notes.has(note)) notes.set(note, notes.size + 1);
      mark = ` [${notes.get(note)}]`;
    }
    return `${e.name.padEnd(width)}  ${e.scale === null ? '--' : `x${e.scale}`}  ${human(e.size).padStart(8)}  ${check.padEnd(18)}  ${e.description}${mark}`;
  });
  const foot = [...notes].map(([note, i]) => `[${i}] no direct URL: ${note}`);
  return [`${'name'.padEnd(width)}  sc  ${'size'.padStart(8)}  ${'checksum'.padEnd(18)}  model`, ...rows, ...foot].join('\n') + '\n';
}

function progressLine(name: string, p: DownloadProgress): string {
  const pct = p.total ? ` ${Math.floor((100 * p.bytes) / p.total)}%` : '';
  return `${name}: ${human(p.bytes)}${p.total ? ` / ${human(p.total)}` : ''}${pct}  ${human(p.rateBytesPerSec)}/s`;
}

function describeResult(r: WeightsDownloadResult): string {
  const check = r.verified === 'sha256' ? 'SHA-256 verified' : r.verified === 'sha256-prefix'
    ? 'SHA-256 prefix (from the file name) verified' : 'no published checksum';
  return `${r.name}: ${r.skipped ? 'already present' : 'downloaded'} ${r.path} (${r.bytes} bytes)\n  sha256 ${r.sha256} (${check})\n`;
}

export const weightsCommand: Command = {
  name: 'weights',
  summary: 'List or download the official teacher checkpoints (EDSR, RCAN, SwinIR), the CSD/DCKD feature networks (VGG-19, VQGAN) and CSD models',
  usage: [
    'list [--json]',
    '       srkd weights download <name> [<name> ...] [--dir DIR] [--base-url URL] [--json]',
    '  --dir DIR        target directory (default: $SRKD_WEIGHTS_DIR or ./weights)',
    '  --base-url URL   fetch <URL>/<file name> instead of the publisher (also $SRKD_WEIGHTS_MIRROR)',
    '  --json           machine-readable output (download: one JSON line per event)',
    `  names: ${WEIGHT_NAMES.join(', ')}`,
  ].join('\n'),
  options: { dir: { type: 'string' }, 'base-url': { type: 'string' } },
  allowPositionals: true,
  async run(args) {
    const [sub, ...names] = args.positionals;
    const json = Boolean(args.values.json);
    const baseUrl = typeof args.values['base-url'] === 'string' ? args.values['base-url'] : undefined;
    if (sub === 'list') {
      if (names.length) throw new UsageError(`'weights list' takes no names (got '${names.join(' ')}')`);
      if (json) {
        const rows = ALL_WEIGHTS.map((e) => ({ ...e, downloadUrl: weightsUrl(e, baseUrl) }));
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      } else process.stdout.write(formatWeightsList(ALL_WEIGHTS, baseUrl));
      return 0;
    }
    if (sub !== 'download') throw new UsageError(`expected 'list' or 'download' (got '${sub ?? ''}')`);
    if (names.length === 0) throw new UsageError(`'weights download' needs a name; known: ${WEIGHT_NAMES.join(', ')}`);
    for (const n of names) {
      try {
        weightsEntry(n);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    const dir = path.resolve(stringArg(args, 'dir', defaultWeightsDir()));
    const tty = process.stderr.isTTY && !json;
    for (const name of names) {
      if (json) process.stdout.write(JSON.stringify({ event: 'start', name, url: weightsUrl(weightsEntry(name), baseUrl) }) + '\n');
      else process.stderr.write(`${name}: ${weightsUrl(weightsEntry(name), baseUrl) ?? '(no URL)'}\n`);
      let lastLen = 0;
      const r = await downloadWeights(name, {
        dir, baseUrl,
        onProgress: (p) => {
          if (json) process.stdout.write(JSON.stringify({ event: 'progress', name, ...p }) + '\n');
          else if (tty) {
            const text = progressLine(name, p);
            process.stderr.write(`\r${text.padEnd(lastLen)}`);
            lastLen = text.length;
          }
        },
      });
      if (tty && lastLen) process.stderr.write('\n');
      if (json) process.stdout.write(JSON.stringify({ event: 'done', ...r }) + '\n');
      else process.stdout.write(describeResult(r));
    }
    return 0;
  },
};

export default weightsCommand;
