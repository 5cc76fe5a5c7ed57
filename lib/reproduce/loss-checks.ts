/**
 * Checks behind notebook 01 (DUKD's losses and where their gradients go), kept here so the notebook only calls
 * and shows them. DUKD-v2 Eqs. 1-3 with the total as written in DUKD-v4/AugKD:
 *    L_rec  = ‖S(x) − y‖₁,  L_kd = ‖S(x) − T(x)‖₁,  L_dukd = ‖A⁻¹(S(A(z))) − T(z)‖₁,
 *    L = L_rec + λ_kd·L_kd + λ_dukd·L_dukd, λ_kd = λ_dukd = 0.2 relative to L_rec
 * (DUKD code's EDSR/SwinIR configs use w_rec = 5, w_kd = 1). The teacher is frozen: its outputs are targets,
 * sg(·), so only the student receives gradients.
 *  - `handComputedLossRows`: the three losses on 2×2 tensors, kit value beside a value worked out by hand;
 *  - `dukdTermCheck`: each term of the kit's DUKD method recomputed straight from the equations;
 *  - `termGradientNorms` / `gradientFlowProblems` / `gradientNormFigure`: ‖∂ term / ∂θ‖₂ per term and network;
 *  - `lossPaperRows`: the paper's numbers beside the kit's.
 */
import * as tf from '@tensorflow/tfjs';
import { type AugFlags, applyAug, invertAug } from '../augment/invertible';
import { imresizeTensor } from '../data/bicubic';
import type { DistillMethod, MethodNets, StepContext } from '../distill/method';
import { cutTiles, type DukdConfig, type UpcyclingPrep } from '../distill/dukd';
import { defaultMethodConfig, formulaTerms } from '../distill/methods';
import { l1 } from '../losses/pixel';
import type { SRBatch } from '../types';
import type { PlotFigure } from '../viz/plot';
import type { PaperKitRow } from './paper-numbers';

/** One loss on the 2×2 example: the kit's value and the value worked out by hand. */
export type HandLossRow = {
  readonly term: 'L_rec' | 'L_kd' | 'L_dukd';
  readonly formula: string;
  readonly kit: number;
  readonly hand: number;
  readonly '|kit - hand|': number;
};

/**
 * Eqs. 1-3 on one-channel 2×2 "images" (row-major). S(x) = [.2 .5 .9 .1], y = [0 .5 1 .3], T(x) = [.25 .4 .9 0].
 * For L_dukd, A = colour inversion + column flip (I+W), so A⁻¹ flips the columns back and then inverts:
 * S(A(z)) = [.3 .6 .8 .4] → flip [.6 .3 .4 .8] → invert [.4 .7 .6 .2]; against T(z) = [.5 .7 .6 0] the absolute
 * errors are .1, 0, 0, .2. The hand values are written out from those absolute errors.
 */
export function handComputedLossRows(): HandLossRow[] {
  const kit = tf.tidy(() => {
    const img = (v: number[]): tf.Tensor4D => tf.tensor4d(v, [1, 2, 2, 1]);
    const Sx = img([0.2, 0.5, 0.9, 0.1]), y = img([0.0, 0.5, 1.0, 0.3]), Tx = img([0.25, 0.4, 0.9, 0.0]);
    const SAz = img([0.3, 0.6, 0.8, 0.4]), Tz = img([0.5, 0.7, 0.6, 0.0]);
    const A: AugFlags[] = [{ invert: true, flipH: false, flipW: true, transpose: false }];
    return [l1(Sx, y), l1(Sx, Tx), l1(invertAug(SAz, A), Tz)].map((t) => t.dataSync()[0]);
  });
  const rows: Omit<HandLossRow, '|kit - hand|'>[] = [
    { term: 'L_rec', formula: '|S(x) - y|', kit: kit[0], hand: (0.2 + 0 + 0.1 + 0.2) / 4 },
    { term: 'L_kd', formula: '|S(x) - T(x)|', kit: kit[1], hand: (0.05 + 0.1 + 0 + 0.1) / 4 },
    { term: 'L_dukd', formula: '|A⁻¹(S(A(z))) - T(z)|, A = I+W', kit: kit[2], hand: (0.1 + 0 + 0 + 0.2) / 4 },
  ];
  return rows.map((r) => ({ ...r, '|kit - hand|': Math.abs(r.kit - r.hand) }));
}

/** One DUKD term: the method's (weighted) value beside its weight times the term recomputed from its equation. */
export type TermCheckRow = {
  readonly term: string;
  readonly weight: number;
  readonly 'kit term': number;
  readonly 'weight × Eq.': number;
  readonly '|diff|': number;
};

