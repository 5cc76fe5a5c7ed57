/**
 * Named backbone configurations: the six DUKD Table 1 models (DUKD-v2 Table 1: x4 teachers and students),
 * the 16-channel EDSR ablation student, the original EDSR-baseline and the official SwinIR lightweight model.
 * `paperTable1` holds the numbers DUKD prints (x4, FLOPs for a 3x256x256 LR input); `exact` holds the counts
 * this kit's analytic counter reproduces (lib/models/complexity.ts; tests check it against counts made with PyTorch).
 */
import type { Scale } from '../types';
import type { ArchConfig, EdsrConfig, RcanConfig, SwinIRConfig } from './types';

export interface ZooEntry {
  readonly arch: ArchConfig;
  readonly role: string;
  /** DUKD Table 1 (x4): params in millions and GFLOPs as printed; null where the paper lists none. */
  readonly paperTable1: { readonly paramsM: number; readonly gflops: number } | null;
  /** Exact parameter counts and GFLOPs (256x256 LR input, fvcore convention) per scale. */
  readonly exact: Readonly<Record<Scale, { readonly params: number; readonly gflops: number }>>;
}

const edsr = (feats: number, blocks: number, resScale: number): EdsrConfig => ({ arch: 'edsr', feats, blocks, resScale });
const rcan = (groups: number, blocks: number): RcanConfig => ({
  arch: 'rcan',
  feats: 64,
  groups,
  blocks,
  reduction: 16,
  resScale: 1,
});
const swinir = (embedDim: number, rstbs: number, upsampler: SwinIRConfig['upsampler']): SwinIRConfig => ({
  arch: 'swinir',
  embedDim,
  depths: Array.from({ length: rstbs }, () => 6),
  heads: Array.from({ length: rstbs }, () => 6),
  windowSize: 8,
  mlpRatio: 2,
  upsampler,
  upsampleFeats: 64,
});

export const ZOO = {
  'edsr-teacher': {
    arch: edsr(256, 32, 0.1),
    role: 'DUKD EDSR teacher',
    paperTable1: { paramsM: 43.09, gflops: 3293.35 },
    exact: {
      2: { params: 40729603, gflops: 2669.44 },
      3: { params: 43680003, gflops: 2864.978 },
      4: { params: 43089923, gflops: 3293.351 },
    },
  },
  'edsr-student': {
    arch: edsr(64, 32, 0.1),
    role: 'DUKD EDSR student (also the channel-ablation teacher)',
    paperTable1: { paramsM: 2.7, gflops: 207.28 },
    exact: {
      2: { params: 2551555, gflops: 167.265 },
      3: { params: 2736195, gflops: 179.91 },
      4: { params: 2699267, gflops: 207.278 },
    },
  },
  'edsr-student-c16': {
    arch: edsr(16, 32, 0.1),
    role: 'DUKD EDSR channel-ablation student (quarter width)',
    paperTable1: null,
    exact: {
      2: { params: 160963, gflops: 10.56 },
      3: { params: 172563, gflops: 11.457 },
      4: { params: 170243, gflops: 13.316 },
    },
  },
  'edsr-baseline': {
    arch: edsr(64, 16, 1.0),
    role: 'original EDSR-baseline (reference only)',
    paperTable1: null,
    exact: {
      2: { params: 1369859, gflops: 89.955 },
      3: { params: 1554499, gflops: 102.601 },
      4: { params: 1517571, gflops: 129.969 },
    },
  },
  'rcan-teacher': {
    arch: rcan(10, 20),
    role: 'DUKD RCAN teacher',
    paperTable1: { paramsM: 15.59, gflops: 1044.03 },
    exact: {
      2: { params: 15444643, gflops: 1004.012 },
      3: { params: 15629283, gflops: 1016.657 },
      4: { params: 15592355, gflops: 1044.025 },
    },
  },
  'rcan-student': {
    arch: rcan(10, 6),
    role: 'DUKD RCAN student',
    paperTable1: { paramsM: 5.17, gflops: 366.98 },
    exact: {
      2: { params: 5023603, gflops: 326.967 },
      3: { params: 5208243, gflops: 339.613 },
      4: { params: 5171315, gflops: 366.981 },
    },
  },
  'swinir-teacher': {
    arch: swinir(180, 6, 'pixelshuffle'),
    role: 'DUKD SwinIR teacher (SwinIR-M classical)',
    paperTable1: { paramsM: 11.9, gflops: 861.27 },
    exact: {
      2: { params: 11752487, gflops: 821.254 },
      3: { params: 11937127, gflops: 833.9 },
      4: { params: 11900199, gflops: 861.268 },
    },
  },
  'swinir-student': {
    arch: swinir(60, 4, 'pixelshuffle'),
    role: "DUKD SwinIR student (C60, 4 RSTB x 6, classical 'pixelshuffle' tail)",
    paperTable1: { paramsM: 1.24, gflops: 121.48 },
    exact: {
      2: { params: 1087727, gflops: 81.466 },
      3: { params: 1272367, gflops: 94.112 },
      4: { params: 1235439, gflops: 121.479 },
    },
  },
  'swinir-lightweight': {
    arch: swinir(60, 4, 'pixelshuffledirect'),
    role: 'official SwinIR-S lightweight (reference only)',
    paperTable1: null,
    exact: {
      2: { params: 910152, gflops: 69.509 },
      3: { params: 918267, gflops: 70.04 },
      4: { params: 929628, gflops: 70.783 },
    },
  },
} as const satisfies Record<string, ZooEntry>;

export type ZooName = keyof typeof ZOO;
export const ZOO_NAMES = Object.keys(ZOO) as ZooName[];

/** The ArchConfig of a named model; unknown names fail listing the known ones. */
export function zooArch(name: string): ArchConfig {
  if (!Object.prototype.hasOwnProperty.call(ZOO, name)) {
    throw new Error(`unknown model '${name}'; known: ${ZOO_NAMES.join(', ')}`);
  }
  return ZOO[name as ZooName].arch;
}
