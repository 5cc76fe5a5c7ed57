/**
 * The published numbers the reproduction jobs compare against, as plain data (DUKD-v2 Tables 2-4, AugKD's quoted figures).
 * PSNR (dB) / SSIM on Y (BT.601), border = scale, no self-ensemble. Every row carries its source tag:
 * `source` names the paper table, `status` how sure the transcription is ('V' transcribed from the full paper text,
 * '2nd' quoted by secondary material only, 'unverified' a row that is likely a transcription error in the paper).
 * Set names follow the kit ('B100' is the papers' BSD100; 'DIV2K-val' is DIV2K 0801-0900).
 */
import type { Scale } from '../types';

export type PaperSet = 'Set5' | 'Set14' | 'B100' | 'Urban100' | 'DIV2K-val';
export const PAPER_SETS: readonly PaperSet[] = ['Set5', 'Set14', 'B100', 'Urban100', 'DIV2K-val'];

export type PaperCell = { readonly psnr: number; readonly ssim: number };

/** One quantity a paper states (or, as '-', only assumes) beside the kit's value, for the notebooks' "beside the paper" tables. */
export type PaperKitRow = { readonly quantity: string; readonly paper: number | string; readonly kit: number | string };
export type PaperCells = Readonly<Partial<Record<PaperSet, PaperCell>>>;
export type PaperStatus = 'V' | '2nd' | 'unverified';

export type PaperBackbone = 'edsr' | 'rcan' | 'swinir';
export type Table2Method = 'scratch' | 'kd' | 'fakd' | 'csd' | 'dukd';

export type Table2Row = {
  readonly table: 'DUKD-v2 Table 2';
  readonly source: string;
  readonly status: PaperStatus;
  readonly scale: Scale;
  readonly backbone: PaperBackbone;
  readonly method: Table2Method;
  /** `*`: retrained by the DUKD authors (no checkpoint was available). */
  readonly retrained: boolean;
  readonly sets: PaperCells;
};

/** Table 4 rows, in the paper's order. */
export type AblationRow = 'scratch' | 'kd' | 'fakd' | 'zoom-in' | 'zoom-out' | 'zoom-in+zoom-out' | 'zoom-in+da' | 'full';
export const ABLATION_ROWS: readonly AblationRow[] = ['scratch', 'kd', 'fakd', 'zoom-in', 'zoom-out', 'zoom-in+zoom-out', 'zoom-in+da', 'full'];

export type Table4Row = {
  readonly table: 'DUKD-v2 Table 4';
  readonly source: string;
  readonly status: PaperStatus;
  readonly row: AblationRow;
  /** The row's label as printed. */
  readonly label: string;
  readonly sets: PaperCells;
};

/** Table 3 teachers: 'none' is the Scratch RCAN student. */
export type HeteroTeacher = 'none' | 'edsr' | 'swinir';
export type Table3Row = {
  readonly table: 'DUKD-v2 Table 3';
  readonly source: string;
  readonly status: PaperStatus;
  readonly teacher: HeteroTeacher;
  readonly label: string;
  readonly sets: PaperCells;
};

/** Single AugKD figures quoted by secondary sources (the AugKD paper text was not available); `set` may be a non-benchmark measurement. */
export type AugkdNumber = {
  readonly table: string;
  readonly source: string;
  readonly status: PaperStatus;
  readonly item: string;
  readonly set: string;
  readonly psnr: number;
  readonly ssim: number | null;
};

const c = (psnr: number, ssim: number): PaperCell => ({ psnr, ssim });
const BENCH: readonly PaperSet[] = ['Set5', 'Set14', 'B100', 'Urban100'];
function cells(values: readonly (readonly [number, number])[], sets: readonly PaperSet[] = BENCH): PaperCells {
  if (values.length !== sets.length) throw new Error(`paper numbers: ${values.length} cells for ${sets.length} sets`);
  return Object.fromEntries(values.map(([p, s], i) => [sets[i], c(p, s)])) as PaperCells;
}