/** The DUKD method's own prep, or an error naming what is missing. */
function dukdParts(method: DistillMethod, prep: tf.TensorContainer): { cfg: DukdConfig; prep: UpcyclingPrep } {
  if (method.id !== 'dukd') throw new Error(`dukdTermCheck needs a 'dukd' method (got '${method.id}')`);
  const p = prep as UpcyclingPrep;
  if (!p || !Array.isArray(p.cells) || !(p.kdTarget instanceof tf.Tensor)) {
    throw new Error('dukdTermCheck: prep is not the result of the DUKD method\'s prepare (no kdTarget/cells)');
  }
  return { cfg: method.config as DukdConfig, prep: p };
}

/**
 * Every term of a DUKD method, `method.terms(nets, batch, prep)`, beside the same term recomputed from the
 * equations with the kit's building blocks (`cutTiles`, `applyAug`/`invertAug`, `imresizeTensor`, `l1`) and the
 * config's weights (rec and zo_rec: recWeight; kd, zi and zo_kd: kdWeight). Only the random draws of `prep`
 * (zoom-in cells, augmentation flags) are reused; the teacher targets are recomputed. The caller owns every argument.
 */
export function dukdTermCheck(method: DistillMethod, nets: MethodNets, batch: SRBatch, prep: tf.TensorContainer): TermCheckRow[] {
  const { cfg, prep: p } = dukdParts(method, prep);
  if (nets.teacher === null) throw new Error('dukdTermCheck needs nets.teacher (got null)');
  const teacher = nets.teacher;
  const weight: Readonly<Record<string, number>> = {
    rec: cfg.recWeight, kd: cfg.kdWeight, zi: cfg.kdWeight, zo_rec: cfg.recWeight, zo_kd: cfg.kdWeight,
  };
  const inverse = { legacyInverseOrder: cfg.legacyInverseOrder };
  return tf.tidy(() => {
    const terms = method.terms(nets, batch, p);
    const S = (x: tf.Tensor4D): tf.Tensor4D => nets.student.forward(x).out;
    const T = (x: tf.Tensor4D): tf.Tensor4D => teacher.forward(x).out;
    // A⁻¹(S(A(v))) with the flags that prepare drew
    const SA = (v: tf.Tensor4D, flags: AugFlags[]): tf.Tensor4D => invertAug(S(applyAug(v, flags)), flags, inverse);
    const scale = batch.hr.shape[1] / batch.lr.shape[1];
    const d = (): tf.Tensor4D => imresizeTensor(batch.lr, 1 / scale);
    const zoFlags = (): AugFlags[] => p.zo?.flags ?? [];
    const eq: Readonly<Record<string, () => tf.Scalar>> = {
      rec: () => l1(S(batch.lr), batch.hr),
      kd: () => l1(S(batch.lr), T(batch.lr)),
      zi: () => {
        const z = cutTiles(batch.hr, batch.lr.shape[1], p.cells);
        return l1(SA(z, p.zi?.flags ?? []), T(z));
      },
      zo_rec: () => l1(SA(d(), zoFlags()), batch.lr),
      zo_kd: () => l1(SA(d(), zoFlags()), T(d())),
    };
    return method.termNames.map((name) => {
      if (!eq[name] || !terms[name]) throw new Error(`dukdTermCheck: no equation or no kit value for term '${name}'`);
      const fromKit = terms[name].dataSync()[0];
      const fromEq = weight[name] * eq[name]().dataSync()[0];
      return { term: name, weight: weight[name], 'kit term': fromKit, 'weight × Eq.': fromEq, '|diff|': Math.abs(fromKit - fromEq) };
    });
  });
}

/** Labels of the rows `termGradientNorms` returns, in order. */
export const GRADIENT_NORM_NETWORKS = {
  student: 'student (kit)',
  teacher: 'teacher (kit)',
  teacherNoSg: 'teacher (no sg, contrast)',
} as const;

/** ‖∂ term / ∂θ‖₂ of every term (columns named after the terms) for one network. */
export type GradientNormRow = { readonly network: string; readonly [term: string]: number | string };

/** Gradient 2-norms of `f` over the student's and the teacher's weights; inside one tidy. */
function gradientNorms(f: () => tf.Scalar, sVars: tf.Variable[], tVars: tf.Variable[]): { student: number; teacher: number } {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(f, [...sVars, ...tVars]);
    const norm = (vs: tf.Variable[]): number =>
      Math.sqrt(vs.reduce((a, v) => a + (grads[v.name] ? tf.sum(tf.square(grads[v.name])).dataSync()[0] : 0), 0));
    return { student: norm(sVars), teacher: norm(tVars) };
  });
}

/**
 * Gradient norm of each term of `method` over every student and every teacher weight, three rows:
 *  - student and teacher with `prepare` outside the tape (as the trainer runs it: `prep` given by the caller);
 *  - the teacher with `prepare` moved inside the tape (a contrast: without the stop-gradient the teacher terms
 *    would train the teacher too).
 * The caller owns every argument; nothing is left allocated.
 */
