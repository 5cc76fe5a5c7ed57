/**
 * What a reproduction job shows about the paper's claims, in plain sentences for the end of its report:
 *  1. the teacher's margin over Scratch on the held-out set. KD can only help when the teacher is clearly better
 *     than the student trained alone; under MIN_TEACHER_MARGIN_DB the job does not call its table a reproduction;
 *  2. each claim of the paper (DUKD-v2: DUKD > KD > Scratch; zoom-in, zoom-out and invertible DA each help) as
 *     the difference of two rows paired by seed with its 95 % interval: it holds beyond the seed spread, is
 *     contradicted beyond it, or cannot be told from seed noise (one seed: cannot be judged). Table 4's KD row
 *     uses other loss weights than the DUKD rows, so the zoom claims are also checked against the ablation's
 *     control row (KD at DUKD's weights), and the weights' own effect is stated;
 *  3. the scale of the experiment: preset results are not the paper's numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArchConfig } from '../models/types';
import { UNTRAINED_FEATURES_NOTE } from '../distill/dckd';
import { pairedDifference, summarize, type PairedDifference, type SeedSummary, type SeedValue } from '../stats/seed-stats';
import type { JobResult, ReproduceRow } from './job';
import { formatDifference, formatMeanSd, seedsOf } from './seed-table';

/** A teacher at least this much better than Scratch (dB, held-out PSNR) makes a table a reproduction attempt. */
export const MIN_TEACHER_MARGIN_DB = 0.3;

export type TeacherMargin = {
  readonly arch: ArchConfig;
  readonly set: string;
  readonly teacherPsnr: number;
  /** Scratch's PSNR over the seeds on the same set. */
  readonly scratch: SeedSummary;
  /** teacherPsnr - scratch.mean. */
  readonly margin: number;
  readonly strongEnough: boolean;
};

/** One claim of the paper: row `row` beats row `than`. */
export type PaperClaim = { readonly id: string; readonly text: string; readonly row: string; readonly than: string };

export type ClaimCheck = PaperClaim & {
  readonly set: string;
  readonly difference: PairedDifference;
  /** The same difference in the paper's column (null where the paper has no number). */
  readonly paper: number | null;
  readonly paperSet: string | null;
};

/** The claims each job tests (rows by table id). */
export const PAPER_CLAIMS: Readonly<Record<JobResult['job'], readonly PaperClaim[]>> = {
  ablation: [
    { id: 'dukd>kd', text: 'DUKD (zoom-in + zoom-out + DA) beats logits KD', row: 'full', than: 'kd' },
    { id: 'kd>scratch', text: 'logits KD beats training from scratch', row: 'kd', than: 'scratch' },
    { id: 'zoom-in', text: 'zoom-in helps (Zoom In beats logits KD)', row: 'zoom-in', than: 'kd' },
    { id: 'zoom-out', text: 'zoom-out helps (Zoom Out beats logits KD)', row: 'zoom-out', than: 'kd' },
    { id: 'zoom-in@w', text: "zoom-in helps at equal loss weights (Zoom In beats logits KD at DUKD's weights, the control row)", row: 'zoom-in', than: 'kd-dukd-weights' },
    { id: 'zoom-out@w', text: "zoom-out helps at equal loss weights (Zoom Out beats logits KD at DUKD's weights)", row: 'zoom-out', than: 'kd-dukd-weights' },
    { id: 'da', text: 'invertible data augmentation helps (Zoom In + DA beats Zoom In)', row: 'zoom-in+da', than: 'zoom-in' },
    { id: 'da-full', text: 'DA helps on top of both zooms (full DUKD beats Zoom In + Zoom Out)', row: 'full', than: 'zoom-in+zoom-out' },
  ],
  main: [
    { id: 'dukd>kd', text: 'DUKD beats KD', row: 'dukd', than: 'kd' },
    { id: 'kd>scratch', text: 'KD beats training from scratch', row: 'kd', than: 'scratch' },
    { id: 'dukd>scratch', text: 'DUKD beats training from scratch', row: 'dukd', than: 'scratch' },
    {
      id: 'csd>slice-scratch', row: 'csd', than: 'csd-slice-scratch',
      text: 'CSD beats its own student initialised from the sliced teacher and trained without distillation (the baseline of CSD repository issue 9)',
    },
  ],
  dckd: [
    { id: 'dckd>kd', text: 'DCKD beats logits KD (Table 2)', row: 'dckd', than: 'kd' },
    { id: 'kd>scratch', text: 'logits KD beats training from scratch', row: 'kd', than: 'scratch' },
    { id: 'dckd>scratch', text: 'DCKD beats training from scratch', row: 'dckd', than: 'scratch' },
    { id: 'dcr', text: 'DCR helps (KD + DCR beats KD, Table 5)', row: 'dcr', than: 'kd' },
    { id: 'dmm', text: 'DMM helps (KD + DMM beats KD, Table 5)', row: 'dmm', than: 'kd' },
    { id: 'dmm+dcr', text: 'DMM adds to DCR (DCKD beats KD + DCR)', row: 'dckd', than: 'dcr' },
    { id: 'dcr+dmm', text: 'DCR adds to DMM (DCKD beats KD + DMM)', row: 'dckd', than: 'dmm' },
    { id: 'n5>n3', text: 'five negatives beat three (Fig. 8a)', row: 'dckd', than: 'neg-3' },
    { id: 'step1000>100', text: 'an initial history step of 1000 beats 100 (Fig. 8b)', row: 'dckd', than: 'step-100' },
    { id: 'step1000>5000', text: 'an initial history step of 1000 beats 5000 (Fig. 8b)', row: 'dckd', than: 'step-5000' },
  ],
  heterogeneous: [
    { id: 'edsr->rcan', text: 'DUKD from an EDSR teacher beats the RCAN student trained from scratch', row: 'edsr->rcan', than: 'scratch' },
    { id: 'swinir->rcan', text: 'DUKD from a SwinIR teacher beats the RCAN student trained from scratch', row: 'swinir->rcan', than: 'scratch' },
    { id: 'edsr->rcan-full', text: 'full DUKD from an EDSR teacher beats the RCAN student trained from scratch', row: 'edsr->rcan-full', than: 'scratch' },
    { id: 'swinir->rcan-full', text: 'full DUKD from a SwinIR teacher beats the RCAN student trained from scratch', row: 'swinir->rcan-full', than: 'scratch' },
  ],
};

