/**
 * Finding the frozen feature networks' files (lib/io/feature-weights.ts) and DCKD using them (MethodSpec.forRun via
 * trainPreset): a temp directory holding the fixture-sized VQGAN Lightning checkpoint and VGG-19 under their
 * published names is found through $SRKD_WEIGHTS or the download directory; the method built from the found
 * config loads that file (its terms equal those of the method given the fixture's path, differ from the seeded
 * random network's) and says nothing about untrained features; without a file the config keeps null and the
 * method says so. The history schedule is fitted to the run's length, and train() then updates the history model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sharedPath } from '../shared';
import { useTinyNets } from '../distill/tiny-nets';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { type DckdConfig, UNTRAINED_FEATURES_NOTE } from '../../lib/distill/dckd';
import { buildMethod } from '../../lib/distill/methods';
import { FEATURE_FILE_NAMES, featureWeightsDirs, findFeatureWeights } from '../../lib/io/feature-weights';
import { rowConfig, backbonePair } from '../../lib/reproduce/job-config';
import { latestCheckpoint } from '../../lib/train/checkpoint';
import { train } from '../../lib/train/trainer';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-feature-weights-'));
const VQGAN_FIXTURE = sharedPath('data', 'fixtures', 'tiny_vqgan_f16_lightning.ckpt');
const VGG_FIXTURE = sharedPath('data', 'fixtures', 'tiny_vgg19_torchvision.pth');
const ENV_KEYS = ['SRKD_WEIGHTS', 'SRKD_WEIGHTS_DIR'] as const;
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const fx = useTinyNets({ teacherBlocks: 1 });

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

function dirWith(name: string, files: Record<string, string>): string {
  const dir = path.join(TMP, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) fs.copyFileSync(from, path.join(dir, to));
  return dir;
}

/** rec, kd, dcl, ce of one step on the tiny nets (fixed batch and step context). */
function termsOf(cfg: DckdConfig): Record<string, number> {
  const m = buildMethod(cfg);
  m.init!(fx.nets);
  const batch = { lr: fx.lr, hr: fx.hr };
  const ctx = { step: 0, seed: 3, sampleOffset: 0, batchSizeTotal: 4 };
  const prep = m.prepare(batch, fx.nets, ctx);
  try {
    const t = m.terms(fx.nets, batch, prep);
    const out = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.dataSync()[0]]));
    tf.dispose(t);
    return out;
  } finally {
    tf.dispose(prep);
    m.dispose!();
  }
}

describe('feature-network files', () => {
  it('finds the published names in $SRKD_WEIGHTS, then the download directory; null when absent', () => {
    const empty = dirWith('empty', {});
    const own = dirWith('own', { [FEATURE_FILE_NAMES.vqgan[1]]: VQGAN_FIXTURE }); // DCKD's own name for it
    const download = dirWith('download', { 'vqgan_imagenet_f16_1024.ckpt': VQGAN_FIXTURE, 'vgg19-dcbb9e9d.pth': VGG_FIXTURE });
    expect(findFeatureWeights('vqgan', [empty])).toBeNull();
    expect(findFeatureWeights('vqgan', [own, download])).toBe(path.join(own, 'VQGAN_f16_n1024.ckpt'));
    expect(findFeatureWeights('vgg19', [own, download])).toBe(path.join(download, 'vgg19-dcbb9e9d.pth'));
    expect(featureWeightsDirs({ SRKD_WEIGHTS: own, SRKD_WEIGHTS_DIR: download })).toEqual([own, download]);
    expect(featureWeightsDirs({ SRKD_WEIGHTS_DIR: download })).toEqual([download]);
    expect(featureWeightsDirs({})).toEqual([path.resolve('weights')]);
    expect(() => featureWeightsDirs({ SRKD_WEIGHTS: path.join(TMP, 'nope') })).toThrow(/SRKD_WEIGHTS must name a directory of weight files \(got '.*nope'\)/);
  });

  it('DCKD presets use the found VQGAN (loaded, no untrained note); without one they keep the seeded random net and say so', () => {
    process.env.SRKD_WEIGHTS_DIR = dirWith('none', {});
    delete process.env.SRKD_WEIGHTS;
    const offline = trainPreset('smoke', { method: 'dckd' }).method as DckdConfig;
    expect(offline.featureWeights).toBeNull();
    expect(buildMethod(offline).notes?.join(' ')).toContain(UNTRAINED_FEATURES_NOTE);

    process.env.SRKD_WEIGHTS = dirWith('real', { 'vqgan_imagenet_f16_1024.ckpt': VQGAN_FIXTURE, 'vgg19-dcbb9e9d.pth': VGG_FIXTURE });
    const found = trainPreset('smoke', { method: 'dckd' }).method as DckdConfig;
    expect(found.featureWeights).toBe(path.join(process.env.SRKD_WEIGHTS, 'vqgan_imagenet_f16_1024.ckpt'));
    expect(buildMethod(found).notes).toEqual([]);
    expect((trainPreset('quick', { method: 'dcr-vgg' }).method as DckdConfig).featureWeights).toBe(path.join(process.env.SRKD_WEIGHTS, 'vgg19-dcbb9e9d.pth'));
    // the reproduce jobs build their rows through the same preset
    const row = rowConfig('smoke', { scale: 2, method: 'dckd', pair: backbonePair('smoke', 'swinir'), teacherWeights: null });
    expect((row.method as DckdConfig).featureWeights).toBe(found.featureWeights);

    // the found file is what the method loads: same terms as naming the fixture, not those of the random net
    const small = { ...found, negatives: 2 };
    const viaFound = termsOf(small);
    const viaPath = termsOf({ ...small, featureWeights: VQGAN_FIXTURE });
    const random = termsOf({ ...small, featureWeights: null });
    expect(viaFound).toEqual(viaPath);
    expect(Math.abs(viaFound.dcl - random.dcl)).toBeGreaterThan(1e-6 * Math.abs(random.dcl));
    expect(Math.abs(viaFound.ce - random.ce)).toBeGreaterThan(1e-6 * Math.abs(random.ce));
  });
});

