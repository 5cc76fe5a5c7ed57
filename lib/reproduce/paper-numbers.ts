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

// ---- DCKD (Zhou et al., AAAI 2025, arXiv 2412.08939): transcribed from the full paper text ('V') ----

/** DCKD Table 2 rows (MiPKD is another paper's method the table lists; DCKD* = DCKD combined with DUKD). */
export type DckdTable2Method = 'teacher' | 'scratch' | 'kd' | 'fakd' | 'mipkd' | 'dckd' | 'dckd-star';
export type DckdBackbone = 'swinir' | 'rcan';

export type DckdTable2Row = {
  readonly table: 'DCKD Table 2';
  readonly source: string;
  readonly status: PaperStatus;
  readonly scale: Scale;
  readonly backbone: DckdBackbone;
  readonly method: DckdTable2Method;
  readonly sets: PaperCells;
};

type DT2 = readonly [Scale, DckdBackbone, DckdTable2Method, readonly (readonly [number, number])[]];
// [scale, backbone, method, Set5, Set14, BSD100, Urban100] -- DCKD Table 2 (SwinIR 180/6x6 -> 60/4x6, RCAN 64/20/10 -> 64/6/10)
const DT2_DATA: readonly DT2[] = [
  [2, 'swinir', 'teacher', [[38.36, 0.962], [34.14, 0.9227], [32.45, 0.903], [33.4, 0.9394]]],
  [2, 'swinir', 'scratch', [[38.0, 0.9607], [33.56, 0.9178], [32.19, 0.9], [32.05, 0.9279]]],
  [2, 'swinir', 'kd', [[38.04, 0.9608], [33.61, 0.9184], [32.22, 0.9003], [32.09, 0.9282]]],
  [2, 'swinir', 'fakd', [[38.03, 0.9608], [33.63, 0.9182], [32.21, 0.9001], [32.06, 0.9279]]],
  [2, 'swinir', 'mipkd', [[38.14, 0.9611], [33.76, 0.9194], [32.29, 0.9011], [32.46, 0.9313]]],
  [2, 'swinir', 'dckd', [[38.17, 0.9613], [33.85, 0.9205], [32.31, 0.9017], [32.59, 0.933]]],
  [3, 'swinir', 'teacher', [[34.89, 0.9312], [30.77, 0.8503], [29.37, 0.8124], [29.29, 0.8744]]],
  [3, 'swinir', 'scratch', [[34.41, 0.9273], [30.43, 0.8437], [29.12, 0.8062], [28.2, 0.8537]]],
  [3, 'swinir', 'kd', [[34.44, 0.9275], [30.45, 0.8443], [29.14, 0.8066], [28.23, 0.8545]]],
  [3, 'swinir', 'fakd', [[34.42, 0.9273], [30.42, 0.8437], [29.12, 0.8062], [28.18, 0.8533]]],
  [3, 'swinir', 'mipkd', [[34.53, 0.9283], [30.52, 0.8456], [29.19, 0.8079], [28.47, 0.8591]]],
  [3, 'swinir', 'dckd', [[34.59, 0.9291], [30.57, 0.8475], [29.22, 0.8093], [28.63, 0.8633]]],
  [4, 'swinir', 'teacher', [[32.72, 0.9021], [28.94, 0.7914], [27.83, 0.7459], [27.07, 0.8164]]],
  [4, 'swinir', 'scratch', [[32.31, 0.8955], [28.67, 0.7833], [27.61, 0.7379], [26.15, 0.7884]]],
  [4, 'swinir', 'kd', [[32.27, 0.8954], [28.67, 0.7833], [27.62, 0.738], [26.15, 0.7887]]],
  [4, 'swinir', 'fakd', [[32.22, 0.895], [28.65, 0.7831], [27.61, 0.738], [26.09, 0.787]]],
  [4, 'swinir', 'mipkd', [[32.39, 0.8971], [28.76, 0.7854], [27.68, 0.7403], [26.37, 0.7956]]],
  [4, 'swinir', 'dckd', [[32.49, 0.8991], [28.82, 0.7877], [27.72, 0.7422], [26.53, 0.8007]]],
  [4, 'swinir', 'dckd-star', [[32.51, 0.8992], [28.88, 0.789], [27.74, 0.743], [26.62, 0.8032]]],
  [2, 'rcan', 'teacher', [[38.27, 0.9614], [34.13, 0.9216], [32.41, 0.9027], [33.34, 0.9384]]],
  [2, 'rcan', 'scratch', [[38.13, 0.961], [33.78, 0.9194], [32.26, 0.9007], [32.63, 0.9327]]],
  [2, 'rcan', 'kd', [[38.17, 0.9611], [33.83, 0.9197], [32.29, 0.901], [32.67, 0.9329]]],
  [2, 'rcan', 'fakd', [[38.17, 0.9612], [33.83, 0.9199], [32.29, 0.9011], [32.65, 0.933]]],
  [2, 'rcan', 'mipkd', [[38.21, 0.9613], [33.92, 0.9203], [32.32, 0.9015], [32.83, 0.9344]]],
  [2, 'rcan', 'dckd', [[38.25, 0.9615], [34.01, 0.9213], [32.35, 0.9019], [32.92, 0.9351]]],
  [3, 'rcan', 'teacher', [[34.74, 0.9299], [30.65, 0.8482], [29.32, 0.8111], [29.09, 0.8702]]],
  [3, 'rcan', 'scratch', [[34.61, 0.9288], [30.45, 0.8444], [29.18, 0.8074], [28.59, 0.861]]],
  [3, 'rcan', 'kd', [[34.61, 0.9291], [30.47, 0.8447], [29.21, 0.808], [28.62, 0.8612]]],
  [3, 'rcan', 'fakd', [[34.63, 0.929], [30.51, 0.8453], [29.21, 0.8079], [28.62, 0.8612]]],
  [3, 'rcan', 'mipkd', [[34.72, 0.9296], [30.55, 0.8458], [29.25, 0.8087], [28.76, 0.864]]],
  [3, 'rcan', 'dckd', [[34.74, 0.9299], [30.6, 0.8472], [29.29, 0.8099], [28.87, 0.8662]]],
  [4, 'rcan', 'teacher', [[32.63, 0.9002], [28.87, 0.7889], [27.77, 0.7436], [26.82, 0.8087]]],
  [4, 'rcan', 'scratch', [[32.38, 0.8971], [28.69, 0.7842], [27.63, 0.7379], [26.36, 0.7947]]],
  [4, 'rcan', 'kd', [[32.45, 0.898], [28.76, 0.786], [27.67, 0.74], [26.49, 0.7982]]],
  [4, 'rcan', 'fakd', [[32.46, 0.898], [28.77, 0.786], [27.68, 0.74], [26.5, 0.798]]],
  [4, 'rcan', 'mipkd', [[32.46, 0.8982], [28.77, 0.786], [27.69, 0.7402], [26.55, 0.7998]]],
  [4, 'rcan', 'dckd', [[32.56, 0.8995], [28.82, 0.7877], [27.73, 0.7423], [26.69, 0.8041]]],
  [4, 'rcan', 'dckd-star', [[32.58, 0.8996], [28.86, 0.7885], [27.74, 0.7425], [26.74, 0.8054]]],
];