function primary(job: JobResult): ReproduceRow[] {
  const set = job.rows[0]?.set;
  return job.rows.filter((r) => r.set === set);
}

const perSeed = (rows: readonly ReproduceRow[], id: string): SeedValue[] => rows.filter((r) => r.row === id).map((r) => ({ seed: r.seed ?? 0, value: r.psnr }));

/** Each scored teacher's held-out PSNR on the primary set against Scratch's there (none without a Scratch row). */
export function teacherMargins(job: JobResult): TeacherMargin[] {
  const rows = primary(job);
  const scratch = rows.filter((r) => r.method === 'scratch');
  if (!scratch.length) return [];
  const set = rows[0].set;
  const s = summarize(scratch.map((r) => r.psnr));
  return job.teachers.flatMap((t) => {
    const score = t.heldOut?.find((h) => h.set === set);
    if (!score) return [];
    const margin = score.psnr - s.mean;
    return [{ arch: t.arch, set, teacherPsnr: score.psnr, scratch: s, margin, strongEnough: margin >= MIN_TEACHER_MARGIN_DB }];
  });
}

/** The job's claims whose two rows it trained, on the primary set. */
export function checkClaims(job: JobResult): ClaimCheck[] {
  const rows = primary(job);
  return PAPER_CLAIMS[job.job].flatMap((c) => {
    const a = rows.find((r) => r.row === c.row);
    const b = rows.find((r) => r.row === c.than);
    if (!a || !b) return [];
    const paper = a.paper && b.paper ? a.paper.psnr - b.paper.psnr : null;
    return [{ ...c, set: a.set, difference: pairedDifference(perSeed(rows, c.row), perSeed(rows, c.than)), paper, paperSet: paper === null ? null : a.paperSet }];
  });
}

function claimSentence(c: ClaimCheck): string {
  const d = c.difference;
  const diff = `${formatDifference(d)} dB${d.ci ? ` (95% CI, ${d.n} seeds)` : ''} on ${c.set}`;
  const paper = c.paper === null ? '' : ` (paper: ${c.paper >= 0 ? '+' : ''}${c.paper.toFixed(2)} dB on ${c.paperSet})`;
  switch (d.verdict) {
    case 'better':
      return `Holds beyond the seed spread: ${c.text}${paper}; here ${diff}.`;
    case 'worse':
      return `Contradicted beyond the seed spread: ${c.text}${paper}; here the difference is ${diff}.`;
    case 'not distinguishable':
      return `Not shown at this scale: ${c.text}${paper}; here ${diff}, an interval that contains 0 (within the seed spread).`;
    case 'single run':
      return `Cannot be judged from one seed: ${c.text}${paper}; here ${diff} (run with --seeds 0,1,2 for an interval).`;
  }
}

