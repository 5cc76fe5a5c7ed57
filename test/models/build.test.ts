import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { archTaps, buildModel } from '../../lib/models/build';
import { analyticParams } from '../../lib/models/archs/index';
import { countParams } from '../../lib/models/complexity';
import { padLrForWindow } from '../../lib/models/swinir';
import type { ArchConfig, SRNet, SwinIRConfig } from '../../lib/models/types';
import { ZOO, ZOO_NAMES, zooArch } from '../../lib/models/zoo';
import type { Scale } from '../../lib/types';

const TINY_SWIN: SwinIRConfig = {
  arch: 'swinir',
  embedDim: 4,
  depths: [2],
  heads: [2],
  windowSize: 4,
  mlpRatio: 2,
  upsampler: 'pixelshuffle',
  upsampleFeats: 4,
};
const TINY: Record<string, ArchConfig> = {
  edsr: { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 },
  rcan: { arch: 'rcan', feats: 4, groups: 1, blocks: 1, reduction: 2, resScale: 1 },
  swinir: TINY_SWIN,
  swinirDirect: {
    arch: 'swinir',
    embedDim: 4,
    depths: [2],
    heads: [2],
    windowSize: 4,
    mlpRatio: 2,
    upsampler: 'pixelshuffledirect',
    upsampleFeats: 64,
  },
};
const SCALES: Scale[] = [2, 3, 4];

function withNet<T>(arch: ArchConfig, scale: Scale, seed: number, f: (net: SRNet) => T): T {
  const net = buildModel(arch, scale, { seed });
  try {
    return f(net);
  } finally {
    net.dispose();
  }
}

const lrOf = (h: number, w: number, seed = 7): tf.Tensor4D => tf.randomUniform([1, h, w, 3], 0, 1, 'float32', seed) as tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('output shapes', () => {
  for (const [name, arch] of Object.entries(TINY)) {
    for (const scale of SCALES) {
      it(`${name} x${scale}`, () => {
        withNet(arch, scale, 0, (net) => {
          expect(net.scale).toBe(scale);
          expect(countParams(net)).toBe(analyticParams(arch, scale));
          tf.tidy(() => {
            const { out, features } = net.forward(tf.concat([lrOf(8, 12), lrOf(8, 12, 8)]) as tf.Tensor4D);
            expect(out.shape).toEqual([2, 8 * scale, 12 * scale, 3]);
            expect(Object.keys(features)).toEqual([]);
            expect(Number.isFinite(tf.sum(out).dataSync()[0])).toBe(true);
          });
        });
      });
    }
  }
});

describe('parameter keys (BasicSR state_dict names, HWIO / [in, out] layout)', () => {
  it('EDSR x4', () => {
    withNet(TINY.edsr, 4, 0, (net) => {
      expect([...net.params.keys()]).toEqual([
        'conv_first.weight', 'conv_first.bias', 'body.0.conv1.weight', 'body.0.conv1.bias', 'body.0.conv2.weight',
        'body.0.conv2.bias', 'conv_after_body.weight', 'conv_after_body.bias', 'upsample.0.weight', 'upsample.0.bias',
        'upsample.2.weight', 'upsample.2.bias', 'conv_last.weight', 'conv_last.bias',
      ]);
      expect(net.params.get('conv_first.weight')!.shape).toEqual([3, 3, 3, 4]);
      expect(net.params.get('upsample.0.weight')!.shape).toEqual([3, 3, 4, 16]);
    });
  });
  it('RCAN x3', () => {
    withNet(TINY.rcan, 3, 0, (net) => {
      const keys = [...net.params.keys()];
      expect(keys).toContain('body.0.residual_group.0.rcab.3.attention.1.weight');
      expect(keys).toContain('body.0.residual_group.0.rcab.3.attention.3.bias');
      expect(keys).toContain('body.0.conv.weight');
      expect(net.params.get('body.0.residual_group.0.rcab.3.attention.1.weight')!.shape).toEqual([1, 1, 4, 2]);
      expect(net.params.get('upsample.0.weight')!.shape).toEqual([3, 3, 4, 36]);
      expect(keys).not.toContain('upsample.2.weight');
    });
  });
  it('SwinIR x2', () => {
    withNet(TINY.swinir, 2, 0, (net) => {
      const p = (k: string): number[] => net.params.get(k)!.shape;
      expect(p('layers.0.residual_group.blocks.1.attn.relative_position_bias_table')).toEqual([49, 2]);
      expect(p('layers.0.residual_group.blocks.0.attn.qkv.weight')).toEqual([4, 12]);
      expect(p('layers.0.residual_group.blocks.0.mlp.fc1.weight')).toEqual([4, 8]);
      expect(p('patch_embed.norm.weight')).toEqual([4]);
      expect(p('conv_before_upsample.0.weight')).toEqual([3, 3, 4, 4]);
      expect([...net.params.keys()].slice(0, 5)).toEqual([
        'conv_first.weight', 'conv_first.bias', 'patch_embed.norm.weight', 'patch_embed.norm.bias',
        'layers.0.residual_group.blocks.0.norm1.weight',
      ]);
      expect(Array.from(net.params.get('layers.0.residual_group.blocks.0.norm1.weight')!.dataSync())).toEqual([1, 1, 1, 1]);
    });
    withNet(TINY.swinirDirect, 3, 0, (net) => {
      expect(net.params.get('upsample.0.weight')!.shape).toEqual([3, 3, 4, 27]);
      expect(net.params.has('conv_last.weight')).toBe(false);
    });
  });
});

