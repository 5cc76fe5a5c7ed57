/**
 * CSD (lib/distill/csd.ts) beyond the contract suite: config errors (RCAN / SwinIR students, a student that is
 * no slice of the teacher, a warm start, more negatives than samples); gradients of each term reach the shared
 * weights (the teacher network) and nothing else, L_CL only through the student's slice; the terms equal the
 * loss functions (tested against PyTorch in test/losses and test/models) on the same tensors; in train(): 1 and
 * 2 workers give the same steps, a resume is bit-exact, tensors stay flat, the saved model is the slice of the
 * trained shared weights, and 'csd-slice-scratch' leaves everything outside the slice untouched.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { methodPreset } from '../../lib/distill/config';
import { CSD, type CsdConfig } from '../../lib/distill/csd';
import { UNTRAINED_FEATURES_NOTE } from '../../lib/distill/dckd';
import { type DistillMethod, type MethodNets, type StepContext, stepRng } from '../../lib/distill/method';
import { buildMethod } from '../../lib/distill/methods';
import { csdContrastiveLoss, csdNegativeOrder, csdNegatives } from '../../lib/losses/csd-contrastive';
import { l1 } from '../../lib/losses/pixel';
import { buildModel } from '../../lib/models/build';
import { extractSlimEdsr, slimEdsrForward } from '../../lib/models/csd-edsr';
import { SMOKE_VGG19_WIDTHS, randomVgg19 } from '../../lib/models/features/vgg19';
import type { SRNet } from '../../lib/models/types';
import { readModelFile } from '../../lib/io/model-file';
import { loadCheckpoint } from '../../lib/train/checkpoint';
import { teacherSeed } from '../../lib/train/distill-task';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';
import { maxRelDiff } from '../rel-diff';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-csd-test-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));
const smokeOf = (name: string): CsdConfig => CSD.smokeConfigs().find((c) => c.name === name)!.config;

// A shared 8-feature, 2-block EDSR at x2 (its width-0.25 student has 2 features), a batch of four 8-px patches.
const fx = {} as { shared: SRNet; student: SRNet; nets: MethodNets; lr: tf.Tensor4D; hr: tf.Tensor4D };
beforeAll(async () => {
  await tf.setBackend('cpu');
  fx.shared = buildModel({ arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }, 2, { seed: 3 });
  fx.student = buildModel({ arch: 'edsr', feats: 2, blocks: 2, resScale: 0.1 }, 2, { seed: 4 });
  fx.nets = { student: fx.student, teacher: fx.shared, aux: {} };
  fx.lr = tf.randomUniform([4, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  fx.hr = tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 6) as tf.Tensor4D;
});
afterAll(() => {
  tf.dispose([fx.lr, fx.hr]);
  fx.shared.dispose();
  fx.student.dispose();
});

const ctxOf = (step: number, sampleOffset = 0, batchSizeTotal = 4): StepContext => ({ step, seed: 9, sampleOffset, batchSizeTotal });

describe('CSD config', () => {
  const edsr = (feats: number, blocks = 32) => ({ arch: 'edsr' as const, feats, blocks, resScale: 0.1 });
  const paper = (over: Record<string, unknown>): TrainConfig =>
    resolveTrain({ method: methodPreset('csd', 'edsr', 4), student: edsr(64), teacher: edsr(256), ...over });

  it('the paper pair (EDSR 256x32 -> 64x32, w = 0.25) is valid; presets and defaults follow CSD', () => {
    expect(paper({}).method).toEqual({ kind: 'csd', widthMult: 0.25, recWeight: 1, clWeight: 200 / 255, teacherWeight: 1, negatives: 10, featureWeights: null });
    expect(methodPreset('csd-slice-scratch', 'edsr', 4)).toMatchObject({ clWeight: 0, teacherWeight: 0, recWeight: 1 });
    // trainPreset fits the student (the teacher's first channels) and K (at most the batch)
    const smoke = trainPreset('smoke', { method: 'csd' });
    expect(smoke.student).toEqual({ ...smoke.teacher, feats: 1 });
    expect(smoke.method).toMatchObject({ negatives: smoke.data.batchSize });
  });

  it('RCAN and SwinIR students are a config error that says why', () => {
    const rcan = { arch: 'rcan', feats: 64, groups: 10, blocks: 6, reduction: 16, resScale: 1 };
    const rcanT = { arch: 'rcan', feats: 64, groups: 10, blocks: 20, reduction: 16, resScale: 1 };
    expect(() => paper({ student: rcan, teacher: rcanT })).toThrow(/student\.arch must be 'edsr' for method 'csd' \(CSD needs an EDSR backbone.*RCAN students are shallower .*not narrower/);
    const swin = trainPreset('paper', { method: 'kd', student: { arch: 'swinir', embedDim: 60, depths: [6, 6, 6, 6], heads: [6, 6, 6, 6], windowSize: 8, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64 } });
    expect(() => resolveTrain({ method: methodPreset('csd', 'swinir', 4) }, swin)).toThrow(/student\.arch must be 'edsr' for method 'csd' .*SwinIR has no channel-sliceable shared-weight form/);
    expect(() => paper({ teacher: rcanT })).toThrow(/teacher\.arch must be 'edsr' for method 'csd'/);
  });

  it('a student that is not the slice, a warm start, or K above the batch size is an error naming the key', () => {
    expect(() => paper({ student: edsr(32) })).toThrow(/student\.feats must be int\(256 x method\.widthMult 0\.25\) = 64 .*\(got 32\)/);
    expect(() => paper({ student: edsr(64, 16) })).toThrow(/student\.blocks must be the teacher's 32 .*\(got 16\)/);
    expect(() => paper({ method: { ...methodPreset('csd', 'edsr', 4), widthMult: 0.5 } })).toThrow(/student\.feats must be int\(256 x method\.widthMult 0\.5\) = 128/);
    expect(() => paper({ studentInit: { weights: 'runs/x2', mode: 'all-but-upsampler' } })).toThrow(/studentInit must be null for method 'csd'/);
    expect(() => paper({ data: { batchSize: 8 } })).toThrow(/method\.negatives must be at most data\.batchSize 8 .*\(got 10\)/);
    expect(() => paper({ method: { ...methodPreset('csd', 'edsr', 4), negatives: 0 } })).toThrow(/method\.negatives must be a positive integer/);
  });
});

describe('CSD terms and gradients', () => {
  const made: DistillMethod[] = [];
  afterAll(() => made.splice(0).forEach((m) => m.dispose?.()));
  const make = (cfg: CsdConfig): DistillMethod => {
    const m = buildMethod({ ...cfg, negatives: 3 });
    made.push(m);
    return m;
  };

  it('the terms equal L1(S, y), λ_CL·L_CL (VGG on the negatives of the first K samples in the step order) and λ_T·L1(T, y)', () => {
    const m = make(smokeOf('csd'));
    const ctx = ctxOf(3);
    const prep = m.prepare({ lr: fx.lr, hr: fx.hr }, fx.nets, ctx);
    const vgg = randomVgg19(SMOKE_VGG19_WIDTHS, 0); // the method's offline feature network
    try {
      const [got, want] = tf.tidy(() => {
        const terms = m.terms(fx.nets, { lr: fx.lr, hr: fx.hr }, prep);
        const s = slimEdsrForward(fx.shared, fx.lr, 0.25);
        const t = fx.shared.forward(fx.lr).out;
        const order = csdNegativeOrder(stepRng(ctx, 'csd/negatives'), 3, 4);
        const negatives = csdNegatives(fx.lr, order, 2);
        return [
          [terms.rec, terms.cl, terms.t_rec].map((x) => x.dataSync()[0]),
          [l1(s, fx.hr), tf.mul(200 / 255, csdContrastiveLoss(vgg, { teacher: t, student: s, negatives })), l1(t, fx.hr)].map((x) => x.dataSync()[0]),
        ];
      });
      got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(1e-6 * Math.max(1, Math.abs(want[i]))));
      expect(m.termNames).toEqual(['rec', 'cl', 't_rec']);
    } finally {
      tf.dispose(prep);
      vgg.dispose();
    }
  });

  it('each term reaches the shared weights only; L_CL and L1(S, y) only the first channels, L1(T, y) all of them', () => {
    const m = make(smokeOf('csd'));
    const batch = { lr: fx.lr, hr: fx.hr };
    const prep = m.prepare(batch, fx.nets, ctxOf(1));
    const sharedNames = Array.from(fx.shared.params.values()).map((v) => v.name).sort();
    const head = fx.shared.params.get('conv_first.weight')!; // [3, 3, 3, 8]: the student uses outputs 0..1
    try {
      for (const term of ['rec', 'cl', 't_rec']) {
        const { value, grads } = tf.variableGrads(() => m.terms(fx.nets, batch, prep)[term]);
        try {
          expect(Object.keys(grads).sort()).toEqual(sharedNames); // not the student net, not the VGG
          const g = grads[head.name].arraySync() as number[][][][];
          const outside = g.flat(3).filter((_, i) => i % 8 >= 2).map(Math.abs);
          const inside = g.flat(3).filter((_, i) => i % 8 < 2).map(Math.abs);
          expect(Math.max(...inside)).toBeGreaterThan(0);
          if (term === 't_rec') expect(Math.max(...outside)).toBeGreaterThan(0);
          else expect(Math.max(...outside)).toBe(0); // the teacher side of L_CL is detached
        } finally {
          tf.dispose([value, grads]);
        }
      }
    } finally {
      tf.dispose(prep);
    }
  });

  it('a share without the whole batch is refused; csd-slice-scratch has only rec and needs no negatives', () => {
    const m = make(smokeOf('csd'));
    const share = { lr: tf.slice(fx.lr, [0], [2]), hr: tf.slice(fx.hr, [0], [2]) };
    try {
      expect(() => m.prepare(share, fx.nets, ctxOf(0, 0, 4))).toThrow(/csd: a share of 2 of 4 samples needs the whole batch/);
      const s = make(smokeOf('csd-slice-scratch'));
      expect(s.termNames).toEqual(['rec']);
      expect(s.wholeBatch).toBe(false);
      const prep = s.prepare(share, fx.nets, ctxOf(0, 0, 4));
      expect(prep).toEqual({ shareWeight: 0.5 });
      expect(s.notes).toEqual([]);
      expect(m.notes![0]).toContain(UNTRAINED_FEATURES_NOTE);
    } finally {
      tf.dispose(share);
    }
  });
});

describe('CSD in train()', () => {
  const config = (steps: number, name = 'csd', batchSize = 4): TrainConfig =>
    resolveTrain({
      method: smokeOf(name), data: { batchSize }, totalSteps: steps, checkpointEverySteps: 2, evalEverySteps: 0, logEverySteps: 1, keepCheckpoints: 3,
      val: { sets: [] },
    }, trainPreset('smoke', { method: 'csd' }));
  const log = (run: Run): Record<string, unknown>[] =>
    fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  const terms = (run: Run) => log(run).filter((e) => e.event === 'train').map((e) => e.terms as Record<string, number>);

  it('1 and 2 workers give the same steps to float tolerance (negatives from the whole batch, L_CL all-reduced)', async () => {
    const cfg = config(2);
    expect(cfg.student).toEqual({ arch: 'edsr', feats: 1, blocks: 1, resScale: 1 });
    const one = await train(cfg, { runsDir: path.join(TMP, 'w1'), resume: 'none', quiet: true, engine: 'workers', workers: 1 });
    const two = await train(cfg, { runsDir: path.join(TMP, 'w2'), resume: 'none', quiet: true, engine: 'workers', workers: 2 });
    try {
      const [t1, t2] = [terms(one), terms(two)];
      expect(t2.length).toBe(2);
      expect(Object.keys(t1[0])).toEqual(['rec', 'cl', 't_rec']);
      t1.forEach((t, s) => Object.entries(t).forEach(([k, v]) => expect(Math.abs(t2[s][k] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
      const [a, b] = [loadCheckpoint(path.join(two.dir, 'ckpt', 'step-2')).weights, loadCheckpoint(path.join(one.dir, 'ckpt', 'step-2')).weights];
      expect(maxRelDiff(a, b)).toBeLessThan(1e-5);
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it('a resumed run equals the uninterrupted one bit for bit; tensors flat over the steps; the model is the slice of the trained shared weights', async () => {
    const cfg = config(5);
    const straight = await train(cfg, { runsDir: path.join(TMP, 'straight'), resume: 'none', quiet: true, engine: 'in-process' });
    const part = await train(cfg, { runsDir: path.join(TMP, 'resumed'), resume: 'none', quiet: true, engine: 'in-process', totalSteps: 2 });
    part.dispose();
    const resumed = await train(cfg, { runsDir: path.join(TMP, 'resumed'), quiet: true, engine: 'in-process' });
    try {
      expect(terms(resumed)).toEqual(terms(straight));
      const w = (run: Run) => Array.from(run.student.params.values()).map((v) => Buffer.from((v.dataSync() as Float32Array).buffer));
      const [a, b] = [w(resumed), w(straight)];
      a.forEach((x, i) => expect(x.equals(b[i])).toBe(true));
      const counts = log(straight).filter((e) => e.event === 'train').map((e) => (e.numTensors as { main: number }).main);
      expect(counts.length).toBe(5);
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(String((log(straight).find((e) => e.event === 'start')!.notes as string[])[0])).toContain(UNTRAINED_FEATURES_NOTE);
      // the checkpoint holds the shared (teacher-sized) weights; the run's student is the slice of their EMA
      const ckpt = loadCheckpoint(path.join(straight.dir, 'ckpt', 'step-5'));
      const shared = buildModel(cfg.teacher!, cfg.scale);
      expect(ckpt.ema!.map((x) => x.length)).toEqual(Array.from(shared.params.values()).map((v) => v.size));
      Array.from(shared.params.values()).forEach((v, i) => v.assign(tf.tensor(ckpt.ema![i], v.shape)));
      const slim = extractSlimEdsr(shared, 0.25);
      try {
        expect(straight.student.arch).toEqual(cfg.student);
        for (const [k, v] of straight.student.params) expect(Array.from(v.dataSync())).toEqual(Array.from(slim.params.get(k)!.dataSync()));
        // the saved model/ is an ordinary EDSR of the student's shape
        expect(readModelFile(path.join(straight.dir, 'model')).meta.arch).toEqual(cfg.student);
      } finally {
        shared.dispose();
        slim.dispose();
      }
    } finally {
      straight.dispose();
      resumed.dispose();
    }
  });

  it('csd-slice-scratch: the sliced teacher trained on L1 alone; everything outside the slice keeps the teacher\'s values', async () => {
    const cfg = config(3, 'csd-slice-scratch', 2);
    const run = await train(cfg, { runsDir: path.join(TMP, 'slice'), resume: 'none', quiet: true, engine: 'in-process' });
    const teacher = buildModel(cfg.teacher!, cfg.scale, { seed: teacherSeed(cfg.seed) }); // teacherWeights null: the seeded teacher
    try {
      expect(run.results.formula).toBe('total = 1·rec');
      expect(Object.keys(terms(run)[0])).toEqual(['rec']);
      const raw = loadCheckpoint(path.join(run.dir, 'ckpt', 'step-3')).weights;
      const keys = [...teacher.params.keys()];
      const head = keys.indexOf('conv_first.weight'); // [3, 3, 3, 4]: the student uses output 0
      const init = teacher.params.get('conv_first.weight')!.dataSync();
      let changedInside = 0;
      raw[head].forEach((v, i) => {
        if (i % 4 === 0) changedInside += v !== init[i] ? 1 : 0;
        else expect(v).toBe(init[i]);
      });
      expect(changedInside).toBeGreaterThan(0);
    } finally {
      teacher.dispose();
      run.dispose();
    }
  });
});
