/**
 * DUKD-v2 Table 4: the ablation of data upcycling on one EDSR pair. Rows: Scratch,
 * Logits-KD, FAKD, Zoom In, Zoom Out, Zoom In + Zoom Out, Zoom In + DA, Zoom In + Zoom Out + DA (full DUKD);
 * every distilled row shares one teacher (ensureTeacher). The paper's pair is EDSR 64x32 -> 16x32 at x4
 * ('paper' preset); 'quick' and 'smoke' use their preset's small pair and scale. With no data root the
 * held-out set is the synthetic valid split, shown beside the paper's DIV2K-val column (Table 4's own
 * held-out set); with a root, the benchmark sets (and DIV2K val when present).
 *
 * The FAKD row trains the kit's 'fakd' (the FAKD paper's loss; its label says so); the optional row
 * 'fakd-release' trains FAKD* as DUKD's released code ran it ('fakd-dukd-release': affinity detached, so KD at
 * 1/1, four taps, on EDSR lr x0.5 at 18,750 of 250k steps), beside the same paper cells.
 *
 * After the paper's rows comes one control row of the kit's, 'kd-dukd-weights': logits KD at DUKD's loss weights
 * (EDSR: w_rec 5, w_kd 1) without upcycling. Table 4's Logits-KD row is KD at 1/1, so "Zoom In beats KD" mixes
 * the zoom-in samples with a 5x weaker KD term; against the control, each zoom is compared at equal weights.
 */
import type { MethodPresetName } from '../distill/config';
import { forwardedJobOptions, runJob, type JobResult, type ReproduceOptions, type RowSpec } from './job';
import { ablationPair, assertPresetName } from './job-config';
import { type PresetName } from '../config/presets';
import { ABLATION_ROWS, table4Row, type AblationRow } from './paper-numbers';
import { defaultScale } from './teacher';

/** The method preset each Table 4 row trains. */
export const ABLATION_METHODS: Readonly<Record<AblationRow, MethodPresetName>> = {
  scratch: 'scratch',
  kd: 'kd',
  fakd: 'fakd',
  'zoom-in': 'dukd-zi',
  'zoom-out': 'dukd-zo',
  'zoom-in+zoom-out': 'dukd-zi-zo',
  'zoom-in+da': 'dukd-zi-da',
  full: 'dukd',
};

/** The kit's control rows, after the paper's (see the file comment). */
export const ABLATION_CONTROLS = ['kd-dukd-weights'] as const;
export type AblationControl = (typeof ABLATION_CONTROLS)[number];
/** Rows trained only when named (`rows`, `onlyRows`, `--rows`): FAKD* as DUKD's release ran it, beside the paper's FAKD row. */
export const ABLATION_OPTIONAL = ['fakd-release'] as const;
export type AblationOptional = (typeof ABLATION_OPTIONAL)[number];
export type AblationRowId = AblationRow | AblationControl | AblationOptional;
const CONTROL_LABELS: Readonly<Record<AblationControl, string>> = { 'kd-dukd-weights': "Logits-KD at DUKD's weights (control)" };

/** Which FAKD a row is, in its label: the kit's 'fakd' (the FAKD paper's loss) or FAKD* ('fakd-dukd-release'). */
export const FAKD_LABELS = {
  fakd: 'FAKD (FAKD paper: affinity trained)',
  'fakd-release': "FAKD* (DUKD's release: affinity detached, 1/1/10, 4 taps)",
} as const;

export interface AblationOptions extends ReproduceOptions {
  /** A subset of the rows (default Table 4's rows in the paper's order, then the control row). */
  readonly rows?: readonly AblationRowId[];
  /** Rows of your own appended after the paper's (e.g. a method preset such as 'dukd-geometric-da'; paper: null). */
  readonly extraRows?: readonly RowSpec[];
}

/**
 * The row specs for a preset: Table 4's rows, then the control row, then the optional rows (marked `optional`:
 * trained when named). Rows given explicitly are all trained.
 */
export function ablationRows(preset: PresetName, rows?: readonly AblationRowId[]): RowSpec[] {
  const pair = ablationPair(preset);
  const ids: readonly AblationRowId[] = rows ?? [...ABLATION_ROWS, ...ABLATION_CONTROLS, ...ABLATION_OPTIONAL];
  return ids.map((row): RowSpec => {
    if ((ABLATION_CONTROLS as readonly string[]).includes(row)) return { row, label: CONTROL_LABELS[row as AblationControl], method: row as AblationControl, pair, paper: null };
    if (row === 'fakd-release') {
      // the paper's FAKD cells: its FAKD row is taken to be this code's run (DUKD's FAKD* marking)
      return { row, label: FAKD_LABELS[row], method: 'fakd-dukd-release', pair, paper: table4Row('fakd').sets, optional: rows === undefined };
    }
    const paper = table4Row(row as AblationRow);
    return { row, label: row === 'fakd' ? FAKD_LABELS.fakd : paper.label, method: ABLATION_METHODS[row as AblationRow], pair, paper: paper.sets };
  });
}

/** Reproduces DUKD-v2 Table 4 (see the file comment). */
export async function reproduceAblation(opts: AblationOptions): Promise<JobResult> {
  assertPresetName(opts.preset);
  const scale = opts.scale ?? defaultScale(opts.preset);
  const known: readonly string[] = [...ABLATION_ROWS, ...ABLATION_CONTROLS, ...ABLATION_OPTIONAL];
  for (const r of opts.rows ?? []) if (!known.includes(r)) throw new Error(`unknown Table 4 row ${JSON.stringify(r)}; rows: ${known.join(', ')}`);
  return runJob('ablation', `DUKD-v2 Table 4 ablation (${opts.preset} preset, x${scale})`, [...ablationRows(opts.preset, opts.rows), ...(opts.extraRows ?? [])], {
    ...forwardedJobOptions(opts, scale), div2kVal: true, syntheticPaperSet: 'DIV2K-val',
    paperSource: 'DUKD-v2 Table 4: EDSR 64x32 -> 16x32, x4 (inferred), DIV2K training; the synthetic held-out set is shown beside its DIV2K-val column',
  });
}
