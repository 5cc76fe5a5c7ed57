import { describe, expect, it } from 'vitest';
import { buildMethod } from '../../lib/distill/methods';
import { METHOD_PRESET_NAMES, methodPreset, methodPresetOptim } from '../../lib/distill/config';
import { assertMethodConfig, defaultMethodConfig, METHOD_KINDS, METHOD_SMOKE_CONFIGS } from '../../lib/distill/methods';
import { describeFormula } from '../../lib/distill/methods';
import type { Scale } from '../../lib/types';

const SCALES: Scale[] = [2, 3, 4];
const ARCHS = ['edsr', 'rcan', 'swinir'] as const;

describe('defaultMethodConfig', () => {
  it('is valid, plain JSON and fresh for every kind, backbone and scale', () => {
    for (const kind of METHOD_KINDS) {
      for (const arch of ARCHS) {
        for (const scale of SCALES) {
          const c = defaultMethodConfig(kind, arch, scale);
          assertMethodConfig(c);
          expect(JSON.parse(JSON.stringify(c))).toEqual(c);
          expect(defaultMethodConfig(kind, arch, scale)).not.toBe(c);
        }
      }
    }
  });

  it('follows spec 11 for scratch, kd, fakd', () => {
    expect(defaultMethodConfig('scratch', 'edsr', 4)).toEqual({ kind: 'scratch' });
    expect(defaultMethodConfig('kd', 'rcan', 4)).toEqual({ kind: 'kd', recWeight: 1, kdWeight: 1 });
    expect(defaultMethodConfig('fakd', 'edsr', 4)).toEqual({ kind: 'fakd', recWeight: 0.5, kdWeight: 0.5, affinityWeight: 10 / 255, taps: 'thirds', detachAffinity: false });
  });

  it('DUKD follows the spec 7.3 table per backbone and scale', () => {
    const pick = (arch: (typeof ARCHS)[number], s: Scale) => {
      const c = defaultMethodConfig('dukd', arch, s);
      return [c.recWeight, c.kdWeight, c.zoomOut, c.invAug, c.tiles, c.augProb];
    };
    expect(pick('edsr', 2)).toEqual([5, 1, true, true, 2, 0.3]);
    expect(pick('edsr', 3)).toEqual([5, 1, true, true, 1, 0.3]);
    expect(pick('edsr', 4)).toEqual([5, 1, true, true, 1, 0.3]);
    expect(pick('rcan', 2)).toEqual([1, 1, false, false, 1, 0.3]);
    expect(pick('rcan', 3)).toEqual([2, 1, true, true, 1, 0.3]);
    expect(pick('rcan', 4)).toEqual([1, 1, false, false, 1, 0.3]);
    for (const s of SCALES) expect(pick('swinir', s)).toEqual([5, 1, false, true, 1, 0.3]);
    const d = defaultMethodConfig('dukd', 'edsr', 4);
    expect([d.zoomIn, d.colorInvert, d.augmentZoomOut, d.legacyInverseOrder, d.updateMode]).toEqual([true, true, false, false, 'single']);
  });

  it('AugKD: DUKD-code weights, zoom-out on except SwinIR, DA on', () => {
    expect(defaultMethodConfig('augkd', 'edsr', 2)).toMatchObject({ recWeight: 5, kdWeight: 1, augkdWeight: 1, zoomOutRecWeight: 5, zoomOut: true, invAug: true, tiles: 2 });
    expect(defaultMethodConfig('augkd', 'rcan', 4)).toMatchObject({ recWeight: 1, augkdWeight: 1, zoomOut: true, invAug: true });
    expect(defaultMethodConfig('augkd', 'swinir', 3)).toMatchObject({ zoomOut: false, invAug: true });
  });

  it('accepts an ArchConfig and rejects bad kinds/archs/scales', () => {
    expect(defaultMethodConfig('dukd', { arch: 'rcan', feats: 64, groups: 10, blocks: 6, reduction: 16, resScale: 1 }, 3).recWeight).toBe(2);
    expect(() => defaultMethodConfig('crosskd' as never, 'edsr', 2)).toThrow(/method.kind must be one of/);
    expect(() => defaultMethodConfig('kd', 'vdsr' as never, 2)).toThrow(/arch must be/);
    expect(() => defaultMethodConfig('kd', 'edsr', 5 as Scale)).toThrow(/scale must be/);
  });
});

