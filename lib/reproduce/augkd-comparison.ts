/**
 * AugKD beside DUKD (notebook 10): Scratch, KD, DUKD and AugKD students of one backbone's pair, sharing one
 * teacher (Table 2's rows without FAKD and CSD, plus AugKD). Optional rows (trained when named, `onlyRows`): AugKD's
 * other experiments the kit implements: FAKD and FAKD + AugKD (AugKD Table 8), and the FitNet and AT baselines.
 * AugKD publishes no table the kit can pair with each row of this job, so the paper column stays empty; its
 * published numbers are AUGKD_NUMBERS (paper-numbers.ts).
 */
import { assertArchName, assertPresetName } from './job-config';
import { forwardedJobOptions, runJob, type JobResult, type RowSpec } from './job';
import { mainComparisonRows, type MainComparisonOptions } from './main-comparison';
import { defaultScale } from './teacher';
import { FAKD_LABELS } from './ablation';
import type { PresetName } from '../config/presets';
import type { ArchName } from '../models/archs/index';
import type { Scale } from '../types';

/** The optional rows (AugKD's feature-KD experiments the kit implements), in table order. */
export const AUGKD_OPTIONAL_ROWS = ['fakd', 'fakd-augkd', 'fitnet', 'at'] as const;

/** The rows: Scratch, KD, DUKD from Table 2's block of the backbone, then AugKD on the same pair, then the optional rows. */
export function augkdComparisonRows(preset: PresetName, backbone: ArchName, scale: Scale): RowSpec[] {
  const rows = mainComparisonRows(preset, backbone, scale).filter((r) => ['scratch', 'kd', 'dukd'].includes(r.row));
  const pair = rows[0].pair;
  const optional = (row: (typeof AUGKD_OPTIONAL_ROWS)[number], label: string): RowSpec => ({ row, label, method: row, pair, paper: null, optional: true });
  return [
    ...rows, { row: 'augkd', label: 'AugKD', method: 'augkd', pair, paper: null },
    optional('fakd', FAKD_LABELS.fakd), optional('fakd-augkd', 'FAKD + AugKD'), optional('fitnet', 'FitNet'), optional('at', 'AT'),
  ];
}

/** Trains (or reuses) the rows of augkdComparisonRows and scores them (a JobResult like the other jobs). */
export async function reproduceAugkdComparison(opts: MainComparisonOptions): Promise<JobResult> {
  assertPresetName(opts.preset);
  const backbone = opts.backbone ?? 'edsr';
  assertArchName(backbone);
  const scale = opts.scale ?? defaultScale(opts.preset);
  return runJob('main', `Scratch / KD / DUKD / AugKD, ${backbone.toUpperCase()} x${scale} (${opts.preset} preset)`, augkdComparisonRows(opts.preset, backbone, scale), {
    ...forwardedJobOptions(opts, scale), syntheticPaperSet: 'Urban100',
    paperSource: 'AugKD (ICLR 2025): no per-row numbers for this pair (published values: AUGKD_NUMBERS)',
  });
}
