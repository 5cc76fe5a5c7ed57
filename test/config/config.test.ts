import { describe, expect, it } from 'vitest';
import { METHOD_PRESET_NAMES } from '../../lib/distill/config';
import { defaultMethodConfig } from '../../lib/distill/methods';
import { diffConfigs, formatChanges } from '../../lib/config/diff';
import { canonicalJson, configHash, runId } from '../../lib/config/hash';
import { PRESET_NAMES, PRESETS, trainPreset } from '../../lib/config/presets';
import { assertTrainConfig, mergeDeep, parseTrainConfig, resolveTrain } from '../../lib/config/resolve';
import type { TrainConfig } from '../../lib/config/train';
import { learningRateAt } from '../../lib/train/schedule';

function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reversedKeys((v as Record<string, unknown>)[k])]));
  return v;
}

describe('presets', () => {
  it('every preset is valid and survives JSON', () => {
    for (const name of PRESET_NAMES) {
      const cfg = PRESETS[name];
      expect(() => assertTrainConfig(JSON.parse(JSON.stringify(cfg)))).not.toThrow();
      expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg);
    }
  });

  it('paper is the published protocol (spec 1, 12.10)', () => {
    const p = PRESETS.paper;
    expect(p.optim).toEqual({ learningRate: 1e-4, betas: [0.9, 0.99], eps: 1e-8, milestones: [100000, 200000], gamma: 0.1 });
    expect(p.data.batchSize).toBe(16);
    expect(p.data.patchSizeLr).toBe(48);
    expect(p.data.kind).toBe('div2k');
    expect(p.totalSteps).toBe(250000);
    expect(p.emaDecay).toBe(0.999);
    expect(p.method).toEqual(defaultMethodConfig('dukd', 'edsr', 4));
  });

  it('trainPreset takes method weights for the backbone and scale', () => {
    const rcan = trainPreset('paper', { method: 'dukd', scale: 3, student: { arch: 'rcan', feats: 64, groups: 10, blocks: 6, reduction: 16, resScale: 1 } });
    expect(rcan.method).toEqual(defaultMethodConfig('dukd', 'rcan', 3));
    const scratch = trainPreset('smoke', { method: 'scratch' });
    expect(scratch.teacher).toBeNull();
    expect(() => assertTrainConfig(scratch)).not.toThrow();
    const release = trainPreset('quick', { method: 'dukd-release' });
    expect(release.method.kind === 'dukd' && release.method.updateMode).toBe('twoStepAccumulate');
  });

  it("'fakd-dukd-release' carries the released schedule (x0.5 at 18,750 of 250k steps), scaled to shorter presets", () => {
    const paper = trainPreset('paper', { method: 'fakd-dukd-release' });
    expect(paper.optim).toEqual({ ...PRESETS.paper.optim, milestones: [18750], gamma: 0.5 });
    expect(paper.method).toMatchObject({ kind: 'fakd', recWeight: 1, kdWeight: 1, affinityWeight: 10, taps: 'dukd4', detachAffinity: true });
    // 400 steps: 18750 / 250000 · 400 = 30; 4 steps: at least step 1
    expect(trainPreset('quick', { method: 'fakd-dukd-release' }).optim).toMatchObject({ milestones: [30], gamma: 0.5 });
    expect(trainPreset('smoke', { method: 'fakd-dukd-release' }).optim).toMatchObject({ milestones: [1], gamma: 0.5 });
    // any other method keeps the preset's schedule, the presets themselves are untouched
    expect(trainPreset('paper', { method: 'fakd-dukd-weights' }).optim).toEqual(PRESETS.paper.optim);
    expect(trainPreset('paper', { method: 'fakd' }).optim).toEqual(PRESETS.paper.optim);
    expect(PRESETS.paper.optim.milestones).toEqual([100_000, 200_000]);
    // the release's RCAN FAKD config keeps the usual schedule
    const rcan = { arch: 'rcan', feats: 64, groups: 10, blocks: 6, reduction: 16, resScale: 1 } as const;
    expect(trainPreset('paper', { method: 'fakd-dukd-release', student: rcan }).optim).toEqual(PRESETS.paper.optim);
  });

  it('every method preset (Table 4 rows included) makes a valid quick and smoke config, at x2 and x4', () => {
    for (const preset of ['quick', 'smoke'] as const) {
      for (const method of METHOD_PRESET_NAMES) {
        for (const scale of [2, 4] as const) {
          const cfg = trainPreset(preset, { method, scale });
          expect(() => assertTrainConfig(cfg), `${preset} ${method} x${scale}`).not.toThrow();
        }
      }
    }
  });

  it('presets are frozen and resolveTrain leaves base and overrides untouched', () => {
    expect(Object.isFrozen(PRESETS.paper.optim)).toBe(true);
    const over = { optim: { learningRate: 2e-4 } };
    const before = JSON.stringify(over);
    const cfg = resolveTrain(over, PRESETS.smoke);
    expect(cfg.optim.learningRate).toBe(2e-4);
    expect(cfg.optim.betas).toEqual([0.9, 0.99]);
    expect(JSON.stringify(over)).toBe(before);
    expect(PRESETS.smoke.optim.learningRate).toBe(1e-3);
  });
});