describe('assertMethodConfig', () => {
  const dukd = defaultMethodConfig('dukd', 'edsr', 4);
  const cases: [unknown, RegExp][] = [
    [null, /^method must be an object \(got null\)/],
    [{ kind: 'crosskd' }, /method\.kind must be one of 'scratch', 'kd', 'fakd', 'fitnet', 'at', 'csd', 'dukd', 'augkd', 'dckd' \(got "crosskd"\)/],
    [{ ...defaultMethodConfig('csd', 'edsr', 4), widthMult: 0 }, /method\.widthMult must be a number in \(0, 1\] \(got 0\)/],
    [{ ...dukd, augProb: 1.5 }, /method\.augProb must be a number in \[0, 1\] \(got 1\.5\)/],
    [{ ...dukd, recWeight: -1 }, /method\.recWeight must be a finite number >= 0 \(got -1\)/],
    [{ ...dukd, tiles: 0 }, /method\.tiles must be a positive integer \(got 0\)/],
    [{ ...dukd, updateMode: 'two' }, /method\.updateMode must be 'single' or 'twoStepAccumulate' \(got "two"\)/],
    [{ ...dukd, zoomin: true }, /method\.zoomin must be absent .*\(got true\)/],
    [{ kind: 'kd', recWeight: 1 }, /method\.kdWeight is missing/],
    [{ ...defaultMethodConfig('fakd', 'edsr', 2), taps: 'halves' }, /method\.taps must be 'thirds', 'dukd4' or \{ student, teacher \} \(got "halves"\)/],
    [{ ...defaultMethodConfig('fakd', 'edsr', 2), taps: { student: ['head'], teacher: ['head', 'body.0'] } }, /method\.taps\.teacher must be as long as method\.taps\.student \(1\)/],
    [{ ...dukd, invAug: 'yes' }, /method\.invAug must be true or false \(got "yes"\)/],
  ];
  it.each(cases)('rejects %j', (cfg, msg) => {
    expect(() => assertMethodConfig(cfg)).toThrow(msg);
  });

  it('buildMethod validates too', () => {
    expect(() => buildMethod({ ...dukd, augProb: -0.1 })).toThrow(/method\.augProb/);
  });

  it('every preset and smoke config is valid and builds', () => {
    for (const name of METHOD_PRESET_NAMES) {
      for (const arch of ARCHS) {
        const c = methodPreset(name, arch, 4);
        assertMethodConfig(c);
        expect(buildMethod(c).id).toBe(c.kind);
      }
    }
    expect(new Set(METHOD_SMOKE_CONFIGS.map((c) => c.config.kind))).toEqual(new Set(METHOD_KINDS));
  });

  it('Table 4 ablation presets set exactly the three switches', () => {
    const flags = (n: (typeof METHOD_PRESET_NAMES)[number]) => {
      const c = methodPreset(n, 'edsr', 4) as ReturnType<typeof defaultMethodConfig<'dukd'>>;
      return [c.zoomIn, c.zoomOut, c.invAug];
    };
    expect(flags('dukd-zi')).toEqual([true, false, false]);
    expect(flags('dukd-zo')).toEqual([false, true, false]);
    expect(flags('dukd-zi-zo')).toEqual([true, true, false]);
    expect(flags('dukd-zi-da')).toEqual([true, false, true]);
    expect(flags('dukd')).toEqual([true, true, true]);
    expect(flags('kd-dukd-weights')).toEqual([false, false, false]);
    expect(flags('dukd-full')).toEqual([true, true, true]);
    expect(methodPreset('dukd-full', 'rcan', 4)).toMatchObject({ recWeight: 1, kdWeight: 1, zoomIn: true, zoomOut: true, invAug: true, augProb: 0.3 });
    expect(methodPreset('dukd', 'rcan', 4)).toMatchObject({ zoomOut: false, invAug: false }); // RCAN x4 code setting
    expect(methodPreset('kd-dukd-weights', 'edsr', 4)).toMatchObject({ recWeight: 5, kdWeight: 1 }); // DUKD's EDSR weights; 'kd' is 1/1
    expect(methodPreset('dukd-geometric-da', 'edsr', 4)).toMatchObject({ colorInvert: false, invAug: true });
    expect(methodPreset('dukd-release', 'edsr', 4)).toMatchObject({ updateMode: 'twoStepAccumulate', legacyInverseOrder: true });
    expect(methodPreset('fakd-dukd-weights', 'edsr', 4)).toMatchObject({ recWeight: 1, kdWeight: 1, affinityWeight: 10, taps: 'dukd4', detachAffinity: false });
    expect(methodPreset('fakd-dukd-release', 'edsr', 4)).toMatchObject({ recWeight: 1, kdWeight: 1, affinityWeight: 10, taps: 'dukd4', detachAffinity: true });
    expect(methodPresetOptim('fakd-dukd-release', 'edsr')).toEqual({ milestones: [18750], gamma: 0.5, atTotalSteps: 250000 });
    expect(methodPresetOptim('fakd-dukd-release', 'rcan')).toBeNull(); // the release's RCAN FAKD config keeps the usual schedule
    expect(methodPresetOptim('fakd-dukd-weights', 'edsr')).toBeNull();
  });
});

