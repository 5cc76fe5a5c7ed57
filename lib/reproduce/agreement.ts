/**
 * Teacher-student agreement: PSNR of the student's output against the teacher's output (both quantised to
 * uint8, Y channel, border = scale: PAPER_Y with the teacher's image in place of HR), as AugKD Fig. 2 plots it.
 * Measured on a fixed draw of training patches (what the student was fitted on) and on the held-out images
 * (what the report's PSNR table scores). A higher value means the student imitates the teacher more closely.
 *
 * `AgreementProbe.create` runs the teacher once and keeps its outputs as 8-bit images (no tensors), so scoring
 * several students costs one student pass each.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchStream } from '../data/batches';
import type { Dataset } from '../data/datasets';
import { createImage, imageToTensor, quantizeUnit, tensorToImagesAsync, type RgbImage } from '../data/image';
import { upscaleTiledData } from '../eval/tiled';
import { PAPER_Y, scorePair } from '../metrics/protocol';
import type { SRNet } from '../models/types';
import type { HeldOutSet } from './held-out';

export type AgreementScore = {
  /** Mean PSNR(S, T) over the training patches (dB). */
  readonly trainPsnr: number;
  readonly trainPatches: number;
  /** Mean PSNR(S, T) per held-out set (dB). */
  readonly heldOut: readonly { readonly set: string; readonly psnr: number; readonly images: number }[];
  readonly protocol: string;
};

export interface AgreementProbeOptions {
  /** The training set the patches come from. */
  readonly train: Dataset;
  readonly patchSizeLr: number;
  /** Training patches drawn (default 16). */
  readonly patches?: number;
  /** Seed of the patch draw (default 1234: not the training stream's). */
  readonly seed?: number;
  readonly heldOut: readonly HeldOutSet[];
  /** At most N held-out images per set (default all). */
  readonly limit?: number | null;
}

type Inputs = { readonly lr: RgbImage[]; readonly sets: readonly { readonly set: string; readonly lr: RgbImage[] }[] };

async function forwardBatch(net: SRNet, lr: readonly RgbImage[]): Promise<RgbImage[]> {
  const out: RgbImage[] = [];
  for (const img of lr) out.push(await forwardImage(net, img));
  return out;
}

async function forwardImage(net: SRNet, img: RgbImage): Promise<RgbImage> {
  const x = imageToTensor(img);
  try {
    const y = await upscaleTiledData(net, x, { tile: 0 });
    return createImage(y.height, y.width, quantizeUnit(y.data));
  } finally {
    x.dispose();
  }
}

function meanPsnr(a: readonly RgbImage[], b: readonly RgbImage[], scale: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += scorePair(a[i], b[i], scale, PAPER_Y).psnr;
  return s / Math.max(1, a.length);
}

/** The teacher's outputs on fixed inputs; `score(student)` compares a student with them. */
export class AgreementProbe {
  private constructor(
    readonly scale: number,
    private readonly inputs: Inputs,
    private readonly teacherTrain: RgbImage[],
    private readonly teacherSets: RgbImage[][],
  ) {}

  static async create(teacher: SRNet, opts: AgreementProbeOptions): Promise<AgreementProbe> {
    const patches = opts.patches ?? 16;
    const stream = new BatchStream(opts.train, { batchSize: patches, patchSizeLr: opts.patchSizeLr, seed: opts.seed ?? 1234, augment: false, prefetch: 0 });
    let lr: RgbImage[];
    try {
      const rec = await stream.nextRecord();
      const t = tf.tensor4d(rec.lr, rec.lrShape, 'float32');
      try {
        lr = await tensorToImagesAsync(t); // the LR patches are exact uint8/255 values, so this is lossless
      } finally {
        t.dispose();
      }
    } finally {
      stream.close();
    }
    const sets: { set: string; lr: RgbImage[] }[] = [];
    for (const { name, dataset } of opts.heldOut) {
      const pairs = opts.limit ? dataset.pairs.slice(0, opts.limit) : dataset.pairs;
      const imgs: RgbImage[] = [];
      for (const p of pairs) imgs.push((await p.load()).lr);
      sets.push({ set: name, lr: imgs });
    }
    const inputs: Inputs = { lr, sets };
    const teacherTrain = await forwardBatch(teacher, lr);
    const teacherSets: RgbImage[][] = [];
    for (const s of sets) teacherSets.push(await forwardBatch(teacher, s.lr));
    return new AgreementProbe(teacher.scale, inputs, teacherTrain, teacherSets);
  }

  /** PSNR(student, teacher) on the probe's patches and held-out images. Leaves no tensors behind. */
  async score(student: SRNet): Promise<AgreementScore> {
    if (student.scale !== this.scale) throw new Error(`agreement: the student is x${student.scale}, the teacher x${this.scale}`);
    const train = await forwardBatch(student, this.inputs.lr);
    const heldOut: { set: string; psnr: number; images: number }[] = [];
    for (let i = 0; i < this.inputs.sets.length; i++) {
      const out = await forwardBatch(student, this.inputs.sets[i].lr);
      heldOut.push({ set: this.inputs.sets[i].set, psnr: meanPsnr(out, this.teacherSets[i], this.scale), images: out.length });
    }
    return { trainPsnr: meanPsnr(train, this.teacherTrain, this.scale), trainPatches: train.length, heldOut, protocol: PAPER_Y.id };
  }
}

/** One-off agreement of a student with a teacher (builds a probe; use `AgreementProbe` for several students). */
export async function teacherStudentAgreement(student: SRNet, teacher: SRNet, opts: AgreementProbeOptions): Promise<AgreementScore> {
  return (await AgreementProbe.create(teacher, opts)).score(student);
}