type T2 = readonly [Scale, PaperBackbone, Table2Method, boolean, readonly (readonly [number, number])[]];
// [scale, backbone, method, retrained (*), Set5, Set14, BSD100, Urban100] -- DUKD-v2 Table 2
const T2_DATA: readonly T2[] = [
  [2, 'edsr', 'scratch', false, [[38.0, 0.9605], [33.57, 0.9171], [32.17, 0.8996], [31.96, 0.9268]]],
  [2, 'edsr', 'kd', false, [[38.04, 0.9606], [33.58, 0.9172], [32.19, 0.8998], [31.98, 0.9269]]],
  [2, 'edsr', 'fakd', true, [[37.97, 0.9604], [33.47, 0.917], [32.11, 0.8987], [31.66, 0.924]]],
  [2, 'edsr', 'csd', true, [[38.06, 0.9607], [33.65, 0.9179], [32.22, 0.9004], [32.26, 0.93]]],
  [2, 'edsr', 'dukd', false, [[38.15, 0.961], [33.8, 0.9195], [32.27, 0.9007], [32.53, 0.932]]],
  [2, 'rcan', 'scratch', false, [[38.13, 0.961], [33.78, 0.9194], [32.26, 0.9007], [32.63, 0.9327]]],
  [2, 'rcan', 'kd', false, [[38.18, 0.9611], [33.83, 0.9197], [32.29, 0.901], [32.67, 0.9329]]],
  [2, 'rcan', 'fakd', false, [[38.16, 0.9611], [33.82, 0.919], [32.27, 0.901], [32.53, 0.932]]],
  [2, 'rcan', 'dukd', false, [[38.23, 0.9614], [33.9, 0.9201], [32.33, 0.9016], [32.87, 0.9349]]],
  [2, 'swinir', 'scratch', false, [[38.01, 0.9607], [33.57, 0.9178], [32.19, 0.9], [32.05, 0.9279]]],
  [2, 'swinir', 'kd', false, [[38.04, 0.9608], [33.61, 0.9184], [32.22, 0.9003], [32.09, 0.9282]]],
  [2, 'swinir', 'dukd', false, [[38.13, 0.961], [33.78, 0.9194], [32.26, 0.9007], [32.63, 0.9327]]],
  [3, 'edsr', 'scratch', false, [[34.39, 0.927], [30.32, 0.8417], [29.08, 0.8046], [27.99, 0.8489]]],
  [3, 'edsr', 'kd', false, [[34.43, 0.9273], [30.34, 0.8422], [29.1, 0.805], [28.0, 0.8491]]],
  [3, 'edsr', 'fakd', true, [[34.2, 0.9259], [30.24, 0.8409], [29.02, 0.8031], [27.69, 0.8434]]],
  [3, 'edsr', 'csd', true, [[34.45, 0.9275], [30.32, 0.843], [29.11, 0.8061], [28.21, 0.8549]]],
  [3, 'edsr', 'dukd', false, [[34.59, 0.9287], [30.47, 0.8448], [29.2, 0.8073], [28.44, 0.8578]]],
  [3, 'rcan', 'scratch', false, [[34.61, 0.9288], [30.45, 0.8444], [29.18, 0.8074], [28.59, 0.861]]],
  [3, 'rcan', 'kd', false, [[34.61, 0.9291], [30.47, 0.8447], [29.21, 0.808], [28.62, 0.8612]]],
  [3, 'rcan', 'fakd', false, [[34.65, 0.9291], [30.45, 0.8442], [29.21, 0.8087], [28.52, 0.8602]]],
  [3, 'rcan', 'dukd', false, [[34.74, 0.9296], [30.54, 0.8458], [29.25, 0.8088], [28.79, 0.8646]]],
  [3, 'swinir', 'scratch', false, [[34.41, 0.9273], [30.43, 0.8437], [29.12, 0.8062], [28.2, 0.8537]]],
  [3, 'swinir', 'kd', false, [[34.44, 0.9275], [30.45, 0.8443], [29.14, 0.8066], [28.23, 0.8545]]],
  [3, 'swinir', 'dukd', false, [[34.55, 0.9285], [30.53, 0.8456], [29.2, 0.808], [28.53, 0.8604]]],
  [4, 'edsr', 'scratch', false, [[32.29, 0.8965], [28.68, 0.784], [27.64, 0.738], [26.21, 0.7893]]],
  [4, 'edsr', 'kd', false, [[32.3, 0.8965], [28.7, 0.7842], [27.64, 0.7382], [26.21, 0.7897]]],
  [4, 'edsr', 'fakd', true, [[32.07, 0.8938], [28.57, 0.7819], [27.55, 0.7358], [25.86, 0.7798]]],
  [4, 'edsr', 'csd', false, [[32.34, 0.8974], [28.72, 0.7856], [27.68, 0.7396], [26.34, 0.7948]]],
  [4, 'edsr', 'dukd', false, [[32.47, 0.8981], [28.8, 0.7866], [27.71, 0.7403], [26.45, 0.7963]]],
  [4, 'rcan', 'scratch', false, [[32.31, 0.897], [28.69, 0.784], [27.64, 0.738], [26.37, 0.795]]],
  [4, 'rcan', 'kd', false, [[32.45, 0.898], [28.76, 0.786], [27.67, 0.74], [26.49, 0.798]]],
  [4, 'rcan', 'fakd', false, [[32.46, 0.898], [28.75, 0.786], [27.68, 0.74], [26.42, 0.797]]],
  [4, 'rcan', 'dukd', false, [[32.56, 0.899], [28.83, 0.787], [27.72, 0.741], [26.62, 0.802]]],
  [4, 'swinir', 'scratch', false, [[32.31, 0.8955], [28.67, 0.7833], [27.61, 0.7379], [26.15, 0.7884]]],
  [4, 'swinir', 'kd', false, [[32.27, 0.8954], [28.67, 0.7833], [27.62, 0.738], [26.15, 0.7887]]],
  [4, 'swinir', 'dukd', false, [[32.41, 0.8973], [28.79, 0.786], [27.69, 0.7405], [26.43, 0.7972]]],
];