describe('resolveTrain validation', () => {
  const bad = (over: Record<string, unknown>, msg: RegExp): void => {
    expect(() => resolveTrain(over, PRESETS.smoke)).toThrow(msg);
  };
  it('names the bad key and value', () => {
    bad({ optim: { learningRate: -1 } }, /^optim\.learningRate must be > 0 \(got -1\)$/);
    bad({ optim: { betas: [0.9, 1.5] } }, /optim\.betas\[1\] must be a number in \[0, 1\) \(got 1\.5\)/);
    bad({ optim: { milestones: [5, 3] } }, /optim\.milestones\[1\] must be > optim\.milestones\[0\]/);
    bad({ data: { batchSize: 0 } }, /data\.batchSize must be an integer >= 1 \(got 0\)/);
    bad({ data: { kind: 'imagenet' } }, /data\.kind must be one of .* \(got "imagenet"\)/);
    bad({ scale: 5 }, /scale must be one of 2, 3, 4 \(got 5\)/);
    bad({ student: { feats: 0 } }, /student\.feats must be a positive integer \(got 0\)/);
    bad({ emaDecay: 1 }, /emaDecay must be a number in \[0, 1\) \(got 1\)/);
    bad({ method: { kdWeight: -2 } }, /method\.kdWeight must be a finite number >= 0 \(got -2\)/);
    bad({ teacher: null }, /teacher must be an ArchConfig \(method 'kd' distils from a teacher\)/);
    bad({ workers: 3 }, /workers must be at most data\.batchSize \(2\) \(got 3\)/);
    bad({ method: { kind: 'dukd' }, data: { patchSizeLr: 9 } }, /data\.patchSizeLr must be divisible by the scale 2/);
  });
  it('rejects unknown keys by name', () => {
    bad({ optim: { lr: 1 } }, /unknown key 'optim\.lr'/);
    bad({ learningRate: 1 }, /unknown key 'learningRate'/);
    bad({ method: { zoomIn: true } }, /method\.zoomIn must be absent/);
  });
  it('a method of another kind starts from that kind\'s defaults', () => {
    const cfg = resolveTrain({ method: { kind: 'fakd', affinityWeight: 1 } }, PRESETS.smoke);
    expect(cfg.method).toEqual({ ...defaultMethodConfig('fakd', 'edsr', 2), affinityWeight: 1 });
    const arch = resolveTrain({ student: { arch: 'rcan', feats: 8, groups: 1, blocks: 1, reduction: 4, resScale: 1 }, method: { kind: 'scratch' }, teacher: null }, PRESETS.smoke);
    expect(arch.student).toEqual({ arch: 'rcan', feats: 8, groups: 1, blocks: 1, reduction: 4, resScale: 1 });
  });
  it('parses JSON files with a preset base and names the file', () => {
    const cfg = parseTrainConfig(JSON.stringify({ preset: 'quick', method: { kind: 'augkd' }, totalSteps: 7 }), undefined, 'x.json');
    expect(cfg.totalSteps).toBe(7);
    expect(cfg.method).toEqual(defaultMethodConfig('augkd', 'edsr', 2));
    expect(cfg.data.kind).toBe('synthetic');
    expect(() => parseTrainConfig('{"optim": {"gamma": "x"}}', PRESETS.smoke, 'y.json')).toThrow(/^y\.json: optim\.gamma must be a finite number \(got "x"\)$/);
    expect(() => parseTrainConfig('{nope', PRESETS.smoke, 'z.json')).toThrow(/z\.json: not valid JSON/);
    expect(() => parseTrainConfig('{"preset": "huge"}', PRESETS.smoke, 'p.json')).toThrow(/p\.json: preset must be one of paper, quick, smoke \(got "huge"\)/);
  });
  it('mergeDeep replaces arrays and copies', () => {
    const a = { x: [1, 2], y: { z: 1, w: 2 } };
    const m = mergeDeep(a, { x: [3], y: { z: 5 } });
    expect(m).toEqual({ x: [3], y: { z: 5, w: 2 } });
    expect(a).toEqual({ x: [1, 2], y: { z: 1, w: 2 } });
  });
});

