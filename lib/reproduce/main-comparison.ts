/**
 * DUKD-v2 Table 2 protocol for one backbone: Scratch, KD, FAKD and DUKD students of the backbone's
 * pair, sharing one teacher. 'paper' uses the published pairs (EDSR 256x32 -> 64x32, RCAN 10x20 -> 10x6,
 * SwinIR 180/6x6 -> 60/4x6; pass the converted teacher with `teacherWeights`); 'quick'/'smoke' use small pairs
 * (job-config.ts). FAKD is skipped for SwinIR (not in the paper's table). With the synthetic held-out set, the
 * paper column shown beside it is Urban100 (where the paper's gaps are largest).
 *
 * EDSR also gets CSD's row and, beside it, the fair baseline users of CSD found (CSD repository issue 9): the same
 * student initialised from the sliced teacher and trained on L1 alone ('csd-slice-scratch'). Both train the
 * teacher's first channels (width 0.25): under 'paper' that is Table 2's 64x32 student; under quick/smoke the
 * preset's student is no slice of its teacher, so these two rows have their own student (named in the label) and
 * compare with each other, not with the other rows. No x2 warm start for them (their student starts from the
 * teacher). At x4 under 'paper', CSD's released checkpoint (released-csd.ts), when present, is the CSD row, as in
 * DUKD-v2's Table 2.
 */
import * as path from 'node:path';
import type { Scale } from '../types';
import { forwardedJobOptions, runJob, type JobResult, type ReproduceOptions, type RowSpec } from './job';
import { assertArchName, assertPresetName, type BackbonePair, backbonePair } from './job-config';
import { CSD_WIDTH_MULT, slimEdsrArch } from '../models/csd-edsr';
import type { EdsrConfig } from '../models/types';
import { loadReleasedCsdStudent, releasedCsdFile } from './released-csd';
import { type PresetName } from '../config/presets';
import { type ArchName } from '../models/archs/index';
import { table2Row, type Table2Method } from './paper-numbers';
import { defaultScale } from './teacher';
import { FAKD_LABELS } from './ablation';

export interface MainComparisonOptions extends ReproduceOptions {
  /** Default 'edsr'. */
  readonly backbone?: ArchName;
  /**
   * CSD's released checkpoint to score as the CSD row instead of training it (EDSR only). Default (undefined): the
   * downloaded `csd-edsr-x4` file when present, at x4 under 'paper' (DUKD's Table 2 used it there); null: always train.
   */
  readonly csdWeights?: string | null;
}

const LABELS: Readonly<Record<Table2Method, string>> = { scratch: 'Scratch', kd: 'KD', fakd: FAKD_LABELS.fakd, csd: 'CSD', dukd: 'DUKD' };

/** CSD's row and the sliced-init Scratch beside it (EDSR): the teacher's first channels as the student. */
function csdRows(preset: PresetName, scale: Scale, pair: BackbonePair, csdWeights: string | null): RowSpec[] {
  const widthMult = CSD_WIDTH_MULT;
  const student = slimEdsrArch(pair.teacher as EdsrConfig, widthMult);
  const own = JSON.stringify(student) === JSON.stringify(pair.student) ? '' : ` [own student: EDSR ${student.feats}x${student.blocks}, the teacher's first channels]`;
  const csdPair: BackbonePair = { teacher: pair.teacher, student };
  const released = csdWeights === null ? undefined : { file: csdWeights, load: () => loadReleasedCsdStudent(csdWeights, widthMult) };
  return [
    {
      row: 'csd', label: released ? `CSD (released checkpoint ${path.basename(released.file)})` : `CSD${own}`, method: 'csd', pair: csdPair, warmStart: false,
      paper: table2Row('edsr', scale, 'csd')?.sets ?? null, ...(released ? { released } : {}),
    },
    { row: 'csd-slice-scratch', label: `Scratch, sliced-teacher init${own}`, method: 'csd-slice-scratch', pair: csdPair, warmStart: false, paper: null },
  ];
}

/**
 * Table 2's row specs for a backbone (FAKD not for SwinIR; CSD and its sliced-init Scratch for EDSR only). EDSR and
 * RCAN also get the optional row 'fakd-release' (FAKD* as DUKD's release ran it, trained when named), beside the
 * paper's FAKD cells. `csdWeights`: CSD's released checkpoint to score as the CSD row (null: train it).
 */
export function mainComparisonRows(preset: PresetName, backbone: ArchName, scale: Scale, csdWeights: string | null = null): RowSpec[] {
  const pair = backbonePair(preset, backbone);
  const methods: Exclude<Table2Method, 'csd'>[] = backbone === 'swinir' ? ['scratch', 'kd', 'dukd'] : ['scratch', 'kd', 'fakd', 'dukd'];
  const rows: RowSpec[] = methods.map((m) => ({ row: m, label: LABELS[m], method: m, pair, paper: table2Row(backbone, scale, m)?.sets ?? null }));
  if (backbone === 'swinir') return rows;
  const fakdStar: RowSpec = { row: 'fakd-release', label: FAKD_LABELS['fakd-release'], method: 'fakd-dukd-release', pair, paper: table2Row(backbone, scale, 'fakd')?.sets ?? null, optional: true };
  const csd = backbone === 'edsr' ? csdRows(preset, scale, pair, csdWeights) : [];
  return [...rows.slice(0, 3), fakdStar, ...csd, ...rows.slice(3)];
}

/** The released CSD checkpoint the main job scores as its CSD row (see MainComparisonOptions.csdWeights). */
export function mainCsdWeights(opts: Pick<MainComparisonOptions, 'csdWeights' | 'preset'>, backbone: ArchName, scale: Scale): string | null {
  if (backbone !== 'edsr') return null;
  if (opts.csdWeights !== undefined) return opts.csdWeights;
  return opts.preset === 'paper' && scale === 4 ? releasedCsdFile(4) : null;
}

/** Reproduces one backbone's block of DUKD-v2 Table 2 (see the file comment). */
export async function reproduceMainComparison(opts: MainComparisonOptions): Promise<JobResult> {
  assertPresetName(opts.preset);
  const backbone = opts.backbone ?? 'edsr';
  assertArchName(backbone);
  const scale = opts.scale ?? defaultScale(opts.preset);
  const rows = mainComparisonRows(opts.preset, backbone, scale, mainCsdWeights(opts, backbone, scale));
  return runJob('main', `DUKD-v2 Table 2, ${backbone.toUpperCase()} x${scale} (${opts.preset} preset)`, rows, {
    ...forwardedJobOptions(opts, scale), syntheticPaperSet: 'Urban100',
    paperSource: `DUKD-v2 Table 2: ${backbone.toUpperCase()} x${scale}, the published teacher/student pair, DIV2K training`,
  });
}
