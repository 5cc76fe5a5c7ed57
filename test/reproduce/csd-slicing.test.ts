// csd-slicing (notebook 11): the shared net of a trained CSD run, checked against the run's own saved slice
// (the trainer's loadSlicedStudent path) and its checkpoint; both widths' outputs against the ordinary extracted
// EDSR; the per-tap ratios against csdContrastiveLoss on negatives built by hand; the figure; errors named.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { CSD } from '../../lib/distill/csd';
import { UNTRAINED_FEATURES_NOTE } from '../../lib/distill/dckd';
import { tensorToImage } from '../../lib/data/image';
import { csdContrastiveLoss, csdNegativeOrder, csdNegatives } from '../../lib/losses/csd-contrastive';
import { scorePair } from '../../lib/metrics/protocol';
import { extractSlimEdsr } from '../../lib/models/csd-edsr';
import { SMOKE_VGG19_WIDTHS, randomVgg19 } from '../../lib/models/features/vgg19';
import { csdLayerRatios, csdRatioFigure, csdSharedNet, csdWidthOutputs } from '../../lib/reproduce/csd-slicing';
import { latestCheckpoint } from '../../lib/train/checkpoint';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';
import { Rng } from '../../lib/util/rng';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-csd-slicing-'));
const fx = {} as { run: Run; scratch: Run; lr: tf.Tensor4D; hr: tf.Tensor4D };

beforeAll(async () => {
  await tf.setBackend('cpu');
  const smoke = CSD.smokeConfigs().find((c) => c.name === 'csd')!.config;
  const common = { data: { batchSize: 4 }, totalSteps: 3, checkpointEverySteps: 3, evalEverySteps: 0, val: { sets: [] } };
  const cfg = resolveTrain({ method: { ...smoke, negatives: 3 }, ...common }, trainPreset('smoke', { method: 'csd' }));
  fx.run = await train(cfg, { runsDir: TMP, resume: 'none', quiet: true, engine: 'in-process' });
  fx.scratch = await train(resolveTrain(common, trainPreset('smoke', { method: 'scratch' })), { runsDir: TMP, resume: 'none', quiet: true, engine: 'in-process' });
  fx.lr = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  fx.hr = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
}, 120_000);
afterAll(() => {
  fx.run?.dispose();
  fx.scratch?.dispose();
  tf.dispose([fx.lr, fx.hr]);
  fs.rmSync(TMP, { recursive: true, force: true });
});

describe('csdSharedNet', () => {
  it('holds the newest checkpoint\'s EMA (or raw) values; its width-0.25 slice is the run\'s saved student', () => {
    const ckpt = latestCheckpoint(fx.run.dir)!;
    const s = csdSharedNet(fx.run.dir);
    const raw = csdSharedNet(fx.run.dir, { ema: false });
    const slim = extractSlimEdsr(s.net, 0.25);
    try {
      expect([s.step, s.ema, raw.ema, s.config.kind]).toEqual([3, true, false, 'csd']);
      expect(s.net.arch).toEqual(fx.run.config.teacher);
      [...s.net.params.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(ckpt.ema![i])));
      [...raw.net.params.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(ckpt.weights[i])));
      expect(ckpt.ema!.some((a, i) => a.some((x, j) => x !== ckpt.weights[i][j]))).toBe(true); // EMA and raw differ
      for (const [k, v] of fx.run.student.params) expect(Array.from(slim.params.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()));
    } finally {
      s.net.dispose();
      raw.net.dispose();
      slim.dispose();
    }
  });

  it('a run of another method or a directory without checkpoints is an error naming it', () => {
    expect(() => csdSharedNet(fx.scratch.dir)).toThrow(/method\.kind is 'scratch', not 'csd'/);
    const empty = path.join(TMP, 'empty');
    fs.mkdirSync(empty);
    expect(() => csdSharedNet(empty)).toThrow(/no checkpoint under ckpt\//);
  });
});

describe('csdWidthOutputs and csdLayerRatios', () => {
  it('width 1 is the shared net, width 0.25 the extracted student EDSR; scores are PAPER_Y of the clamped outputs', () => {
    const s = csdSharedNet(fx.run.dir);
    const x = tf.slice(fx.lr, [0], [1]) as tf.Tensor4D;
    try {
      const before = tf.memory().numTensors;
      const w = csdWidthOutputs(s.net, x, fx.hr, 0.25);
      const [t, st] = tf.tidy(() => [tf.clipByValue(s.net.forward(x).out, 0, 1), tf.clipByValue(fx.run.student.forward(x).out, 0, 1)] as tf.Tensor4D[]);
      const close = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
      expect(close(w.teacher, t)).toBe(0);
      expect(close(w.student, st)).toBeLessThan(1e-6);
      expect(close(w.teacher, w.student)).toBeGreaterThan(1e-3); // the two widths are different networks
      expect(w.scores.teacher).toEqual(scorePair(tensorToImage(t), tensorToImage(fx.hr), 2));
      expect(w.scores.student.psnr).toBeCloseTo(scorePair(tensorToImage(st), tensorToImage(fx.hr), 2).psnr, 6);
      tf.dispose([t, st, w.teacher, w.student]);
      expect(tf.memory().numTensors).toBe(before);
      expect(() => csdWidthOutputs(s.net, fx.lr, fx.hr, 0.25)).toThrow(/one image at a time \(lr has batch 4\)/);
    } finally {
      x.dispose();
      s.net.dispose();
    }
  });

  it('the per-tap parts sum to L_CL of the batch (negatives: the first K in the seeded order), with the untrained-network note', async () => {
    const s = csdSharedNet(fx.run.dir);
    const vgg = randomVgg19(SMOKE_VGG19_WIDTHS, 0);
    try {
      const before = tf.memory().numTensors;
      const r = await csdLayerRatios({ ...s.config, negatives: 3 }, s.net, fx.lr, { seed: 5 });
      expect(tf.memory().numTensors).toBe(before);
      expect(r.negatives).toBe(3);
      expect(r.note).toContain(UNTRAINED_FEATURES_NOTE);
      expect(r.layers.map((l) => l.layer)).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1']);
      const want = tf.tidy(() => {
        const negatives = csdNegatives(fx.lr, csdNegativeOrder(new Rng(5), 3, 4), 2);
        return csdContrastiveLoss(vgg, { teacher: s.net.forward(fx.lr).out, student: fx.run.student.forward(fx.lr).out, negatives }).dataSync()[0];
      });
      expect(Math.abs(r.loss - want) / want).toBeLessThan(1e-5);
      // K is capped at the batch
      expect((await csdLayerRatios({ ...s.config, negatives: 10 }, s.net, fx.lr)).negatives).toBe(4);
      const fig = csdRatioFigure(r.layers, { note: r.note });
      expect((fig.data as { y: number[] }[]).map((d) => d.y)).toEqual([r.layers.map((l) => l.ratio), r.layers.map((l) => l.weighted)]);
      expect(JSON.stringify(fig.layout)).toContain(UNTRAINED_FEATURES_NOTE);
    } finally {
      vgg.dispose();
      s.net.dispose();
    }
  });
});
