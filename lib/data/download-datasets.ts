/**
 * Where the training and benchmark data come from, and how each archive is unpacked into the layouts
 * that `openDataset` reads (datasets.ts):
 *
 *   <root>/DIV2K_train_HR/0001.png ...               <root>/DIV2K_train_LR_bicubic/X{s}/0001x{s}.png
 *   <root>/DIV2K_valid_HR/0801.png ...               <root>/DIV2K_valid_LR_bicubic/X{s}/0801x{s}.png
 *   <root>/Flickr2K_HR/000001.png ...                <root>/Flickr2K_LR_bicubic/X{s}/000001x{s}.png
 *   <root>/benchmark/<Set>/HR/<name>.png             <root>/benchmark/<Set>/LR_bicubic/X{s}/<name>x{s}.png
 *
 * DIV2K: the official archives of the NTIRE 2017 challenge (data.vision.ee.ethz.ch/cvl/DIV2K/).
 * Benchmarks (Set5, Set14, B100, Urban100): the `benchmark.tar` published with EDSR-PyTorch
 * (cv.snu.ac.kr/research/EDSR/), already in the HR + LR_bicubic/X{s} layout. Flickr2K: `Flickr2K.tar`,
 * same site.
 *
 * SHA-256 digests and sizes: not published by the hosts and not verified here, so they are null (the
 * downloader still computes and reports the digest). Fill them in once known to make the check strict.
 *
 * The base URL of every archive can be overridden (option `baseUrl` or env SRKD_DATA_BASE_URL): the file
 * is then fetched from `<baseUrl>/<archive file name>` — used by tests (local server) and mirrors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadFile, type DownloadProgress } from '../io/download';
import { extractZip } from '../io/unzip';
import { extractTar } from '../io/untar';

export type DownloadTarget = 'div2k' | 'benchmarks' | 'flickr2k' | 'all';
export const DOWNLOAD_TARGETS: readonly DownloadTarget[] = ['div2k', 'benchmarks', 'flickr2k', 'all'];

export interface DataArchive {
  /** File name of the archive (also its name under an overriding base URL). */
  readonly file: string;
  readonly url: string;
  /** null: unknown (not published by the host). */
  readonly sha256: string | null;
  readonly size: number | null;
  readonly format: 'zip' | 'tar';
  /** Path prefix (relative to the data root) under which the archive's entries go, after `strip`. */
  readonly into: string;
  /** Leading path components removed from each entry name. */
  readonly strip: number;
  /** A folder (relative to the data root) whose presence means the archive is already unpacked. */
  readonly marker: string;
  readonly target: Exclude<DownloadTarget, 'all'>;
}

const DIV2K_BASE = 'http://data.vision.ee.ethz.ch/cvl/DIV2K';
const EDSR_BASE = 'https://cv.snu.ac.kr/research/EDSR';

function div2k(file: string, marker: string): DataArchive {
  // The DIV2K zips hold e.g. DIV2K_train_HR/0001.png and DIV2K_train_LR_bicubic/X2/0001x2.png: unpacked as is.
  return { file, url: `${DIV2K_BASE}/${file}`, sha256: null, size: null, format: 'zip', into: '', strip: 0, marker, target: 'div2k' };
}

/** Every archive the kit knows, in download order. SHA-256/size null = unknown (see the file comment). */
export const DATA_ARCHIVES: readonly DataArchive[] = [
  div2k('DIV2K_train_HR.zip', 'DIV2K_train_HR'),
  ...[2, 3, 4].map((s) => div2k(`DIV2K_train_LR_bicubic_X${s}.zip`, `DIV2K_train_LR_bicubic/X${s}`)),
  div2k('DIV2K_valid_HR.zip', 'DIV2K_valid_HR'),
  ...[2, 3, 4].map((s) => div2k(`DIV2K_valid_LR_bicubic_X${s}.zip`, `DIV2K_valid_LR_bicubic/X${s}`)),
  // benchmark.tar holds benchmark/{Set5,Set14,B100,Urban100}/{HR,LR_bicubic/X2..X4}/...
  { file: 'benchmark.tar', url: `${EDSR_BASE}/benchmark.tar`, sha256: null, size: null, format: 'tar', into: 'benchmark',
    strip: 1, marker: 'benchmark/Urban100', target: 'benchmarks' },
  // Flickr2K.tar holds Flickr2K/Flickr2K_HR/000001.png and Flickr2K/Flickr2K_LR_bicubic/X{s}/000001x{s}.png
  { file: 'Flickr2K.tar', url: `${EDSR_BASE}/Flickr2K.tar`, sha256: null, size: null, format: 'tar', into: '',
    strip: 1, marker: 'Flickr2K_HR', target: 'flickr2k' },
];

