/**
 * What DCKD's DMM term aligns, made visible: the VQGAN code distribution C(v) = softmax_k(−‖z(v) − e_k‖²) per
 * latent position (DCKD Eq. 8) of the teacher's and the student's SR output of one image, as plain arrays for
 * heatmaps: the most probable code per position (a map at 1/16 of the image side) and the probabilities of the
 * codes the teacher uses most, per position. Also the agreement of the two argmax maps and L_ce (Eq. 9) of the
 * pair. With the seeded random encoder the maps show the pipeline only (`note` says so).
 */
import * as tf from '@tensorflow/tfjs';
import { codeCrossEntropy } from '../losses/dckd-code-ce';
import type { VqganEncoder } from '../models/features/vqgan-encoder';
import { type HeatmapOptions, heatmapPanels } from '../viz/heatmap';
import type { PlotFigure } from '../viz/plot';

export type CodeSide = {
  /** Most probable code per latent position, [rows][cols]. */
  readonly argmax: number[][];
  /** Probability of each of `codes` per position, [position (row-major)][code]. */
  readonly prob: number[][];
};

export type CodeMaps = {
  readonly rows: number;
  readonly cols: number;
  readonly nEmbed: number;
  /** The codes shown in `prob`: the teacher's most probable ones summed over positions, descending. */
  readonly codes: number[];
  readonly teacher: CodeSide;
  readonly student: CodeSide;
  /** Share of positions whose argmax codes agree. */
  readonly argmaxAgreement: number;
  /** Eq. 9 cross-entropy of the student's distribution against the teacher's (mean over positions). */
  readonly crossEntropy: number;
  /** Set when the encoder has random weights (what to say beside the figure). */
  readonly note: string | null;
};

/**
 * Code maps of one image (batch of 1, NHWC in [0, 1], side a multiple of 16) as the teacher and the student
 * render it; `topCodes` columns in the probability maps (default 32). The caller owns the inputs.
 */
export async function dckdCodeMaps(vq: VqganEncoder, teacherSr: tf.Tensor4D, studentSr: tf.Tensor4D, opts: { readonly topCodes?: number; readonly note?: string | null } = {}): Promise<CodeMaps> {
  if (teacherSr.shape[0] !== 1 || studentSr.shape[0] !== 1) throw new Error(`dckdCodeMaps: one image each (got batches of ${teacherSr.shape[0]} and ${studentSr.shape[0]})`);
  if (teacherSr.shape.join() !== studentSr.shape.join()) throw new Error(`dckdCodeMaps: teacher [${teacherSr.shape}] and student [${studentSr.shape}] outputs differ in shape`);
  const [, h, w] = teacherSr.shape;
  if (h % 16 !== 0 || w % 16 !== 0) throw new Error(`dckdCodeMaps: image sides must be multiples of 16 (the encoder's f16 grid; got ${h}x${w})`);
  const rows = h / 16;
  const cols = w / 16;
  const [pt, ps, ce] = tf.tidy(() => {
    const t = vq.codeDistribution(teacherSr);
    const s = vq.codeDistribution(studentSr);
    return [t, s, codeCrossEntropy(vq.codeLogits(studentSr), t, 'eq9')];
  });
  try {
    const [tp, sp, cev] = await Promise.all([pt.array(), ps.array(), ce.data()]);
    const nEmbed = tp[0].length;
    const mass = new Float64Array(nEmbed);
    for (const p of tp) p.forEach((v, k) => { mass[k] += v; });
    const codes = Array.from(mass.keys()).sort((a, b) => mass[b] - mass[a] || a - b).slice(0, Math.min(opts.topCodes ?? 32, nEmbed));
    const side = (p: number[][]): CodeSide => ({
      argmax: Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => argmax(p[r * cols + c]))),
      prob: p.map((row) => codes.map((k) => row[k])),
    });
    const teacher = side(tp);
    const student = side(sp);
    const same = teacher.argmax.flat().filter((k, i) => k === student.argmax.flat()[i]).length;
    return { rows, cols, nEmbed, codes, teacher, student, argmaxAgreement: same / (rows * cols), crossEntropy: cev[0], note: opts.note ?? null };
  } finally {
    tf.dispose([pt, ps, ce]);
  }
}

function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** Two figures: the argmax code maps side by side, and the per-position probabilities of the top codes. */
export function codeMapFigures(m: CodeMaps): { readonly argmax: PlotFigure; readonly prob: PlotFigure } {
  const suffix = m.note ? ` (${m.note})` : '';
  const opts = (title: string, extra: Partial<HeatmapOptions> = {}): HeatmapOptions => ({ title: `${title}${suffix}`, ...extra });
  return {
    argmax: heatmapPanels([{ z: m.teacher.argmax, title: 'teacher' }, { z: m.student.argmax, title: 'student' }],
      opts(`Most probable VQGAN code per latent position (${m.rows}x${m.cols}, ${m.nEmbed} codes); agreement ${(100 * m.argmaxAgreement).toFixed(0)} %`,
        { xTitle: 'column', yTitle: 'row', zmin: 0, zmax: m.nEmbed - 1, colorscale: 'Jet' })),
    prob: heatmapPanels([{ z: m.teacher.prob, title: 'teacher C(t)' }, { z: m.student.prob, title: 'student C(a)' }],
      opts(`Code distributions per position (the teacher's ${m.codes.length} most used codes); L_ce = ${m.crossEntropy.toFixed(4)}`,
        { xTitle: 'code (teacher rank)', yTitle: 'position', zmin: 0, zmax: 1, imageRows: true })),
  };
}