describe('gradients reach every variable', () => {
  for (const [name, arch] of Object.entries(TINY)) {
    it(name, () => {
      withNet(arch, 2, 1, (net) => {
        const vars = [...net.params.values()];
        tf.tidy(() => {
          const lr = lrOf(8, 8);
          const target = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 9);
          const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(net.forward(lr).out, target))) as tf.Scalar, vars);
          expect(Number.isFinite(value.dataSync()[0])).toBe(true);
          for (const [key, v] of net.params) {
            const g = grads[v.name];
            expect(g, key).toBeDefined();
            expect(g.shape, key).toEqual(v.shape);
            const s = tf.sum(tf.abs(g)).dataSync()[0];
            expect(Number.isFinite(s) && s > 0, `${key} grad sum ${s}`).toBe(true);
          }
        });
      });
    });
  }
});

describe('gradients agree with finite differences (directional derivative)', () => {
  for (const name of ['swinir', 'rcan', 'edsr']) {
    it(name, () => {
      withNet(TINY[name], 2, 4, (net) => {
        const vars = [...net.params.values()];
        const lr = lrOf(8, 8);
        const target = tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 10);
        const loss = (): tf.Scalar => tf.tidy(() => tf.mean(tf.square(tf.sub(net.forward(lr).out, target))) as tf.Scalar);
        const dirs = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i));
        const { value, grads } = tf.variableGrads(loss, vars);
        const analytic = vars.reduce((acc, v, i) => acc + tf.sum(tf.mul(grads[v.name], dirs[i])).dataSync()[0], 0);
        const originals = vars.map((v) => v.clone());
        const at = (eps: number): number => {
          vars.forEach((v, i) => v.assign(tf.tidy(() => tf.add(originals[i], tf.mul(dirs[i], eps)))));
          const l = loss();
          const out = l.dataSync()[0];
          l.dispose();
          return out;
        };
        const eps = 1e-3;
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        vars.forEach((v, i) => v.assign(originals[i]));
        expect(Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(analytic))).toBeLessThan(2e-2);
        tf.dispose([lr, target, dirs, value, grads, originals]);
      });
    });
  }
});

describe('seeding', () => {
  it('same seed gives bit-identical weights; another seed differs', () => {
    for (const arch of Object.values(TINY)) {
      const a = buildModel(arch, 4, { seed: 5 });
      const b = buildModel(arch, 4, { seed: 5 });
      const c = buildModel(arch, 4, { seed: 6 });
      try {
        for (const [k, v] of a.params) {
          expect(Array.from(b.params.get(k)!.dataSync()), k).toEqual(Array.from(v.dataSync()));
        }
        expect(Array.from(c.params.get('conv_first.weight')!.dataSync())).not.toEqual(
          Array.from(a.params.get('conv_first.weight')!.dataSync()),
        );
      } finally {
        a.dispose();
        b.dispose();
        c.dispose();
      }
    }
  });

  it('conv init is uniform within 1/sqrt(fan_in)', () => {
    withNet({ arch: 'edsr', feats: 16, blocks: 1, resScale: 1 }, 2, 0, (net) => {
      const w = net.params.get('body.0.conv1.weight')!.dataSync();
      const bound = 1 / Math.sqrt(16 * 9);
      expect(Math.max(...w)).toBeLessThanOrEqual(bound);
      expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
      expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    });
  });
});