describe('hash and diff', () => {
  it('the hash ignores key order and bookkeeping keys, and changes with trajectory keys', () => {
    const cfg = PRESETS.smoke;
    const h = configHash(cfg);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash(reversedKeys(cfg) as TrainConfig)).toBe(h);
    expect(canonicalJson(reversedKeys(cfg))).toBe(canonicalJson(cfg));
    expect(configHash(resolveTrain({ totalSteps: 99, workers: 1, logEverySteps: 3, val: { sets: [] } }, cfg))).toBe(h);
    expect(configHash(resolveTrain({ seed: 1 }, cfg))).not.toBe(h);
    expect(configHash(resolveTrain({ optim: { learningRate: 2e-3 } }, cfg))).not.toBe(h);
    // a fixed value: a hash change breaks resuming every existing run, so it must be deliberate
    expect(configHash(PRESETS.smoke).slice(0, 8)).toMatchInlineSnapshot(`"c9489f7f"`);
  });
  it('run ids follow runs/<yyyymmdd>-<method>-<arch>x<scale>-<hash8>', () => {
    expect(runId(PRESETS.smoke, new Date(Date.UTC(2026, 0, 21)))).toBe(`20260121-kd-edsrx2-${configHash(PRESETS.smoke).slice(0, 8)}`);
  });
  it('diff names the changed keys', () => {
    const b = resolveTrain({ optim: { learningRate: 2e-3 }, seed: 3, method: { kind: 'scratch' }, teacher: null }, PRESETS.smoke);
    const changes = diffConfigs(PRESETS.smoke, b);
    expect(changes.map((c) => c.key)).toEqual(['method.kdWeight', 'method.kind', 'method.recWeight', 'optim.learningRate', 'seed', 'teacher']);
    expect(formatChanges(changes.filter((c) => c.key === 'seed'))).toBe('seed: 0 -> 3');
    expect(diffConfigs(PRESETS.smoke, JSON.parse(JSON.stringify(PRESETS.smoke)))).toEqual([]);
  });
});

describe('schedule', () => {
  it('MultiStep, BasicSR convention', () => {
    const o = PRESETS.paper.optim;
    expect(learningRateAt(o, 0)).toBe(1e-4);
    expect(learningRateAt(o, 99998)).toBe(1e-4);
    expect(learningRateAt(o, 99999)).toBeCloseTo(1e-5, 15);
    expect(learningRateAt(o, 199999)).toBeCloseTo(1e-6, 16);
  });
});