describe('DCKD history schedule fitted to the run', () => {
  it('presets scale the update step by totalSteps / 250k; the paper preset keeps it', () => {
    process.env.SRKD_WEIGHTS_DIR = dirWith('none', {});
    const h = (m: unknown) => ({ every: (m as DckdConfig).historyEvery, phase: (m as DckdConfig).historyPhaseSteps });
    expect(h(trainPreset('paper', { method: 'dckd' }).method)).toEqual({ every: [1000, 2000, 3000], phase: 100000 });
    expect(h(trainPreset('quick', { method: 'dckd' }).method)).toEqual({ every: [2, 3, 5], phase: 160 }); // 400 steps
    expect(h(trainPreset('smoke', { method: 'dckd' }).method)).toEqual({ every: [1, 1, 1], phase: 2 }); // 4 steps
    expect(h(trainPreset('quick', { method: 'dckd', totalSteps: 2500 }).method)).toEqual({ every: [10, 20, 30], phase: 1000 });
    expect(trainPreset('quick', { method: 'dckd', totalSteps: 2500 }).totalSteps).toBe(2500);
    const row = rowConfig('quick', { scale: 2, method: 'dckd', pair: backbonePair('quick', 'swinir'), teacherWeights: null, steps: 2500 });
    expect(h(row.method)).toEqual({ every: [10, 20, 30], phase: 1000 });
    expect(() => trainPreset('smoke', { method: 'dckd', totalSteps: 0 })).toThrow(/totalSteps must be an integer >= 1 \(got 0\)/);
  });

  it('train() applies it: a 4-step smoke run updates the history model; the unscaled schedule never does', async () => {
    process.env.SRKD_WEIGHTS_DIR = dirWith('none', {});
    const over = { totalSteps: 4, checkpointEverySteps: 4, evalEverySteps: 0, logEverySteps: 1, val: { sets: [] } };
    const scaled = resolveTrain(over, trainPreset('smoke', { method: 'dcr-vgg', totalSteps: 4 }));
    const unscaled = resolveTrain({ ...over, method: { historyEvery: [1000, 2000, 3000], historyPhaseSteps: 100000 } }, scaled);
    const history = async (cfg: typeof scaled, dir: string): Promise<Float32Array[]> => {
      const run = await train(cfg, { runsDir: path.join(TMP, dir), resume: 'none', quiet: true, engine: 'in-process' });
      try {
        const ck = latestCheckpoint(run.dir);
        expect(ck?.state.step).toBe(4);
        expect((JSON.parse(fs.readFileSync(path.join(run.dir, 'config.json'), 'utf8')) as { method: DckdConfig }).method.historyEvery).toEqual(cfg.method.kind === 'dckd' ? cfg.method.historyEvery : null);
        return ck!.methodState!;
      } finally {
        run.dispose();
      }
    };
    const a = await history(scaled, 'scaled');
    const b = await history(unscaled, 'unscaled');
    expect(a.length).toBe(b.length);
    const maxDiff = Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));
    expect(maxDiff).toBeGreaterThan(1e-4);
  });
});