describe('taps', () => {
  it('EDSR / RCAN / SwinIR list and return the documented taps with NHWC shapes', () => {
    const cases: [ArchConfig, string[], number][] = [
      [{ arch: 'edsr', feats: 4, blocks: 2, resScale: 0.1 }, ['head', 'body.0', 'body.1', 'body.out'], 4],
      [{ arch: 'rcan', feats: 4, groups: 2, blocks: 1, reduction: 4, resScale: 1 }, ['head', 'body.0', 'body.1', 'body.out'], 4],
      [{ ...TINY_SWIN, depths: [1, 1], heads: [2, 1] }, ['head', 'body.0', 'body.1', 'body.out'], 4],
    ];
    for (const [arch, taps, c] of cases) {
      withNet(arch, 2, 0, (net) => {
        expect(net.taps).toEqual(taps);
        expect(archTaps(arch)).toEqual(taps);
        tf.tidy(() => {
          const { features } = net.forward(lrOf(8, 8), { taps: ['body.1', 'head'] });
          expect(Object.keys(features).sort()).toEqual(['body.1', 'head']);
          expect(features.head.shape).toEqual([1, 8, 8, c]);
          const all = net.forward(lrOf(8, 8), { taps }).features;
          for (const t of taps) expect(all[t].shape).toEqual([1, 8, 8, c]);
        });
        expect(() => net.forward(lrOf(8, 8), { taps: ['body.9'] })).toThrow(/unknown tap 'body.9'/);
      });
    }
  });

  it('forward frees its intermediates and dispose frees the weights', () => {
    const start = tf.memory().numTensors;
    for (const arch of Object.values(TINY)) {
      const net = buildModel(arch, 3);
      const lr = lrOf(6, 10);
      const before = tf.memory().numTensors;
      const { out, features } = net.forward(lr, { taps: net.taps });
      expect(tf.memory().numTensors).toBe(before + 1 + net.taps.length);
      tf.dispose([out, features, lr]);
      net.dispose();
      net.dispose(); // idempotent
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('SwinIR padding to the window size', () => {
  const arch: ArchConfig = { ...TINY_SWIN, windowSize: 8 };

  it('pads 10 x 13 to 16 x 16 (reflect) and crops the output to 10s x 13s', () => {
    withNet(arch, 2, 3, (net) => {
      tf.tidy(() => {
        const lr = lrOf(10, 13);
        const { out, features } = net.forward(lr, { taps: ['head', 'body.0', 'body.out'] });
        expect(out.shape).toEqual([1, 20, 26, 3]);
        expect(features['body.0'].shape).toEqual([1, 10, 13, 4]);
        const padded = padLrForWindow(lr, 8);
        expect(padded.shape).toEqual([1, 16, 16, 3]);
        const full = net.forward(padded).out;
        expect(full.shape).toEqual([1, 32, 32, 3]);
        const crop = tf.slice(full, [0, 0, 0, 0], [1, 20, 26, 3]);
        expect(tf.max(tf.abs(tf.sub(crop, out))).dataSync()[0]).toBeLessThan(1e-6);
        // the padding is not a no-op: zero padding gives a different result near the border
        const zeroPadded = tf.pad(lr, [[0, 0], [0, 6], [0, 3], [0, 0]]) as tf.Tensor4D;
        const z = tf.slice(net.forward(zeroPadded).out, [0, 0, 0, 0], [1, 20, 26, 3]);
        expect(tf.max(tf.abs(tf.sub(z, out))).dataSync()[0]).toBeGreaterThan(1e-4);
      });
    });
  });

  it('works at x3 / x4 for non-square odd sizes and leaves multiples of 8 unpadded', () => {
    withNet(arch, 3, 3, (net) => {
      tf.tidy(() => {
        expect(net.forward(lrOf(9, 15)).out.shape).toEqual([1, 27, 45, 3]);
      });
    });
    withNet(arch, 4, 3, (net) => {
      tf.tidy(() => {
        expect(net.forward(lrOf(11, 8)).out.shape).toEqual([1, 44, 32, 3]);
        const lr = lrOf(8, 16);
        expect(padLrForWindow(lr, 8)).toBe(lr);
      });
    });
  });
});

describe('config validation', () => {
  it('names the key and value', () => {
    expect(() => buildModel({ arch: 'edsr', feats: 0, blocks: 1, resScale: 1 }, 2)).toThrow(
      'arch.feats must be a positive integer (got 0)',
    );
    expect(() => buildModel({ arch: 'rcan', feats: 8, groups: 1, blocks: 1.5, reduction: 2, resScale: 1 }, 2)).toThrow(
      'arch.blocks must be a positive integer (got 1.5)',
    );
    expect(() => buildModel({ ...TINY_SWIN, heads: [3] }, 2)).toThrow(
      'arch.heads[0] must be a divisor of arch.embedDim (4) (got 3)',
    );
    expect(() => buildModel({ ...TINY_SWIN, heads: [2, 2] }, 2)).toThrow(/arch.heads must be an array as long as arch.depths/);
    expect(() => buildModel({ ...TINY_SWIN, upsampler: 'nearest' } as unknown as ArchConfig, 2)).toThrow(/arch.upsampler/);
    expect(() => buildModel({ arch: 'vdsr' } as unknown as ArchConfig, 2)).toThrow(`arch.arch must be one of 'edsr', 'rcan', 'swinir' (got "vdsr")`);
    expect(() => buildModel(TINY.edsr, 5 as Scale)).toThrow('scale must be one of 2, 3, 4 (got 5)');
    expect(() => buildModel(TINY.edsr, 2, { seed: 0.5 })).toThrow('seed must be an integer (got 0.5)');
    expect(() => zooArch('edsr-huge')).toThrow(/unknown model 'edsr-huge'; known: edsr-teacher/);
  });

  it('zoo configs are plain JSON and valid', () => {
    for (const name of ZOO_NAMES) {
      const arch = zooArch(name);
      expect(JSON.parse(JSON.stringify(arch))).toEqual(arch);
      expect(analyticParams(arch, 4)).toBe(ZOO[name].exact[4].params);
    }
  });
});
