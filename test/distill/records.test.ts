// The METHODS and ARCHS tables: each record agrees with what it builds (teacher flag, term groups and weights
// against the terms the built method returns; taps and parameter counts against a built network).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildMethod, METHOD_KINDS, METHOD_SMOKE_CONFIGS, methodSpec } from '../../lib/distill/methods';
import { termGroupsOf, termWeights } from '../../lib/distill/method-spec';
import { fullBatchContext } from '../../lib/distill/method';
import { ARCH_NAMES, ARCHS } from '../../lib/models/archs/index';
import { buildModel } from '../../lib/models/build';
import { countParams } from '../../lib/models/complexity';
import { l1 } from '../../lib/losses/pixel';
import { slimEdsrForward } from '../../lib/models/csd-edsr';

const SMALL = {
  edsr: { arch: 'edsr', feats: 4, blocks: 2, resScale: 1 },
  rcan: { arch: 'rcan', feats: 4, groups: 2, blocks: 1, reduction: 2, resScale: 1 },
  swinir: { arch: 'swinir', embedDim: 6, depths: [1, 1], heads: [1, 2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 4 },
} as const;

describe('METHODS', () => {
  it('every record is keyed by its kind and every kind has smoke configs', () => {
    for (const k of METHOD_KINDS) expect(methodSpec(k).kind).toBe(k);
    expect(new Set(METHOD_SMOKE_CONFIGS.map((c) => c.config.kind))).toEqual(new Set(METHOD_KINDS));
    expect(() => methodSpec('csd-typo')).toThrow(/method.kind must be one of 'scratch', 'kd', 'fakd', 'fitnet', 'at', 'csd', 'dukd', 'augkd', 'dckd' \(got "csd-typo"\)/);
  });

  it.each(METHOD_SMOKE_CONFIGS.map((c) => [c.name, c.config] as const))('%s: the built method matches its record', (_name, cfg) => {
    const spec = methodSpec(cfg.kind);
    const method = buildMethod(cfg);
    expect(method.requiresTeacher).toBe(spec.needsTeacher);
    // a batch-coupled method must give the engines its share statistics (they all-reduce them)
    expect(typeof method.shareStats === 'function').toBe(spec.batchCoupled);
    expect(method.termGroups).toEqual(termGroupsOf(spec.formula(cfg)));
    // The printed weight is the applied weight: with student = teacher-free scratch nets, rec must equal w·L1(S(x), y).
    const student = buildModel(SMALL.edsr, 2, { seed: 1 });
    const teacher = buildModel(SMALL.edsr, 2, { seed: 2 });
    const hr = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const lr = tf.image.resizeBilinear(hr, [8, 8]) as tf.Tensor4D;
    const nets = { student, teacher, aux: {} };
    method.init?.(nets);
    const prep = method.prepare({ lr, hr }, nets, fullBatchContext(0, 0, 2));
    try {
      const [rec, expected] = tf.tidy(() => {
        const terms = method.terms(nets, { lr, hr }, prep);
        // CSD's student is the width-w slice of the shared weights (the teacher network)
        const sr = cfg.kind === 'csd' ? slimEdsrForward(teacher, lr, cfg.widthMult) : student.forward(lr).out;
        return [terms.rec.dataSync()[0], termWeights(spec.formula(cfg)).rec * l1(sr, hr).dataSync()[0]];
      });
      expect(rec).toBeCloseTo(expected, 6);
    } finally {
      tf.dispose([prep, lr, hr]);
      method.dispose?.();
      student.dispose();
      teacher.dispose();
    }
  });
});

describe('ARCHS', () => {
  it.each(ARCH_NAMES)('%s: taps and analytic parameters match a built network', (name) => {
    const spec = ARCHS[name];
    expect(spec.name).toBe(name);
    const cfg = SMALL[name] as never;
    for (const scale of [2, 3, 4] as const) {
      const net = buildModel(cfg, scale);
      try {
        expect(spec.taps(cfg)).toEqual(net.taps);
        expect(spec.complexity(cfg, scale, 8, 8).params).toBe(countParams(net));
        expect(spec.bodyUnits(cfg)).toBe(net.taps.filter((t) => /^body\.\d+$/.test(t)).length);
      } finally {
        net.dispose();
      }
    }
  });
});