/** DUKD-v2 Table 2 (main comparison), one row per scale/backbone/method. */
export const TABLE2: readonly Table2Row[] = T2_DATA.map(([scale, backbone, method, retrained, v]) => ({
  table: 'DUKD-v2 Table 2',
  source: 'DUKD-v2 Table 2',
  // the paper's SwinIR x2 DUKD row repeats the RCAN x2 Scratch row digit for digit (a likely copy error)
  status: backbone === 'swinir' && scale === 2 && method === 'dukd' ? 'unverified' : 'V',
  scale,
  backbone,
  method,
  retrained,
  sets: cells(v),
}));

/** DUKD-v2 Table 3: heterogeneous distillation into the RCAN 64/6/10 student, x4. */
export const TABLE3: readonly Table3Row[] = ([
  ['none', 'none (Scratch RCAN)', [[32.31, 0.8966], [28.69, 0.7842], [27.64, 0.7384], [26.37, 0.7949]]],
  ['edsr', 'EDSR → RCAN', [[32.51, 0.8986], [28.8, 0.7868], [27.71, 0.7406], [26.59, 0.8014]]],
  ['swinir', 'SwinIR → RCAN', [[32.5, 0.8986], [28.82, 0.7872], [27.72, 0.7408], [26.59, 0.8007]]],
] as const).map(([teacher, label, v]) => ({
  table: 'DUKD-v2 Table 3' as const,
  source: 'DUKD-v2 Table 3',
  status: 'V' as const,
  teacher,
  label,
  sets: cells(v),
}));

const T4_SETS: readonly PaperSet[] = ['Set5', 'Set14', 'B100', 'Urban100', 'DIV2K-val'];
/** DUKD-v2 Table 4: ablation, EDSR 64x32 teacher -> 16x32 student (x4 inferred). */
export const TABLE4: readonly Table4Row[] = ([
  ['scratch', 'Scratch', [[31.12, 0.8782], [27.93, 0.7663], [27.13, 0.7217], [24.86, 0.7421], [29.75, 0.8215]]],
  ['kd', 'Logits-KD', [[31.16, 0.8791], [27.95, 0.767], [27.13, 0.7223], [24.87, 0.7431], [29.77, 0.8223]]],
  ['fakd', 'FAKD', [[30.86, 0.8735], [27.79, 0.7636], [27.06, 0.719], [24.75, 0.7381], [29.66, 0.8196]]],
  ['zoom-in', 'Zoom In', [[31.51, 0.8849], [28.19, 0.7726], [27.29, 0.7268], [25.18, 0.7551], [29.98, 0.8269]]],
  ['zoom-out', 'Zoom Out', [[31.54, 0.8855], [28.2, 0.7725], [27.29, 0.7269], [25.18, 0.7552], [29.97, 0.8268]]],
  ['zoom-in+zoom-out', 'Zoom In + Zoom Out', [[31.55, 0.8857], [28.21, 0.7727], [27.3, 0.7269], [25.2, 0.7558], [29.99, 0.8269]]],
  ['zoom-in+da', 'Zoom In + DA', [[31.59, 0.8863], [28.23, 0.773], [27.31, 0.7274], [25.24, 0.7571], [30.0, 0.8273]]],
  ['full', 'Zoom In + Zoom Out + DA', [[31.73, 0.8883], [28.29, 0.7745], [27.36, 0.7288], [25.34, 0.7609], [30.06, 0.8286]]],
] as const).map(([row, label, v]) => ({
  table: 'DUKD-v2 Table 4' as const,
  source: 'DUKD-v2 Table 4; AugKD Tables 6-7 quote the same values [2nd]',
  status: 'V' as const,
  row,
  label,
  sets: cells(v, T4_SETS),
}));

