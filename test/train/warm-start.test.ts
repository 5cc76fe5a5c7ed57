/**
 * Student warm start (spec A2): x2 -> x4 EDSR, both modes, from a kit model dir and from a PyTorch checkpoint;
 * clear errors; and through train(): the x4 run starts from the x2 run's weights and resumes without the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { trainPreset } from '../../lib/config/presets';
import { resolveTrain } from '../../lib/config/resolve';
import { type TrainConfig, upgradeStoredConfig } from '../../lib/config/train';
import { configHash } from '../../lib/config/hash';
import { saveModel } from '../../lib/io/model-file';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import { openRun } from '../../lib/train/run';
import { train } from '../../lib/train/trainer';
import { formatWarmStart, isUpsamplerKey, warmStartStudent } from '../../lib/train/warm-start';
import { sharedPath } from '../shared';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-warm-'));
const EDSR: ArchConfig = { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 };

function values(net: SRNet): Map<string, Float32Array> {
  return new Map(Array.from(net.params, ([k, v]) => [k, Float32Array.from(v.dataSync() as Float32Array)]));
}

let x2Dir: string;
let x2: Map<string, Float32Array>;
beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false });
  const net = buildModel(EDSR, 2, { seed: 1 });
  x2 = values(net);
  x2Dir = path.join(TMP, 'x2-model');
  await saveModel(net, x2Dir);
  net.dispose();
});
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('warmStartStudent', () => {
  it("'all-but-upsampler' copies every non-upsampler weight from the x2 model and leaves the x4 upsampler fresh", () => {
    const net = buildModel(EDSR, 4, { seed: 2 });
    const fresh = values(net);
    const r = warmStartStudent(net, { weights: x2Dir, mode: 'all-but-upsampler' });
    const now = values(net);
    const ups = [...now.keys()].filter(isUpsamplerKey);
    expect(ups.sort()).toEqual(['upsample.0.bias', 'upsample.0.weight', 'upsample.2.bias', 'upsample.2.weight']);
    for (const [k, v] of now) {
      if (isUpsamplerKey(k)) expect(v, k).toEqual(fresh.get(k));
      else expect(v, k).toEqual(x2.get(k));
    }
    expect(r.loaded.length).toBe(now.size - 4);
    expect(r.kept.map((k) => k.why)).toEqual(['upsampler', 'upsampler', 'upsampler', 'upsampler']);
    expect(formatWarmStart(r)).toMatch(/^student init: \d+\/\d+ tensors from .*x2-model; fresh: upsample\.0\.weight \(upsampler\)/);
    net.dispose();
  });

  it("'all-matching' (the official code) also takes the x2 upsampling conv into the x4 net's first stage", () => {
    const net = buildModel(EDSR, 4, { seed: 2 });
    const fresh = values(net);
    const r = warmStartStudent(net, { weights: x2Dir, mode: 'all-matching' });
    const now = values(net);
    expect(now.get('upsample.0.weight')).toEqual(x2.get('upsample.0.weight'));
    expect(now.get('upsample.2.weight')).toEqual(fresh.get('upsample.2.weight'));
    expect(r.kept).toEqual([{ key: 'upsample.2.weight', why: 'not in file' }, { key: 'upsample.2.bias', why: 'not in file' }]);
    net.dispose();
  });

  it('reads PyTorch checkpoints (BasicSR EDSR x2 fixture) the same way', () => {
    const file = sharedPath('data/fixtures/tiny_edsr_basicsr_x2_zip.pth');
    const ref = buildModel(EDSR, 2, { seed: 5 });
    warmStartStudent(ref, { weights: file, mode: 'all-matching' }); // x2 into x2: every weight
    const want = values(ref);
    ref.dispose();
    const net = buildModel(EDSR, 4, { seed: 6 });
    const fresh = values(net);
    const r = warmStartStudent(net, { weights: file, mode: 'all-but-upsampler' });
    for (const [k, v] of values(net)) expect(v, k).toEqual(isUpsamplerKey(k) ? fresh.get(k) : want.get(k));
    expect(r.kept.every((k) => k.why === 'upsampler')).toBe(true);
    net.dispose();
  });

  it('refuses another network family, a body that does not fit, and a missing path, naming them', async () => {
    const rcan = buildModel({ arch: 'rcan', feats: 8, groups: 1, blocks: 1, reduction: 4, resScale: 1 }, 2, { seed: 1 });
    const rcanDir = path.join(TMP, 'rcan-model');
    await saveModel(rcan, rcanDir);
    rcan.dispose();
    const net = buildModel(EDSR, 4, { seed: 2 });
    const before = values(net);
    expect(() => warmStartStudent(net, { weights: rcanDir, mode: 'all-but-upsampler' })).toThrow(/studentInit\.weights: .*rcan-model holds a rcan model; the student is edsr/);
    const wide = buildModel({ arch: 'edsr', feats: 12, blocks: 1, resScale: 1 }, 2, { seed: 1 });
    const wideDir = path.join(TMP, 'wide-model');
    await saveModel(wide, wideDir);
    wide.dispose();
    expect(() => warmStartStudent(net, { weights: wideDir, mode: 'all-but-upsampler' }))
      .toThrow(/wide-model does not fit the student outside the upsampler \(conv_first\.weight: other shape, .*body\.1\.conv1\.weight: not in file/);
    expect(values(net)).toEqual(before); // nothing assigned
    expect(() => warmStartStudent(net, { weights: path.join(TMP, 'nope'), mode: 'all-matching' })).toThrow(/studentInit\.weights: .*nope does not exist/);
    // BasicSR's non-strict rule takes whatever fits, here only the 3-channel output bias
    const r = warmStartStudent(net, { weights: wideDir, mode: 'all-matching' });
    expect(r.loaded).toEqual(['conv_last.bias']);
    net.dispose();
  });

  it('config validation names the bad key and value', () => {
    const base = trainPreset('smoke', { method: 'scratch' });
    expect(() => resolveTrain({ studentInit: { weights: x2Dir, mode: 'body' } } as never, base)).toThrow(/studentInit\.mode must be one of 'all-but-upsampler', 'all-matching' \(got "body"\)/);
    expect(() => resolveTrain({ studentInit: { weights: '', mode: 'all-matching' } } as never, base)).toThrow(/studentInit\.weights must be a non-empty string/);
    expect(() => resolveTrain({ studentInit: { weights: x2Dir } } as never, base)).toThrow(/studentInit\.mode is missing/);
  });
});

describe('train with studentInit', () => {
  it('an x4 run starts from the x2 run (a 1e-12 learning rate keeps the start), logs it, and resumes after the x2 run is gone', async () => {
    const runs = path.join(TMP, 'runs');
    const x2Cfg: TrainConfig = resolveTrain({ totalSteps: 2, workers: 1, val: { sets: [] } }, trainPreset('smoke', { method: 'scratch' }));
    const x2Run = await train(x2Cfg, { runsDir: runs, resume: 'none', quiet: true });
    const x2Weights = values(x2Run.student);
    const x2RunDir = path.join(TMP, 'x2-run-copy');
    fs.cpSync(x2Run.dir, x2RunDir, { recursive: true });
    x2Run.dispose();

    const x4Cfg: TrainConfig = resolveTrain({
      scale: 4, totalSteps: 2, checkpointEverySteps: 1, workers: 2, val: { sets: [] },
      optim: { learningRate: 1e-12 }, studentInit: { weights: x2RunDir, mode: 'all-but-upsampler' },
    }, trainPreset('smoke', { method: 'scratch' }));
    const logs: string[] = [];
    const x4 = await train(x4Cfg, { runsDir: runs, resume: 'none', quiet: true, log: (l) => logs.push(l) });
    expect(logs.some((l) => /^student init: \d+\/\d+ tensors from .*x2-run-copy\/model; fresh: upsample/.test(l))).toBe(true);
    // The run's model holds EMA weights; with lr 1e-12 they stay at the start up to the EMA's own rounding
    // (d*w + (1-d)*w), far below the gap between the x2 weights and a fresh initialisation.
    const got = values(x4.student);
    for (const [k, v] of got) {
      if (isUpsamplerKey(k)) continue;
      const want = x2Weights.get(k) as Float32Array;
      const worst = v.reduce((m, x, i) => Math.max(m, Math.abs(x - want[i])), 0);
      expect(worst, k).toBeLessThan(1e-6);
    }
    const logged = fs.readFileSync(path.join(x4.dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; loaded?: number });
    expect(logged.find((e) => e.event === 'studentInit')?.loaded).toBe(got.size - 4); // x4: two upsampling convs, weight + bias
    const dir = x4.dir;
    x4.dispose();

    // Resume needs only the checkpoint: remove the init source and extend the run.
    fs.rmSync(x2RunDir, { recursive: true, force: true });
    const more = await train({ ...x4Cfg, totalSteps: 3 }, { runsDir: runs, resume: 'latest', quiet: true });
    expect(more.dir).toBe(dir);
    expect(more.results.step).toBe(3);
    more.dispose();
    const reopened = openRun(dir);
    expect(reopened.config.studentInit?.mode).toBe('all-but-upsampler');
    reopened.dispose();
  });
});

describe('stored configs from before studentInit', () => {
  it('read back with studentInit null, and hash as before (the key is left out of the hash when null)', () => {
    const cfg = trainPreset('smoke', { method: 'scratch' });
    const { studentInit: _drop, ...old } = cfg;
    void _drop;
    expect(configHash(cfg)).toBe(configHash(old as TrainConfig));
    expect(upgradeStoredConfig(old as TrainConfig)).toEqual(cfg);
    expect(configHash({ ...cfg, studentInit: { weights: 'a', mode: 'all-matching' } })).not.toBe(configHash(cfg));
  });
});