/** DCKD Table 2 (SR comparison; no EDSR block: DCKD publishes SwinIR and RCAN only). */
export const DCKD_TABLE2: readonly DckdTable2Row[] = DT2_DATA.map(([scale, backbone, method, v]) => ({
  table: 'DCKD Table 2' as const,
  source: 'DCKD Table 2 (FAKD on SwinIR: the DCKD authors\' reproduction)',
  status: 'V' as const,
  scale,
  backbone,
  method,
  sets: cells(v),
}));

export function dckdTable2Row(backbone: string, scale: Scale, method: DckdTable2Method): DckdTable2Row | null {
  return DCKD_TABLE2.find((r) => r.backbone === backbone && r.scale === scale && r.method === method) ?? null;
}

/** DCKD Table 5 rows: the components on RCAN x2 (KD = neither; DCR = dynamic contrastive regularisation; DMM = distribution mapping). */
export type DckdAblationRow = 'kd' | 'dcr' | 'dmm' | 'dckd';
export type DckdTable5Row = {
  readonly table: 'DCKD Table 5';
  readonly source: string;
  readonly status: PaperStatus;
  readonly row: DckdAblationRow;
  readonly dcr: boolean;
  readonly dmm: boolean;
  readonly sets: PaperCells;
};

/** DCKD Table 5: ablation of DCR and DMM, RCAN 64/20/10 -> 64/6/10, x2, Set14 and Urban100. */
export const DCKD_TABLE5: readonly DckdTable5Row[] = ([
  ['kd', false, false, [[33.83, 0.9197], [32.67, 0.9329]]],
  ['dcr', true, false, [[33.98, 0.9208], [32.83, 0.9346]]],
  ['dmm', false, true, [[33.92, 0.9205], [32.81, 0.9343]]],
  ['dckd', true, true, [[34.01, 0.9213], [32.92, 0.9351]]],
] as const).map(([row, dcr, dmm, v]) => ({
  table: 'DCKD Table 5' as const, source: 'DCKD Table 5 (RCAN x2)', status: 'V' as const, row, dcr, dmm, sets: cells(v, ['Set14', 'Urban100']),
}));

