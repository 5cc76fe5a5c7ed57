/**
 * DUKD-v2 Table 2 protocol for one backbone: Scratch, KD, FAKD and DUKD students of the backbone's
 * pair, sharing one teacher. 'paper' uses the published pairs (EDSR 256x32 -> 64x32, RCAN 10x20 -> 10x6,
 * SwinIR 180/6x6 -> 60/4x6; pass the converted teacher with `teacherWeights`); 'quick'/'smoke' use small pairs
 * (job-config.ts). FAKD is skipped for SwinIR (not in the paper's table). With the synthetic held-out set, the
 * paper column shown beside it is Urban100 (where the paper's gaps are largest).
 */
import type { Scale } from '../types';
import { forwardedJobOptions, runJob, type JobResult, type ReproduceOptions, type RowSpec } from './job';
import { assertArchName, assertPresetName, backbonePair } from './job-config';
import { type PresetName } from '../config/presets';
import { type ArchName } from '../models/archs/index';
import { table2Row, type Table2Method } from './paper-numbers';
import { defaultScale } from './teacher';
import { FAKD_LABELS } from './ablation';

export interface MainComparisonOptions extends ReproduceOptions {
  /** Default 'edsr'. */
  readonly backbone?: ArchName;
}

const LABELS: Readonly<Record<Table2Method, string>> = { scratch: 'Scratch', kd: 'KD', fakd: FAKD_LABELS.fakd, csd: 'CSD', dukd: 'DUKD' };

/**
 * Table 2's row specs for a backbone (CSD is not implemented by the kit; FAKD not for SwinIR). EDSR and RCAN also
 * get the optional row 'fakd-release' (FAKD* as DUKD's release ran it, trained when named), beside the paper's FAKD cells.
 */
export function mainComparisonRows(preset: PresetName, backbone: ArchName, scale: Scale): RowSpec[] {
  const pair = backbonePair(preset, backbone);
  const methods: Exclude<Table2Method, 'csd'>[] = backbone === 'swinir' ? ['scratch', 'kd', 'dukd'] : ['scratch', 'kd', 'fakd', 'dukd'];
  const rows: RowSpec[] = methods.map((m) => ({ row: m, label: LABELS[m], method: m, pair, paper: table2Row(backbone, scale, m)?.sets ?? null }));
  if (backbone === 'swinir') return rows;
  const fakdStar: RowSpec = { row: 'fakd-release', label: FAKD_LABELS['fakd-release'], method: 'fakd-dukd-release', pair, paper: table2Row(backbone, scale, 'fakd')?.sets ?? null, optional: true };
  return [...rows.slice(0, 3), fakdStar, ...rows.slice(3)];
}

/** Reproduces one backbone's block of DUKD-v2 Table 2 (see the file comment). */
export async function reproduceMainComparison(opts: MainComparisonOptions): Promise<JobResult> {
  assertPresetName(opts.preset);
  const backbone = opts.backbone ?? 'edsr';
  assertArchName(backbone);
  const scale = opts.scale ?? defaultScale(opts.preset);
  return runJob('main', `DUKD-v2 Table 2, ${backbone.toUpperCase()} x${scale} (${opts.preset} preset)`, mainComparisonRows(opts.preset, backbone, scale), {
    ...forwardedJobOptions(opts, scale), syntheticPaperSet: 'Urban100',
    paperSource: `DUKD-v2 Table 2: ${backbone.toUpperCase()} x${scale}, the published teacher/student pair, DIV2K training`,
  });
}