/** AugKD figures quoted by secondary sources, for notebooks and the agreement plot. */
export const AUGKD_NUMBERS: readonly AugkdNumber[] = ([
  ['AugKD Table 2', 'EDSR x4 AugKD', 'Urban100', 26.45, null],
  ['AugKD Table 2', 'EDSR x4 CSD', 'Urban100', 26.34, null],
  ['AugKD Table 2', 'EDSR x4 KD', 'Urban100', 26.21, null],
  ['AugKD Table 2', 'EDSR x2 AugKD', 'Urban100', 32.53, null],
  ['AugKD Table 2', 'EDSR x2 CSD', 'Urban100', 32.26, null],
  ['AugKD Table 3', 'RCAN x4 AugKD', 'Urban100', 26.62, null],
  ['AugKD Table 3', 'RCAN x4 CrossKD', 'Urban100', 26.52, null],
  ['AugKD Table 3', 'RCAN x4 Scratch', 'Urban100', 26.37, null],
  ['AugKD Table 4', 'heterogeneous teacher -> RCAN x4 AugKD', 'Urban100', 26.59, null],
  ['AugKD Table 4', 'RCAN x4 Scratch', 'Urban100', 26.37, null],
  ['AugKD Table 8', 'EDSR x4 FAKD', 'Urban100', 26.18, null],
  ['AugKD Table 8', 'EDSR x4 FAKD + AugKD', 'Urban100', 26.3, null],
  ['AugKD Table 9', 'EDSR x4 AugKD on DIV2K (no x2 warm start?)', 'Urban100', 26.32, null],
  ['AugKD Table 9', 'EDSR x4 Scratch on DF2K', 'Urban100', 26.15, null],
  ['AugKD Table 9', 'EDSR x4 KD on DF2K', 'Urban100', 26.31, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) Scratch', 'Urban100', 34.52, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) KD', 'Urban100', 34.63, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) AugKD', 'Urban100', 38.2, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) KD', 'DIV2K', 42.3, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) CSD', 'DIV2K', 42.68, null],
  ['AugKD Fig. 2', 'PSNR(student, teacher) AugKD', 'DIV2K', 43.6, null],
] as const).map(([table, item, set, psnr, ssim]) => ({
  table,
  source: `${table} (quoted by a secondary source)`,
  status: '2nd' as const,
  item,
  set,
  psnr,
  ssim,
}));

/** Teacher-student agreement per method as AugKD Fig. 2 quotes it (PSNR(S, T), dB; quoted by a secondary source). */
export function paperAgreement(method: 'scratch' | 'kd' | 'csd' | 'dukd', set: 'Urban100' | 'DIV2K'): number | null {
  const label = method === 'dukd' ? 'AugKD' : method === 'kd' ? 'KD' : method === 'csd' ? 'CSD' : 'Scratch';
  const hit = AUGKD_NUMBERS.find((n) => n.table === 'AugKD Fig. 2' && n.set === set && n.item === `PSNR(student, teacher) ${label}`);
  return hit ? hit.psnr : null;
}

export function table2Row(backbone: PaperBackbone, scale: Scale, method: Table2Method): Table2Row | null {
  return TABLE2.find((r) => r.backbone === backbone && r.scale === scale && r.method === method) ?? null;
}

export function table3Row(teacher: HeteroTeacher): Table3Row {
  const r = TABLE3.find((x) => x.teacher === teacher);
  if (!r) throw new Error(`no Table 3 row for teacher ${JSON.stringify(teacher)}`);
  return r;
}

export function table4Row(row: AblationRow): Table4Row {
  const r = TABLE4.find((x) => x.row === row);
  if (!r) throw new Error(`no Table 4 row ${JSON.stringify(row)}; rows: ${ABLATION_ROWS.join(', ')}`);
  return r;
}

/** A paper cell for one of our result sets ('synthetic-valid' has none; 'DIV2K' maps to 'DIV2K-val'). */
export function paperCell(cellsOf: PaperCells, set: string): PaperCell | null {
  const key = (set === 'DIV2K' || set === 'DIV2K-valid' ? 'DIV2K-val' : set === 'BSD100' ? 'B100' : set) as PaperSet;
  return cellsOf[key] ?? null;
}
