/**
 * DCKD (lib/distill/dckd.ts) beyond the contract suite: the history update rule against a hand-computed blend at
 * the right iterations only; the method's L_dcl and L_ce equal the loss functions (tested against PyTorch in
 * test/losses) on the same tensors; the batch-coupled dcl term on shares with all-reduced statistics equals the
 * full-batch value and gradient; history model and feature network get no gradient; tensors stay flat; a resumed
 * train() run equals the uninterrupted one bit for bit (the history model comes back from method-state.bin).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { useTinyNets } from './tiny-nets';
import { resolveTrain } from '../../lib/config/resolve';
import { trainPreset } from '../../lib/config/presets';
import type { TrainConfig } from '../../lib/config/train';
import { methodPreset } from '../../lib/distill/config';
import { type DckdConfig, DCKD, UNTRAINED_FEATURES_NOTE, dckdDegradedInputs, historyUpdatesAt, scaleHistoryToRun } from '../../lib/distill/dckd';
import { defaultMethodConfig } from '../../lib/distill/methods';
import { type DistillMethod, type StepContext } from '../../lib/distill/method';
import { assertMethodConfig, buildMethod } from '../../lib/distill/methods';
import { dckdCodeLoss } from '../../lib/losses/dckd-code-ce';
import { dckdContrastiveLoss } from '../../lib/losses/dckd-contrastive';
import { randomVqgan, SMOKE_VQGAN_CONFIG } from '../../lib/models/features/vqgan-encoder';
import type { Run } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';
import { maxRelDiff } from '../rel-diff';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-dckd-test-'));
const smokeOf = (name: string): DckdConfig => DCKD.smokeConfigs().find((c) => c.name === name)!.config;

const fx = useTinyNets({ teacherBlocks: 1 });
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

const ctxOf = (step: number, sampleOffset = 0, batchSizeTotal = 4): StepContext => ({ step, seed: 5, sampleOffset, batchSizeTotal });
const values = (vars: readonly tf.Variable[]): Float64Array[] => vars.map((v) => Float64Array.from(v.dataSync()));

function made(cfg: DckdConfig): DistillMethod {
  const m = buildMethod(cfg);
  m.init!(fx.nets);
  return m;
}

describe('DCKD config and presets', () => {
  it('presets: dckd is Eq. 10, dckd-release adds LCR, dcr-vgg drops L_ce; the smoke configs update the history early', () => {
    const d = methodPreset('dckd', 'swinir', 4) as DckdConfig;
    expect(d).toMatchObject({ recWeight: 1, kdWeight: 1, dclWeight: 0.1, ceWeight: 0.001, negatives: 5, historyDecay: 0.1, historyEvery: [1000, 2000, 3000], historyPhaseSteps: 100000, historySource: 'ema', lcrWeight: 0 });
    expect(methodPreset('dckd', 'edsr', 2)).toEqual(d);
    expect(methodPreset('dckd-release', 'rcan', 3)).toEqual({ ...d, lcrWeight: 1, lcrProb: 0.5 });
    expect(buildMethod(methodPreset('dcr-vgg', 'edsr', 4)).termNames).toEqual(['rec', 'kd', 'dcl']);
    expect(buildMethod(methodPreset('dckd-release', 'edsr', 4)).termNames).toEqual(['rec', 'kd', 'dcl', 'ce', 'lcr']);
    for (const { config } of DCKD.smokeConfigs()) expect(historyUpdatesAt(config, 1)).toBe(true);
  });

  it('short runs scale the history schedule by totalSteps / 250k (at least 1); full-length runs keep it', () => {
    const d = methodPreset('dckd', 'edsr', 2) as DckdConfig;
    expect(scaleHistoryToRun(d, 250000)).toBe(d);
    expect(scaleHistoryToRun(d, 2500)).toMatchObject({ historyEvery: [10, 20, 30], historyPhaseSteps: 1000 });
    expect(scaleHistoryToRun(d, 100)).toMatchObject({ historyEvery: [1, 1, 1], historyPhaseSteps: 40 });
    expect(() => scaleHistoryToRun(d, 0)).toThrow(/totalSteps must be an integer >= 1 \(got 0\)/);
  });

  it('bad values name the key; L_ce without the VQGAN codebook is an error', () => {
    const d = smokeOf('dckd');
    expect(() => assertMethodConfig({ ...d, noiseSigmaRange: [30, 1] })).toThrow(/method\.noiseSigmaRange must be \[lo, hi\]/);
    expect(() => assertMethodConfig({ ...d, historyEvery: [] })).toThrow(/method\.historyEvery must be a non-empty array/);
    expect(() => assertMethodConfig({ ...d, historyDecay: 1 })).toThrow(/method\.historyDecay must be a number in \[0, 1\)/);
    expect(() => buildMethod({ ...d, features: 'vgg' })).toThrow(/method\.ceWeight must be 0 with features 'vgg'/);
  });

  it('says when its feature network is untrained', () => {
    expect(buildMethod(smokeOf('dckd')).notes?.join()).toContain(UNTRAINED_FEATURES_NOTE);
    expect(buildMethod({ ...smokeOf('dckd'), featureWeights: '/no/such/vqgan.ckpt' }).notes).toEqual([]);
  });
});

describe('DCKD history model', () => {
  it('θ_his ← 0.1·θ_his + 0.9·θ_src after iterations 2, 4 (every 2 in phase 1), 6 and 9 (every 3 after), never otherwise', () => {
    for (const source of ['raw', 'ema'] as const) {
      const m = made({ ...smokeOf('dckd'), historyDecay: 0.1, historyEvery: [2, 3], historyPhaseSteps: 4, historySource: source });
      const his = m.stateVariables!();
      const params = Array.from(fx.student.params.values());
      const before = values(params);
      const ema = params.map((v, i) => tf.variable(tf.mul(v, 1 + 0.01 * i), false));
      let expected = values(his);
      expect(expected).toEqual(before); // a copy of the student at init
      const updatedAt: number[] = [];
      try {
        for (let step = 0; step < 10; step++) {
          // a different source every iteration, so a missed or extra update shows
          params.forEach((v, i) => v.assign(tf.tidy(() => tf.add(v, 0.01 * (step + 1) * (i + 1)))));
          ema.forEach((v, i) => v.assign(tf.tidy(() => tf.sub(v, 0.02 * (step + 1)))));
          const src = values(source === 'ema' ? ema : params);
          const n = tf.memory().numTensors;
          m.afterStep!(fx.nets, ctxOf(step), ema);
          expect(tf.memory().numTensors).toBe(n);
          if ([2, 4, 6, 9].includes(step + 1)) {
            updatedAt.push(step + 1);
            expected = expected.map((h, i) => h.map((x, j) => 0.1 * x + 0.9 * src[i][j]));
          }
          const got = values(his);
          got.forEach((g, i) => g.forEach((x, j) => expect(Math.abs(x - expected[i][j])).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[i][j])))));
        }
        expect(updatedAt).toEqual([2, 4, 6, 9]);
        expect(his.every((v) => !v.trainable)).toBe(true);
        if (source === 'ema') expect(() => m.afterStep!(fx.nets, ctxOf(1), null)).toThrow(/historySource 'ema' needs the student's EMA/);
      } finally {
        params.forEach((v, i) => v.assign(tf.tidy(() => tf.tensor(Float32Array.from(before[i]), v.shape, 'float32'))));
        tf.dispose(ema);
        m.dispose!();
      }
    }
  });

  it('prepare needs init; the clean negative is the history model on x (a copy of the student at init)', () => {
    const cold = buildMethod(smokeOf('dckd'));
    expect(() => cold.prepare({ lr: fx.lr, hr: fx.hr }, fx.nets, ctxOf(0))).toThrow(/call method.init\(nets\)/);
    const m = made(smokeOf('dckd'));
    const prep = m.prepare({ lr: fx.lr, hr: fx.hr }, fx.nets, ctxOf(0)) as unknown as { negatives: tf.Tensor4D[]; teacher: tf.Tensor4D };
    try {
      expect(prep.negatives.length).toBe(3);
      const [d0, d1] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(prep.negatives[0], fx.student.forward(fx.lr).out))).dataSync()[0],
        tf.max(tf.abs(tf.sub(prep.negatives[1], prep.negatives[0]))).dataSync()[0],
      ]);
      expect(d0).toBeLessThan(1e-6);
      expect(d1).toBeGreaterThan(1e-3); // degraded input, different output
    } finally {
      tf.dispose(prep as unknown as tf.TensorContainer);
      m.dispose!();
    }
  });
});

describe('DCKD degraded inputs', () => {
  it('dckdDegradedInputs gives the inputs of negatives 1..N-1: the history model on them is what prepare returns', () => {
    const m = made(smokeOf('dckd'));
    const ctx = ctxOf(3);
    const prep = m.prepare({ lr: fx.lr, hr: fx.hr }, fx.nets, ctx) as unknown as { negatives: tf.Tensor4D[] };
    const inputs = dckdDegradedInputs(smokeOf('dckd'), fx.lr, ctx);
    try {
      expect(inputs.length).toBe(2);
      for (let j = 0; j < inputs.length; j++) {
        const [d, lo, hi, moved] = tf.tidy(() => [
          tf.max(tf.abs(tf.sub(prep.negatives[j + 1], fx.student.forward(inputs[j]).out))), tf.min(inputs[j]), tf.max(inputs[j]), tf.max(tf.abs(tf.sub(inputs[j], fx.lr))),
        ].map((t) => t.dataSync()[0]));
        expect(d).toBeLessThan(1e-6); // the history model is the student's copy at init
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(moved).toBeGreaterThan(1e-3);
      }
    } finally {
      tf.dispose([prep as unknown as tf.TensorContainer, inputs]);
      m.dispose!();
    }
  });
});

describe('DCKD terms', () => {
  it('dcl and ce equal the loss functions on the same tensors (Eq. 9 and the legacy double softmax)', () => {
    for (const legacyDoubleSoftmax of [false, true]) {
      const cfg = { ...smokeOf('dckd'), legacyDoubleSoftmax };
      const m = made(cfg);
      const vq = randomVqgan(SMOKE_VQGAN_CONFIG, 0);
      const batch = { lr: tf.slice(fx.lr, [0], [2]), hr: tf.slice(fx.hr, [0], [2]) }; // two samples: the VQGAN passes are slow on cpu
      const prep = m.prepare(batch, fx.nets, ctxOf(3, 0, 2)) as unknown as { negatives: tf.Tensor4D[]; teacher: tf.Tensor4D };
      try {
        const [dcl, ce, wantDcl, wantCe] = tf.tidy(() => {
          const t = m.terms(fx.nets, batch, prep as never);
          const sr = fx.student.forward(batch.lr).out;
          return [
            t.dcl.dataSync()[0], t.ce.dataSync()[0],
            cfg.dclWeight * dckdContrastiveLoss(vq, { anchor: sr, positive: prep.teacher, negatives: prep.negatives }).dataSync()[0],
            cfg.ceWeight * dckdCodeLoss(vq, sr, prep.teacher, legacyDoubleSoftmax ? 'legacyDoubleSoftmax' : 'eq9').dataSync()[0],
          ];
        });
        expect(wantDcl).toBeGreaterThan(0);
        expect(Math.abs(dcl - wantDcl)).toBeLessThan(1e-6 * wantDcl);
        expect(Math.abs(ce - wantCe)).toBeLessThan(1e-6 * Math.abs(wantCe));
      } finally {
        tf.dispose([prep as unknown as tf.TensorContainer, batch]);
        vq.dispose();
        m.dispose!();
      }
    }
  });

  it("DCKD*: the upcycled terms equal DUKD's on the same batch and step (DUKD's code setting for the backbone)", () => {
    expect(buildMethod(methodPreset('dckd-star', 'edsr', 4)).termNames).toEqual(['rec', 'kd', 'dcl', 'ce', 'zi', 'zo_rec', 'zo_kd']);
    expect(buildMethod(methodPreset('dckd-star', 'swinir', 4)).termNames).toEqual(['rec', 'kd', 'dcl', 'ce', 'zi']);
    expect(() => buildMethod({ ...smokeOf('dckd-star-vgg'), upcycling: { ...smokeOf('dckd-star-vgg').upcycling!, zoomIn: false, zoomOut: false } }))
      .toThrow(/method\.upcycling must be null or with zoomIn or zoomOut on/);
    const star = made(smokeOf('dckd-star-vgg'));
    const dukd = buildMethod(defaultMethodConfig('dukd', 'edsr', 2));
    const ctx = ctxOf(4);
    const batch = { lr: fx.lr, hr: fx.hr };
    const [p1, p2] = [star.prepare(batch, fx.nets, ctx), dukd.prepare(batch, fx.nets, ctx)];
    try {
      const [a, b] = tf.tidy(() => [star.terms(fx.nets, batch, p1), dukd.terms(fx.nets, batch, p2)].map((t) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]))));
      for (const k of ['zi', 'zo_rec', 'zo_kd']) expect(a[k]).toBe(b[k]);
      expect(a.kd).toBe(b.kd); // the same T(x), computed once
    } finally {
      tf.dispose([p1, p2]);
      star.dispose!();
    }
  });

  it('dcl on shares (1 + 3) with all-reduced statistics = the full-batch L_dcl value and gradient; only the student gets gradients', () => {
    const m = made(smokeOf('dcr-vgg'));
    const his = new Set(m.stateVariables!().map((v) => v.name));
    const dclGrad = (start: number, size: number, totals?: Record<string, number[]>) => {
      const batch = { lr: tf.slice(fx.lr, [start], [size]), hr: tf.slice(fx.hr, [start], [size]) };
      const ctx = ctxOf(2, start);
      const prep = m.prepare(batch, fx.nets, ctx);
      let stats: Record<string, number[]> = {};
      if (!totals) {
        const s = m.shareStats!(fx.nets, batch, prep, ctx);
        stats = Object.fromEntries(Object.entries(s).map(([k, t]) => [k, Array.from(t.dataSync())]));
        tf.dispose(s);
      }
      const { value, grads } = tf.variableGrads(() => m.terms(fx.nets, batch, prep, totals ? { totals } : {}).dcl);
      const out = { value: value.dataSync()[0], grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())])), stats };
      tf.dispose([value, grads, prep, batch]);
      return out;
    };
    try {
      const full = dclGrad(0, 4);
      expect(Object.keys(full.grads).sort()).toEqual(Array.from(fx.student.params.values()).map((v) => v.name).sort());
      expect(Object.keys(full.grads).some((k) => his.has(k))).toBe(false);
      const a0 = dclGrad(0, 1);
      const b0 = dclGrad(1, 3);
      const totals = Object.fromEntries(Object.keys(a0.stats).map((k) => [k, a0.stats[k].map((x, i) => x + b0.stats[k][i])]));
      const a = dclGrad(0, 1, totals);
      const b = dclGrad(1, 3, totals);
      // each share's value is the full-batch L_dcl; the share-weighted gradients add up to the full-batch gradient
      for (const r of [a, b]) expect(Math.abs(r.value - full.value)).toBeLessThan(1e-5 * full.value);
      // a mean of per-share ratios would differ: the coupling matters on this batch
      expect(Math.abs(0.25 * a0.value + 0.75 * b0.value - full.value)).toBeGreaterThan(1e-4 * full.value);
      for (const [k, g] of Object.entries(full.grads)) {
        const scale = Math.max(1e-6, ...g.map(Math.abs));
        g.forEach((v, i) => expect(Math.abs(0.25 * a.grads[k][i] + 0.75 * b.grads[k][i] - v) / scale).toBeLessThan(1e-4));
      }
    } finally {
      m.dispose!();
    }
  });
});

describe('DCKD in train()', () => {
  const config = (steps: number): TrainConfig =>
    resolveTrain({ method: { ...smokeOf('dcr-vgg'), historySource: 'ema' }, totalSteps: steps, checkpointEverySteps: 2, evalEverySteps: 0, logEverySteps: 1, keepCheckpoints: 3, val: { sets: [] } },
      trainPreset('smoke', { method: 'dckd' }));
  const log = (run: Run): Record<string, unknown>[] =>
    fs.readFileSync(path.join(run.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('1 and 2 workers give the same steps to float tolerance (share statistics all-reduced, not per-share ratios)', async () => {
    const cfg = config(2);
    const one = await train(cfg, { runsDir: path.join(TMP, 'w1'), resume: 'none', quiet: true, engine: 'workers', workers: 1 });
    const two = await train(cfg, { runsDir: path.join(TMP, 'w2'), resume: 'none', quiet: true, engine: 'workers', workers: 2 });
    try {
      const terms = (run: Run) => log(run).filter((e) => e.event === 'train').map((e) => e.terms as Record<string, number>);
      const [t1, t2] = [terms(one), terms(two)];
      expect(t2.length).toBe(2);
      t1.forEach((t, s) => Object.entries(t).forEach(([k, v]) => expect(Math.abs(t2[s][k] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)))));
      const w = (run: Run) => Array.from(run.student.params.values()).map((v) => v.dataSync() as Float32Array);
      const [a, b] = [w(two), w(one)];
      expect(maxRelDiff(a, b)).toBeLessThan(1e-5);
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it('a resumed run equals the uninterrupted one bit for bit (history model from method-state.bin); tensors flat; the note is logged', async () => {
    const cfg = config(4);
    const straight = await train(cfg, { runsDir: path.join(TMP, 'straight'), resume: 'none', quiet: true, engine: 'in-process' });
    const part = await train(cfg, { runsDir: path.join(TMP, 'resumed'), resume: 'none', quiet: true, engine: 'in-process', totalSteps: 2 });
    part.dispose();
    const resumed = await train(cfg, { runsDir: path.join(TMP, 'resumed'), quiet: true, engine: 'in-process' });
    try {
      expect(fs.existsSync(path.join(resumed.dir, 'ckpt', 'step-2', 'method-state.bin'))).toBe(true);
      const terms = (run: Run) => log(run).filter((e) => e.event === 'train').map((e) => e.terms);
      expect(terms(resumed)).toEqual(terms(straight));
      const w = (run: Run) => Array.from(run.student.params.values()).map((v) => Buffer.from((v.dataSync() as Float32Array).buffer));
      const [a, b] = [w(resumed), w(straight)];
      a.forEach((x, i) => expect(x.equals(b[i])).toBe(true));
      const counts = log(straight).filter((e) => e.event === 'train').map((e) => (e.numTensors as { main: number }).main);
      expect(new Set(counts.slice(1)).size).toBe(1);
      expect(String((log(straight).find((e) => e.event === 'start')!.notes as string[])[0])).toContain(UNTRAINED_FEATURES_NOTE);
    } finally {
      straight.dispose();
      resumed.dispose();
    }
  });
});
