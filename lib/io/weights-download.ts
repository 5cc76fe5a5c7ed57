/**
 * The official teacher checkpoints (EDSR-PyTorch, BasicSR ModelZoo, official RCAN, SwinIR release assets; no git
 * repository stores the weight files themselves), the frozen feature networks of CSD and DCKD (torchvision
 * VGG-19, the taming-transformers VQGAN f16/1024) and CSD's released models: where they live, what they hold,
 * and a resumable, checksum-verified download (lib/io/download.ts).
 *
 * Sizes and SHA-256 digests are given where they are published (the EDSR-baseline files, from the Git LFS
 * pointers in EDSR-PyTorch's history); the full EDSR files
 * embed the first 8 hex digits of their SHA-256 in the file name, which is checked after download; elsewhere
 * they are null and the computed digest is reported instead. The RCAN authors publish their models only as an
 * archive behind Google Drive / Dropbox pages, so those entries have no direct URL: use a mirror.
 *
 * Base URL override: option `baseUrl` or env SRKD_WEIGHTS_MIRROR; the file is then fetched from
 * `<base>/<file name>` (mirrors, tests with a local server).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DownloadIntegrityError, downloadFile, type DownloadProgress } from './download';
import type { ArchConfig } from '../models/types';
import type { Scale } from '../types';
import { ZOO } from '../models/zoo';

/** A downloadable weight file: where it lives and what checks it. */
export interface WeightsFile {
  /** Name used on the command line, e.g. 'edsr-baseline-x4'. */
  readonly name: string;
  /** File name as published (also its name under a mirror and in the target directory). */
  readonly file: string;
  /** Direct download URL, or null when the publisher offers none (see `note`). */
  readonly url: string | null;
  readonly size: number | null;
  readonly sha256: string | null;
  /** Leading hex digits of the SHA-256 embedded in the published file name (torch.hub convention). */
  readonly sha256Prefix: string | null;
  readonly description: string;
  readonly note?: string;
}

/** A teacher checkpoint: a backbone the kit builds and loads with loadPretrained. */
export interface TeacherWeights extends WeightsFile {
  readonly arch: ArchConfig;
  readonly scale: Scale;
  /** Key layout of the file (what loadPretrained will detect). */
  readonly layout: 'edsr-official' | 'rcan-official' | 'swinir';
}

/**
 * A file the CSD and DCKD methods load: the frozen feature networks (torchvision VGG-19 for CSD's L_CL,
 * the taming-transformers VQGAN for DCKD) and CSD's released shared-weight EDSR models.
 */
export interface MethodWeights extends WeightsFile {
  /** The lib function that reads the file: lib/io/frozen-nets.ts or lib/io/csd-checkpoint.ts. */
  readonly loader: 'loadVgg19' | 'loadVqgan' | 'loadCsdEdsr';
  readonly scale: Scale | null;
}

export type WeightsEntry = TeacherWeights | MethodWeights;

const EDSR_BASE = 'https://cv.snu.ac.kr/research/EDSR/models';
const SWINIR_BASE = 'https://github.com/JingyunLiang/SwinIR/releases/download/v0.0';
const SCALES: readonly Scale[] = [2, 3, 4];

const EDSR_BASELINE: Record<Scale, { hash: string; size: number; sha256: string }> = {
  2: { hash: '1bc95232', size: 5490680, sha256: '1bc9523228fdc3b0a5ddb0d7062001e22b31bbb398ae09cfdefb97e8ee06e171' },
  3: { hash: 'abf2a44e', size: 6229240, sha256: 'abf2a44e7a137228efa42a4264a23e12603168d43ac7596b1adef40c649b9240' },
  4: { hash: '6b446fab', size: 6081831, sha256: '6b446fab734f4de74448d2fd1f3f990f5bae726e49dc7eff2ae9cefe444a1723' },
};
const EDSR_FULL_HASH: Record<Scale, string> = { 2: '0edfb8a3', 3: 'ea3ef2c6', 4: '4f62e9ef' };

const RCAN_NOTE = 'the RCAN authors publish RCAN_BIX{2,3,4}.pt only inside an archive (models_ECCV2018RCAN) on ' +
  'Google Drive / Dropbox (link in yulunzhang/RCAN RCAN_TestCode/model/Readme.md); fetch it by hand, or serve the .pt ' +
  'files from a mirror (--base-url / SRKD_WEIGHTS_MIRROR)';