export function archivesFor(target: DownloadTarget): DataArchive[] {
  // 'all' means what the paper needs (DIV2K + benchmarks); Flickr2K (DF2K) is only fetched when asked.
  return DATA_ARCHIVES.filter((a) => (target === 'all' ? a.target !== 'flickr2k' : a.target === target));
}

export interface DownloadDatasetsOptions {
  readonly root: string;
  /** Fetch every archive from `<baseUrl>/<file>` instead of the official URL (default: env SRKD_DATA_BASE_URL). */
  readonly baseUrl?: string;
  /** Keep the downloaded archives in `<root>/archives` after unpacking (default false). */
  readonly keepArchives?: boolean;
  readonly onProgress?: (archive: DataArchive, p: DownloadProgress) => void;
  readonly onStage?: (archive: DataArchive, stage: 'present' | 'download' | 'extract' | 'done') => void;
  readonly signal?: AbortSignal;
  /** Override the archive list (tests). */
  readonly archives?: readonly DataArchive[];
}

export interface DownloadedArchive {
  readonly file: string;
  readonly skipped: boolean;
  readonly sha256: string | null;
  readonly bytes: number;
  readonly files: number;
}

/** Maps an archive entry name to its path under the data root, or null for entries to skip. */
export function entryTarget(a: DataArchive, name: string): string | null {
  const parts = name.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length <= a.strip) return null;
  const rest = parts.slice(a.strip);
  if (rest.some((p) => p.startsWith('._')) || rest[0] === '__MACOSX') return null; // macOS resource forks
  return path.posix.join(a.into, ...rest);
}

/** The URL an archive is fetched from: `<baseUrl>/<file>` when a base URL is set (option or env), else the official one. */
export function archiveUrl(a: DataArchive, baseUrl?: string): string {
  const base = baseUrl ?? process.env.SRKD_DATA_BASE_URL;
  return base ? `${base.replace(/\/+$/, '')}/${a.file}` : a.url;
}

/** Downloads and unpacks the archives of `target` into `opts.root`; archives already unpacked are skipped. */
export async function downloadDatasets(target: DownloadTarget, opts: DownloadDatasetsOptions): Promise<DownloadedArchive[]> {
  const list = opts.archives ?? archivesFor(target);
  const archiveDir = path.join(opts.root, 'archives');
  const results: DownloadedArchive[] = [];
  for (const a of list) {
    const markerDir = path.join(opts.root, a.marker);
    const doneFlag = path.join(archiveDir, `${a.file}.unpacked`);
    if (fs.existsSync(markerDir) && fs.existsSync(doneFlag)) {
      opts.onStage?.(a, 'present');
      results.push({ file: a.file, skipped: true, sha256: null, bytes: 0, files: 0 });
      continue;
    }
    opts.onStage?.(a, 'download');
    const archivePath = path.join(archiveDir, a.file);
    const dl = await downloadFile(archiveUrl(a, opts.baseUrl), archivePath, {
      sha256: a.sha256, size: a.size, signal: opts.signal, onProgress: (p) => opts.onProgress?.(a, p),
    });
    opts.onStage?.(a, 'extract');
    const map = (name: string): string | null => entryTarget(a, name);
    const files = a.format === 'zip' ? await extractZip(archivePath, opts.root, { map }) : await extractTar(archivePath, opts.root, { map });
    if (!fs.existsSync(markerDir)) {
      throw new Error(`${archivePath}: unpacked ${files.length} files but ${markerDir} is missing; the archive layout is not the expected one`);
    }
    fs.writeFileSync(doneFlag, JSON.stringify({ sha256: dl.sha256, bytes: dl.bytes, files: files.length }) + '\n');
    if (!opts.keepArchives) fs.rmSync(archivePath, { force: true });
    opts.onStage?.(a, 'done');
    results.push({ file: a.file, skipped: false, sha256: dl.sha256, bytes: dl.bytes, files: files.length });
  }
  return results;
}