/** Student architecture, steps and data of the job's runs (from the first run's config), for the scale sentence. */
function scaleOf(job: JobResult): string {
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(job.runs[0].dir, 'config.json'), 'utf8')) as { student: Record<string, unknown>; totalSteps: number };
    const { arch, ...size } = cfg.student;
    return `${String(arch).toUpperCase()} student ${JSON.stringify(size)}, ${cfg.totalSteps} steps, x${job.scale}, data: ${job.data}`;
  } catch {
    return `x${job.scale}, data: ${job.data}`;
  }
}

/**
 * The loss weights' own effect: Table 4's KD row (w_rec/w_kd of the KD baseline) against the control row (KD at
 * DUKD's weights); null when the job has not both rows.
 */
function lossWeightNote(job: JobResult): string | null {
  const rows = primary(job);
  if (!rows.some((r) => r.row === 'kd') || !rows.some((r) => r.row === 'kd-dukd-weights')) return null;
  const d = pairedDifference(perSeed(rows, 'kd-dukd-weights'), perSeed(rows, 'kd'));
  return `Loss weights: every DUKD row trains with DUKD's w_rec/w_kd, Table 4's Logits-KD row with the KD baseline's; logits KD at DUKD's weights minus the Logits-KD row is ${formatDifference(d)} dB${d.ci ? ` (95% CI, ${d.n} seeds)` : ''} on ${rows[0].set} (verdict: ${d.verdict}), so "beats logits KD" measures the weights as well as the upcycled samples; the "at equal loss weights" lines measure the samples alone.`;
}

/** The report's closing sentences (see the file comment). */
export function conclusions(job: JobResult): string[] {
  const out: string[] = [];
  const margins = teacherMargins(job);
  const distilled = job.rows.some((r) => r.method !== 'scratch');
  let reproduction = true;
  if (distilled && margins.length === 0) {
    reproduction = false;
    out.push('The teacher was not scored against a Scratch row on the held-out set, so this table is not called a reproduction.');
  }
  for (const m of margins) {
    const head = `Teacher ${JSON.stringify(m.arch)}: ${m.teacherPsnr.toFixed(3)} dB on ${m.set}, ${m.margin >= 0 ? '+' : ''}${m.margin.toFixed(3)} dB over Scratch (${formatMeanSd(m.scratch)} dB, n=${m.scratch.n}).`;
    if (m.strongEnough) out.push(`${head} It is clearly stronger than the student trained alone (at least ${MIN_TEACHER_MARGIN_DB} dB), so the table tests distillation.`);
    else {
      reproduction = false;
      out.push(`${head} That is under ${MIN_TEACHER_MARGIN_DB} dB: this table is NOT a reproduction of the paper's setting, since a teacher barely better than the student cannot be expected to teach it; train a stronger teacher (longer, larger) or pass --teacher-weights.`);
    }
  }
  for (const note of job.notes ?? []) {
    if (note.includes(UNTRAINED_FEATURES_NOTE)) {
      reproduction = false;
      out.push(`Untrained feature network (${note}): the rows it names are a pipeline check, not the method; their numbers are no reproduction of the paper's.`);
    } else {
      out.push(`Method note: ${note}.`);
    }
  }
  const checks = checkClaims(job);
  for (const c of checks) out.push(claimSentence(c));
  const weights = lossWeightNote(job);
  if (weights) out.push(weights);
  if (checks.length) {
    const by = (v: PairedDifference['verdict']): string => checks.filter((c) => c.difference.verdict === v).map((c) => c.id).join(', ') || 'none';
    out.push(seedsOf(job).length > 1
      ? `In short (${seedsOf(job).length} seeds): holds: ${by('better')}; not distinguishable from seed noise: ${by('not distinguishable')}; contradicted: ${by('worse')}.`
      : 'With one seed no claim can be told apart from seed noise.');
  }
  out.push(job.preset === 'paper'
    ? `Scale: the paper preset (${scaleOf(job)}), the published protocol; ${reproduction ? 'absolute numbers compare with the paper\'s' : 'but see the teacher above'}.`
    : `Scale: ${job.preset} preset (${scaleOf(job)}). These are small-scale results, not the paper's numbers (${job.paperSource}); compare the directions of the differences, not absolute PSNR.`);
  return out;
}