/** Every teacher checkpoint the kit knows. */
export const TEACHER_WEIGHTS: readonly TeacherWeights[] = [
  ...SCALES.map((s): TeacherWeights => {
    const b = EDSR_BASELINE[s];
    const file = `edsr_baseline_x${s}-${b.hash}.pt`;
    return {
      name: `edsr-baseline-x${s}`, file, url: `${EDSR_BASE}/${file}`, size: b.size, sha256: b.sha256, sha256Prefix: b.hash,
      arch: ZOO['edsr-baseline'].arch, scale: s, layout: 'edsr-official',
      description: `EDSR-baseline x${s} (C64 B16, res_scale 1), EDSR-PyTorch`,
    };
  }),
  ...SCALES.map((s): TeacherWeights => {
    const file = `edsr_x${s}-${EDSR_FULL_HASH[s]}.pt`;
    return {
      name: `edsr-x${s}`, file, url: `${EDSR_BASE}/${file}`, size: null, sha256: null, sha256Prefix: EDSR_FULL_HASH[s],
      arch: ZOO['edsr-teacher'].arch, scale: s, layout: 'edsr-official',
      description: `EDSR x${s} (C256 B32, res_scale 0.1; DUKD EDSR teacher), EDSR-PyTorch`,
    };
  }),
  ...SCALES.map((s): TeacherWeights => ({
    name: `rcan-bix${s}`, file: `RCAN_BIX${s}.pt`, url: null, size: null, sha256: null, sha256Prefix: null,
    arch: ZOO['rcan-teacher'].arch, scale: s, layout: 'rcan-official',
    description: `RCAN BIX${s} (G10 B20 C64; DUKD RCAN teacher), yulunzhang/RCAN`, note: RCAN_NOTE,
  })),
  ...SCALES.map((s): TeacherWeights => {
    const file = `001_classicalSR_DIV2K_s48w8_SwinIR-M_x${s}.pth`;
    return {
      name: `swinir-m-x${s}`, file, url: `${SWINIR_BASE}/${file}`, size: null, sha256: null, sha256Prefix: null,
      arch: ZOO['swinir-teacher'].arch, scale: s, layout: 'swinir',
      description: `SwinIR-M classical x${s}, DIV2K patch 48 (the file DUKD's option files use)`,
    };
  }),
  ...SCALES.map((s): TeacherWeights => {
    const file = `001_classicalSR_DF2K_s64w8_SwinIR-M_x${s}.pth`;
    return {
      name: `swinir-m-df2k-x${s}`, file, url: `${SWINIR_BASE}/${file}`, size: null, sha256: null, sha256Prefix: null,
      arch: ZOO['swinir-teacher'].arch, scale: s, layout: 'swinir',
      description: `SwinIR-M classical x${s}, DF2K patch 64 (the file the DUKD README names)`,
    };
  }),
];

export const TEACHER_WEIGHT_NAMES: readonly string[] = TEACHER_WEIGHTS.map((w) => w.name);

const CSD_NOTE = 'the CSD authors publish their models only on BaiduYun (https://pan.baidu.com/s/1gYenkfLac1s19lfzczxtHA, ' +
  "extraction code zser; Booooooooooo/CSD 'PyTorch version/README.md'); fetch edsr_x{2,3,4}_0.25student.pth by hand, " +
  'or serve them from a mirror (--base-url / SRKD_WEIGHTS_MIRROR)';

/** The feature networks of CSD and DCKD, and CSD's released models. */
export const METHOD_WEIGHTS: readonly MethodWeights[] = [
  {
    name: 'vgg19', file: 'vgg19-dcbb9e9d.pth', url: 'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth',
    size: null, sha256: null, sha256Prefix: 'dcbb9e9d', loader: 'loadVgg19', scale: null,
    description: 'torchvision VGG-19 (ImageNet): the frozen feature network of CSD\'s contrastive loss',
  },
  {
    // DCKD's README points to the taming-transformers share; DCKD's config calls the file VQGAN_f16_n1024.ckpt.
    name: 'vqgan-f16-1024', file: 'vqgan_imagenet_f16_1024.ckpt',
    url: 'https://heibox.uni-heidelberg.de/d/8088892a516d4e3baf92/files/?p=%2Fckpts%2Flast.ckpt&dl=1',
    size: null, sha256: null, sha256Prefix: null, loader: 'loadVqgan', scale: null,
    description: 'taming-transformers VQGAN ImageNet f16 / 1024 codes (Lightning last.ckpt): DCKD\'s frozen encoder and codebook',
  },
  ...SCALES.map((s): MethodWeights => ({
    name: `csd-edsr-x${s}`, file: `edsr_x${s}_0.25student.pth`, url: null, size: null, sha256: null, sha256Prefix: null,
    loader: 'loadCsdEdsr', scale: s, note: CSD_NOTE,
    description: `CSD x${s}: shared-weight EDSR 256x32 (student = width 0.25), Booooooooooo/CSD`,
  })),
];