export function dckdTable5Row(row: DckdAblationRow): DckdTable5Row {
  const r = DCKD_TABLE5.find((x) => x.row === row);
  if (!r) throw new Error(`no DCKD Table 5 row ${JSON.stringify(row)}; rows: ${DCKD_TABLE5.map((x) => x.row).join(', ')}`);
  return r;
}

/** DCKD Table 6: the degradation of the negative generator (RCAN x2, Set14 and Urban100). */
export const DCKD_TABLE6: readonly { readonly degradation: 'blur' | 'noise' | 'resize' | 'mix'; readonly sets: PaperCells }[] = ([
  ['blur', [[34.01, 0.9212], [32.89, 0.9352]]],
  ['noise', [[34.01, 0.9213], [32.92, 0.9351]]],
  ['resize', [[33.99, 0.9212], [32.9, 0.9354]]],
  ['mix', [[34.0, 0.9212], [32.87, 0.9353]]],
] as const).map(([degradation, v]) => ({ degradation, sets: cells(v, ['Set14', 'Urban100']) }));

/** DCKD Table 7: loss weights (RCAN x2, Urban100); the other weight at its default (λ_dcl 0.1, λ_ce 0.001). */
export const DCKD_TABLE7: readonly { readonly weight: 'dcl' | 'ce'; readonly value: number; readonly urban100: PaperCell }[] = ([
  ['dcl', 0.01, 32.87, 0.9346], ['dcl', 0.1, 32.92, 0.9351], ['dcl', 1.0, 32.81, 0.935],
  ['ce', 0.0001, 32.84, 0.9345], ['ce', 0.001, 32.92, 0.9351], ['ce', 0.01, 32.82, 0.9341],
] as const).map(([weight, value, psnr, ssim]) => ({ weight, value, urban100: c(psnr, ssim) }));

/** DCKD Fig. 8 sweeps: Urban100 PSNR (no SSIM published) of RCAN x2 against the number of negatives N and the initial history update step. */
export type DckdSweep = 'negatives' | 'historyStep';
export const DCKD_FIG8: Readonly<Record<DckdSweep, readonly { readonly value: number; readonly urban100Psnr: number }[]>> = {
  negatives: [[3, 32.82], [4, 32.85], [5, 32.92], [6, 32.93], [7, 32.93]].map(([value, urban100Psnr]) => ({ value, urban100Psnr })),
  historyStep: [[100, 32.79], [500, 32.82], [1000, 32.92], [2000, 32.84], [5000, 32.83]].map(([value, urban100Psnr]) => ({ value, urban100Psnr })),
};

/** Fig. 8's Urban100 PSNR at one sweep value, or null where the figure has no point. */
export function dckdFig8Psnr(sweep: DckdSweep, value: number): number | null {
  return DCKD_FIG8[sweep].find((p) => p.value === value)?.urban100Psnr ?? null;
}