export function termGradientNorms(
  method: DistillMethod, nets: MethodNets, batch: SRBatch, prep: tf.TensorContainer, ctx: StepContext,
): GradientNormRow[] {
  if (nets.teacher === null) throw new Error(`termGradientNorms: method '${method.id}' was given no teacher (nets.teacher is null)`);
  const sVars = Array.from(nets.student.params.values());
  const tVars = Array.from(nets.teacher.params.values());
  const kit = method.termNames.map((n) => gradientNorms(() => method.terms(nets, batch, prep)[n], sVars, tVars));
  const noSg = method.termNames.map((n) => gradientNorms(() => method.terms(nets, batch, method.prepare(batch, nets, ctx))[n], sVars, tVars));
  const row = (network: string, get: (i: number) => number): GradientNormRow =>
    ({ network, ...Object.fromEntries(method.termNames.map((n, i) => [n, get(i)])) });
  return [
    row(GRADIENT_NORM_NETWORKS.student, (i) => kit[i].student),
    row(GRADIENT_NORM_NETWORKS.teacher, (i) => kit[i].teacher),
    row(GRADIENT_NORM_NETWORKS.teacherNoSg, (i) => noSg[i].teacher),
  ];
}

/** The term columns of gradient-norm rows (every key but `network`), in column order. */
export function gradientNormTerms(rows: readonly GradientNormRow[]): string[] {
  return rows.length ? Object.keys(rows[0]).filter((k) => k !== 'network') : [];
}

function normOf(rows: readonly GradientNormRow[], network: string, term: string): number {
  const v = rows.find((r) => r.network === network)?.[term];
  if (typeof v !== 'number') throw new Error(`no gradient norm for network '${network}', term '${term}'`);
  return v;
}

/**
 * What is wrong with the gradient flow, one line each (empty when all is well): the frozen teacher must get
 * exactly zero gradient from every term (prepare outside the tape), and every term must reach the student.
 */
export function gradientFlowProblems(rows: readonly GradientNormRow[]): string[] {
  const out: string[] = [];
  for (const t of gradientNormTerms(rows)) {
    const teacher = normOf(rows, GRADIENT_NORM_NETWORKS.teacher, t);
    const student = normOf(rows, GRADIENT_NORM_NETWORKS.student, t);
    if (teacher !== 0) out.push(`term '${t}' sends a gradient of norm ${teacher} to the frozen teacher`);
    if (!(student > 0)) out.push(`term '${t}' gives the student no gradient (norm ${student})`);
  }
  return out;
}

/** A grouped bar plot of gradient-norm rows: one bar group per term, one trace per row. */
export function gradientNormFigure(rows: readonly GradientNormRow[], title = 'Gradient norm per DUKD term'): PlotFigure {
  const terms = gradientNormTerms(rows);
  return {
    data: rows.map((r) => ({ type: 'bar', name: r.network, x: terms, y: terms.map((t) => r[t]) })),
    layout: { title: { text: title }, yaxis: { title: { text: '‖∇θ term‖₂' } }, barmode: 'group', height: 380 },
  };
}

/**
 * Notebook 01's paper-vs-kit table: the relative weights λ_kd (kd / rec) and λ_dukd (zi / rec) in the formula of
 * the kit's EDSR ×4 DUKD defaults, the 2×2 example's largest |kit − hand|, and the largest teacher gradient
 * norm over the terms (0 for a frozen teacher).
 */
export function lossPaperRows(handRows: readonly HandLossRow[], gradRows: readonly GradientNormRow[]): PaperKitRow[] {
  const edsr4 = defaultMethodConfig('dukd', 'edsr', 4);
  // the weights the method optimises, read from its formula (all terms of one step in the paper's update mode)
  const w = Object.fromEntries(formulaTerms(edsr4).flat().map(([k, name]) => [name, k]));
  const teacherNorms = gradientNormTerms(gradRows).map((t) => normOf(gradRows, GRADIENT_NORM_NETWORKS.teacher, t));
  return [
    { quantity: 'λ_kd relative to L_rec (EDSR ×4)', paper: 0.2, kit: w.kd / w.rec },
    { quantity: 'λ_dukd relative to L_rec (EDSR ×4)', paper: 0.2, kit: w.zi / w.rec },
    { quantity: 'Eqs. 1-3 on the 2×2 example, max |kit - hand|', paper: 0, kit: Math.max(...handRows.map((r) => r['|kit - hand|'])) },
    { quantity: 'teacher gradient norm, every term (frozen teacher)', paper: 0, kit: Math.max(...teacherNorms) },
  ];
}
