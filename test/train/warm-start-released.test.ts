/**
 * The x4 warm start as BasicSR does it ('all-matching'): the x2 run's raw weights ('params') into the student,
 * its EMA weights ('params_ema') into the EMA copy, both non-strictly. Source: a torch-made BasicSR-style x2
 * output with both sets (test/fixtures/warm-start-x2-basicsr.pth, generator beside it), and kit run directories
 * (model-raw/ + model/), including one stored before model-raw/ was kept.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { loadPretrained } from '../../lib/io/pretrained';
import { loadModel } from '../../lib/io/model-file';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import { train } from '../../lib/train/trainer';
import { RAW_MODEL_DIR, warmStartSets, warmStartStudent } from '../../lib/train/warm-start';
import { sharedPath } from '../shared';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-warm-rel-'));
const PTH = sharedPath('warm-start-x2-basicsr.pth');
const EDSR: ArchConfig = { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 }; // the fixture's network

const values = (net: SRNet): Map<string, Float32Array> =>
  new Map(Array.from(net.params, ([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
const worst = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** One weight set of the torch file, read into an x2 net (a strict load: every key). */
function x2Set(key: 'params' | 'params_ema'): Map<string, Float32Array> {
  const net = buildModel(EDSR, 2, { seed: 0 });
  loadPretrained(net, PTH, { strict: true, key });
  const v = values(net);
  net.dispose();
  return v;
}

let raw: Map<string, Float32Array>;
let ema: Map<string, Float32Array>;
beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false });
  raw = x2Set('params');
  ema = x2Set('params_ema');
});
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('weight sets of a warm start', () => {
  it("'all-matching' takes params for the student and params_ema for the EMA; 'all-but-upsampler' keeps the EMA weights for both", () => {
    expect(warmStartSets('all-matching')).toEqual({ student: 'params', ema: 'params_ema' });
    expect(warmStartSets('all-but-upsampler')).toEqual({ student: 'auto', ema: null });
    for (const k of raw.keys()) expect(worst(raw.get(k)!, ema.get(k)!), k).toBeGreaterThan(1e-3); // the sets differ everywhere
  });

  it('loads each set of the torch file into an x4 net, first upsampling conv included, second stage fresh', () => {
    for (const [set, want] of [['params', raw], ['params_ema', ema]] as const) {
      const net = buildModel(EDSR, 4, { seed: 3 });
      const fresh = values(net);
      const r = warmStartStudent(net, { weights: PTH, mode: 'all-matching' }, set);
      expect(r.note).toBeNull();
      for (const [k, v] of values(net)) {
        if (k.startsWith('upsample.2.')) expect(v, k).toEqual(fresh.get(k));
        else expect(v, `${set} ${k}`).toEqual(want.get(k));
      }
      net.dispose();
    }
  });

  it('a checkpoint with one set gives it to both, with a note (BasicSR falls back to params for the EMA copy)', () => {
    const one = sharedPath('data/fixtures/tiny_edsr_basicsr_x2_zip.pth'); // {'params': ...} only
    const net = buildModel(EDSR, 4, { seed: 3 });
    const r = warmStartStudent(net, { weights: one, mode: 'all-matching' }, 'params_ema');
    expect(r.note).toMatch(/has no 'params_ema' entry: the EMA copy starts from 'params'/);
    expect(values(net).get('conv_first.weight')).toEqual(raw.get('conv_first.weight')); // the fixture's params are that file's
    net.dispose();
  });
});

describe('train: all-matching from a BasicSR x2 output and from kit runs', () => {
  const base = (over: Partial<TrainConfig>): TrainConfig => resolveTrain({
    scale: 4, student: EDSR, totalSteps: 1, workers: 1, val: { sets: [] }, optim: { learningRate: 1e-12 }, emaDecay: 0.9, ...over,
  } as never, trainPreset('smoke', { method: 'scratch' }));

  it('the student starts from params, the EMA from params_ema: after one step at lr 1e-12, model-raw = params, model = 0.9 params_ema + 0.1 params', async () => {
    const logs: string[] = [];
    const run = await train(base({ studentInit: { weights: PTH, mode: 'all-matching' } }), { runsDir: path.join(TMP, 'runs'), resume: 'none', quiet: true, log: (l) => logs.push(l) });
    try {
      expect(run.results.modelRaw).toBe(RAW_MODEL_DIR);
      const rawNet = loadModel(path.join(run.dir, RAW_MODEL_DIR)).net;
      const gotRaw = values(rawNet);
      rawNet.dispose();
      const gotEma = values(run.student); // model/ = the EMA
      for (const [k, v] of gotRaw) {
        if (k.startsWith('upsample.2.')) {
          expect(worst(gotEma.get(k)!, v), k).toBeLessThan(1e-6); // fresh in both copies: the student's own values
          continue;
        }
        expect(worst(v, raw.get(k)!), k).toBeLessThan(1e-6);
        const want = ema.get(k)!.map((e, i) => 0.9 * e + 0.1 * raw.get(k)![i]);
        expect(worst(gotEma.get(k)!, want), k).toBeLessThan(1e-6);
      }
      expect(logs.some((l) => /^student init: 16\/18 tensors from .*warm-start-x2-basicsr\.pth; fresh: upsample\.2/.test(l))).toBe(true);
      expect(logs.some((l) => /^student EMA init: 16\/18 tensors from .*warm-start-x2-basicsr\.pth/.test(l))).toBe(true);
    } finally {
      run.dispose();
    }
  }, 300_000);

  it('a kit x2 run keeps both sets (model-raw/, model/) and an x4 run takes each; a run stored without model-raw/ gives model/ to both', async () => {
    const runs = path.join(TMP, 'runs2');
    const x2 = await train(resolveTrain({ scale: 2, student: EDSR, totalSteps: 2, workers: 1, val: { sets: [] }, emaDecay: 0.5 } as never,
      trainPreset('smoke', { method: 'scratch' })), { runsDir: runs, resume: 'none', quiet: true });
    const x2Dir = x2.dir;
    const x2Ema = values(x2.student);
    x2.dispose();
    const x2RawNet = loadModel(path.join(x2Dir, RAW_MODEL_DIR)).net;
    const x2Raw = values(x2RawNet);
    x2RawNet.dispose();
    expect(worst(x2Raw.get('conv_first.weight')!, x2Ema.get('conv_first.weight')!)).toBeGreaterThan(1e-6);

    const start = (set: 'params' | 'params_ema', dir: string): { v: Map<string, Float32Array>; note: string | null } => {
      const net = buildModel(EDSR, 4, { seed: 0 });
      const r = warmStartStudent(net, { weights: dir, mode: 'all-matching' }, set);
      const v = values(net);
      net.dispose();
      return { v, note: r.note };
    };
    expect(start('params', x2Dir).v.get('conv_first.weight')).toEqual(x2Raw.get('conv_first.weight'));
    expect(start('params_ema', x2Dir).v.get('conv_first.weight')).toEqual(x2Ema.get('conv_first.weight'));

    const old = path.join(TMP, 'old-run');
    fs.cpSync(x2Dir, old, { recursive: true });
    fs.rmSync(path.join(old, RAW_MODEL_DIR), { recursive: true });
    const s = start('params', old);
    expect(s.note).toMatch(/has no model-raw\/ beside it .*its weights start the student too/);
    expect(s.v.get('conv_first.weight')).toEqual(x2Ema.get('conv_first.weight'));
    expect(start('params_ema', old).v.get('conv_first.weight')).toEqual(x2Ema.get('conv_first.weight'));
  }, 300_000);
});
