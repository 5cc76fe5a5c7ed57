/**
 * DUKD-v2 Table 3: heterogeneous distillation into an RCAN student: the Scratch RCAN student, then per teacher
 * (EDSR, SwinIR) two DUKD rows: '<t>->rcan' at RCAN's DUKD-code setting for the scale (x2/x4: no zoom-out, no
 * augmentations; DUKD code options/RCAN/dukd_rcan_x4...yml) and '<t>->rcan-full' with every DUKD part on (the
 * 'dukd-full' preset: the paper's text describes full DUKD). Both stand beside the paper's row. The
 * paper uses x4, the RCAN 64/6/10 student and the EDSR 256x32 / SwinIR-M teachers ('paper' preset). One
 * `teacherWeights` names one teacher's weights, so with it pick that teacher alone (`teachers: ['edsr']`);
 * teachers without weights are trained with scratch. 'quick'/'smoke' use small pairs (job-config.ts).
 */
import { forwardedJobOptions, runJob, type JobResult, type ReproduceOptions, type RowSpec } from './job';
import { assertPresetName, backbonePair } from './job-config';
import { type PresetName } from '../config/presets';
import { table3Row } from './paper-numbers';
import { defaultScale } from './teacher';

export interface HeterogeneousOptions extends ReproduceOptions {
  /** Which teacher rows to run (default both). `teacherWeights`, when given, are the weights of this teacher. */
  readonly teachers?: readonly ('edsr' | 'swinir')[];
}

/** Table 3's row specs: Scratch RCAN, then per teacher DUKD at RCAN's code setting and full DUKD. */
export function heterogeneousRows(preset: PresetName, teachers: readonly ('edsr' | 'swinir')[] = ['edsr', 'swinir']): RowSpec[] {
  const student = backbonePair(preset, 'rcan').student;
  const rows: RowSpec[] = [{ row: 'scratch', label: table3Row('none').label, method: 'scratch', pair: { teacher: backbonePair(preset, teachers[0] ?? 'edsr').teacher, student }, paper: table3Row('none').sets }];
  for (const t of teachers) {
    const r = table3Row(t);
    const pair = { teacher: backbonePair(preset, t).teacher, student };
    rows.push({ row: `${t}->rcan`, label: `${r.label} (DUKD, RCAN code setting)`, method: 'dukd', pair, paper: r.sets });
    rows.push({ row: `${t}->rcan-full`, label: `${r.label} (full DUKD)`, method: 'dukd-full', pair, paper: r.sets });
  }
  return rows;
}

/** Reproduces DUKD-v2 Table 3 (see the file comment). */
export async function reproduceHeterogeneous(opts: HeterogeneousOptions): Promise<JobResult> {
  assertPresetName(opts.preset);
  const teachers = opts.teachers ?? ['edsr', 'swinir'];
  if (opts.teacherWeights && teachers.length !== 1) {
    throw new Error("heterogeneous: teacherWeights names one teacher's weights; pick that teacher with teachers: ['edsr'] or ['swinir']");
  }
  const scale = opts.scale ?? defaultScale(opts.preset);
  return runJob('heterogeneous', `DUKD-v2 Table 3, heterogeneous teachers -> RCAN x${scale} (${opts.preset} preset)`, heterogeneousRows(opts.preset, teachers), {
    ...forwardedJobOptions(opts, scale), syntheticPaperSet: 'Urban100',
    paperSource: 'DUKD-v2 Table 3: x4, RCAN 64/6/10 student, EDSR 256x32 / SwinIR-M teachers, DIV2K training',
  });
}