/** Every file `srkd weights` knows: teachers first, then the method files. */
export const ALL_WEIGHTS: readonly WeightsEntry[] = [...TEACHER_WEIGHTS, ...METHOD_WEIGHTS];
export const WEIGHT_NAMES: readonly string[] = ALL_WEIGHTS.map((w) => w.name);

/** Any registry entry by name; unknown names fail listing the valid ones. */
export function weightsEntry(name: string): WeightsEntry {
  const w = ALL_WEIGHTS.find((e) => e.name === name);
  if (w === undefined) throw new Error(`unknown weights '${name}'; known: ${WEIGHT_NAMES.join(', ')}`);
  return w;
}

/** The registry entry for `name`; unknown names fail listing the valid ones. */
export function teacherWeights(name: string): TeacherWeights {
  const w = TEACHER_WEIGHTS.find((e) => e.name === name);
  if (w === undefined) throw new Error(`unknown weights '${name}'; known: ${TEACHER_WEIGHT_NAMES.join(', ')}`);
  return w;
}

/** Default target directory: $SRKD_WEIGHTS_DIR or ./weights. */
export function defaultWeightsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SRKD_WEIGHTS_DIR ?? path.resolve('weights');
}

/** Where `entry` is fetched from: `<base>/<file>` under a mirror (option, then env SRKD_WEIGHTS_MIRROR), else its URL. */
export function weightsUrl(entry: WeightsFile, baseUrl?: string): string | null {
  const base = baseUrl ?? process.env.SRKD_WEIGHTS_MIRROR;
  if (base) return `${base.replace(/\/+$/, '')}/${entry.file}`;
  return entry.url;
}

export interface WeightsDownloadOptions {
  readonly dir?: string;
  readonly baseUrl?: string;
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly signal?: AbortSignal;
  readonly retries?: number;
}

export interface WeightsDownloadResult {
  readonly name: string;
  readonly path: string;
  readonly url: string;
  readonly bytes: number;
  readonly sha256: string;
  /** What the digest was checked against: the full SHA-256, the prefix in the file name, or nothing known. */
  readonly verified: 'sha256' | 'sha256-prefix' | 'unverified';
  /** True when a complete, verified file was already there. */
  readonly skipped: boolean;
}

/** Downloads one registry entry (or any entry-shaped record, e.g. in tests) into `dir`. */
export async function downloadWeightsEntry(entry: WeightsFile, opts: WeightsDownloadOptions = {}): Promise<WeightsDownloadResult> {
  const url = weightsUrl(entry, opts.baseUrl);
  const dir = opts.dir ?? defaultWeightsDir();
  const dest = path.join(dir, entry.file);
  if (url === null) {
    if (fs.existsSync(dest)) throw new Error(`${entry.name}: no direct download URL, but ${dest} is present: load it directly`);
    throw new Error(`${entry.name}: no direct download URL (${entry.note ?? 'publisher offers none'}); place ${entry.file} at ${dest}`);
  }
  const r = await downloadFile(url, dest, {
    sha256: entry.sha256, size: entry.size, onProgress: opts.onProgress, signal: opts.signal, retries: opts.retries,
  });
  if (entry.sha256 === null && entry.sha256Prefix !== null && !r.sha256.startsWith(entry.sha256Prefix.toLowerCase())) {
    fs.rmSync(dest, { force: true });
    throw new DownloadIntegrityError(`${url}: SHA-256 mismatch for ${dest}: got ${r.sha256}, the file name says it starts with ` +
      `${entry.sha256Prefix}; removed the download`);
  }
  return {
    name: entry.name, path: r.path, url, bytes: r.bytes, sha256: r.sha256, skipped: r.skipped,
    verified: entry.sha256 !== null ? 'sha256' : entry.sha256Prefix !== null ? 'sha256-prefix' : 'unverified',
  };
}

/** Downloads the named file (see WEIGHT_NAMES: teachers, feature networks, CSD models). */
export function downloadWeights(name: string, opts: WeightsDownloadOptions = {}): Promise<WeightsDownloadResult> {
  return downloadWeightsEntry(weightsEntry(name), opts);
}