describe('describeFormula', () => {
  it('prints the weighted sum of terms', () => {
    expect(describeFormula(defaultMethodConfig('scratch', 'edsr', 2))).toBe('total = 1·rec');
    expect(describeFormula(defaultMethodConfig('kd', 'edsr', 2))).toBe('total = 1·rec + 1·kd');
    expect(describeFormula(defaultMethodConfig('fakd', 'edsr', 2))).toBe('total = 0.5·rec + 0.5·kd + 0.03922·aff');
    expect(describeFormula(defaultMethodConfig('dukd', 'edsr', 4))).toBe('total = 5·rec + 1·kd + 1·zi + 5·zo_rec + 1·zo_kd');
    expect(describeFormula(defaultMethodConfig('dukd', 'rcan', 4))).toBe('total = 1·rec + 1·kd + 1·zi');
    expect(describeFormula(methodPreset('dukd-zo', 'edsr', 4))).toBe('total = 5·rec + 1·kd + 5·zo_rec + 1·zo_kd');
    expect(describeFormula({ ...defaultMethodConfig('augkd', 'edsr', 4), augkdWeight: 0.5 })).toBe('total = 5·rec + 1·kd + 0.5·zi + 5·zo_rec + 0.5·zo_kd');
    expect(describeFormula(methodPreset('fakd-augkd', 'edsr', 4))).toBe('total = 5·rec + 1·kd + 10·aff + 1·zi + 5·zo_rec + 1·zo_kd');
    expect(methodPreset('fakd-augkd', 'edsr', 4)).toMatchObject({ kind: 'augkd', fakd: { affinityWeight: 10, taps: 'dukd4' } });
    expect(defaultMethodConfig('augkd', 'edsr', 4).fakd).toBeNull();
    expect(() => assertMethodConfig({ ...defaultMethodConfig('augkd', 'edsr', 4), fakd: { affinityWeight: 10 } })).toThrow(/method\.fakd\.taps is missing/);
    expect(() => assertMethodConfig({ ...defaultMethodConfig('augkd', 'edsr', 4), fakd: 3 })).toThrow(/method\.fakd must be null or \{ affinityWeight, taps \} \(got 3\)/);
  });

  it('splits a two-step update', () => {
    expect(describeFormula(methodPreset('dukd-release', 'edsr', 4))).toBe(
      "step 1: total = 5·rec + 1·kd; step 2 (gradients accumulate): total = 1·zi + 5·zo_rec + 1·zo_kd",
    );
  });

  it('names the same terms as the built method, in the same groups', () => {
    for (const { config } of METHOD_SMOKE_CONFIGS) {
      const m = buildMethod(config);
      const names = describeFormula(config)
        .split(';')
        .map((part) => Array.from(part.matchAll(/·(\w+)/g), (x) => x[1]));
      expect(names).toEqual(m.termGroups.map((g) => [...g]));
    }
  });
});
