// loadPretrained / inferArchFromCheckpoint on the shared fixtures (spec/checkpoints.md §5-6): every network
// fixture loads into a kit net of its configuration and reproduces the stored outputs; misfits are named.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../shared';
import { PretrainedLoadError, inferArchFromCheckpoint, loadPretrained } from '../../lib/io/pretrained';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';

const VECTORS = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'checkpoint_fixtures.json'), 'utf8'));
const fixture = (name: string): string => sharedPath('data', 'fixtures', name);

const EDSR: ArchConfig = { arch: 'edsr', feats: 8, blocks: 2, resScale: 0.1 };
const RCAN: ArchConfig = { arch: 'rcan', feats: 16, groups: 2, blocks: 2, reduction: 4, resScale: 1 };
const SWINIR: ArchConfig = {
  arch: 'swinir', embedDim: 12, depths: [2, 2], heads: [2, 3], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64,
};

/** The JSON's configuration in the kit's terms (checked against the JSON, so the test follows the fixture). */
function kitConfig(name: 'tiny_edsr' | 'tiny_rcan' | 'tiny_swinir'): { arch: ArchConfig; scale: Scale } {
  const c = VECTORS[name].config;
  if (c.arch === 'EDSR') return { arch: { arch: 'edsr', feats: c.num_feat, blocks: c.num_block, resScale: c.res_scale }, scale: c.upscale };
  if (c.arch === 'RCAN') {
    return {
      arch: { arch: 'rcan', feats: c.num_feat, groups: c.num_group, blocks: c.num_block, reduction: c.squeeze_factor, resScale: c.res_scale },
      scale: c.upscale,
    };
  }
  return {
    arch: {
      arch: 'swinir', embedDim: c.embed_dim, depths: c.depths, heads: c.num_heads, windowSize: c.window_size, mlpRatio: c.mlp_ratio,
      upsampler: c.upsampler, upsampleFeats: c.num_feat,
    },
    scale: c.upscale,
  };
}

function maxDiff(net: SRNet, input: number[], shape: number[], expected: number[]): number {
  return tf.tidy(() => {
    const x = tf.transpose(tf.tensor4d(input, shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
    const y = tf.transpose(net.forward(x).out, [0, 3, 1, 2]);
    expect(y.shape).toEqual(shape.map((d, i) => (i >= 2 ? d * net.scale : d)));
    return tf.max(tf.abs(tf.sub(y, tf.tensor(expected, y.shape)))).dataSync()[0];
  });
}

let tmp = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-pretrained-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const CASES: Array<[string, 'tiny_edsr' | 'tiny_rcan' | 'tiny_swinir', string]> = [
  ['EDSR BasicSR (zip, params)', 'tiny_edsr', 'tiny_edsr_basicsr_x2_zip.pth'],
  ['EDSR-PyTorch official (legacy)', 'tiny_edsr', 'tiny_edsr_official_x2_legacy.pt'],
  ['RCAN official (legacy)', 'tiny_rcan', 'tiny_rcan_official_x3_legacy.pt'],
  ['SwinIR (zip, params)', 'tiny_swinir', 'tiny_swinir_x2_zip.pth'],
];

describe('loadPretrained on the fixtures', () => {
  it('the JSON configurations are the ones this test spells out', () => {
    expect(kitConfig('tiny_edsr')).toEqual({ arch: EDSR, scale: 2 });
    expect(kitConfig('tiny_rcan')).toEqual({ arch: RCAN, scale: 3 });
    expect(kitConfig('tiny_swinir')).toEqual({ arch: SWINIR, scale: 2 });
  });

  it.each(CASES)('%s reproduces the stored outputs', (_label, vec, file) => {
    const { arch, scale } = kitConfig(vec);
    const net = buildModel(arch, scale, { seed: 1 });
    try {
      const report = loadPretrained(net, fixture(file));
      expect(report.loaded).toEqual([...net.params.keys()]);
      expect(report.missing).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.mismatched).toEqual([]);
      expect(report.fileScale).toBe(scale);
      const v = VECTORS[vec];
      expect(maxDiff(net, v.input, v.input_shape, v.output)).toBeLessThan(1e-4);
      if (v.input2) expect(maxDiff(net, v.input2, v.input2_shape, v.output2)).toBeLessThan(1e-4);
    } finally {
      net.dispose();
    }
  });

  it('reports layout, wrapper path and dropped buffers', () => {
    const net = buildModel(EDSR, 2);
    try {
      const official = loadPretrained(net, fixture('tiny_edsr_official_x2_legacy.pt'));
      expect(official.format).toBe('legacy');
      expect(official.layout).toBe('edsr-official');
      expect(official.statePath).toEqual([]);
      expect(official.dropped).toEqual(expect.arrayContaining(['sub_mean.weight', 'sub_mean.bias', 'add_mean.weight', 'add_mean.bias']));
      const basicsr = loadPretrained(net, fixture('tiny_edsr_basicsr_x2_zip.pth'), { key: 'params_ema' }); // falls back to params
      expect(basicsr.layout).toBe('basicsr');
      expect(basicsr.statePath).toEqual(['params']);
    } finally {
      net.dispose();
    }
    const swin = buildModel(SWINIR, 2);
    try {
      const r = loadPretrained(swin, fixture('tiny_swinir_x2_zip.pth'), { key: 'params' });
      expect(r.dropped.some((k) => k.endsWith('attn_mask'))).toBe(true);
      expect(r.dropped.some((k) => k.endsWith('relative_position_index'))).toBe(true);
    } finally {
      swin.dispose();
    }
  });

  it('a wrapper without the requested key is an error naming it', () => {
    const net = buildModel(EDSR, 2);
    try {
      expect(() => loadPretrained(net, fixture('tiny_edsr_basicsr_x2_zip.pth'), { key: 'state_dict' })).toThrow(/no 'state_dict' entry.*'params'/);
    } finally {
      net.dispose();
    }
  });
});

describe('inferArchFromCheckpoint', () => {
  it.each(CASES)('%s', (_label, vec, file) => {
    const { arch, scale } = kitConfig(vec);
    const got = inferArchFromCheckpoint(fixture(file));
    expect(got.scale).toBe(scale);
    expect(got.arch).toEqual(arch);
  });
});

describe('misfits are named before failing', () => {
  it('wrong scale: x2 file into an x4 model names both scales and lists the missing upsampler', () => {
    const net = buildModel(EDSR, 4);
    const before = net.params.get('conv_first.weight')!.dataSync().slice();
    try {
      let err: PretrainedLoadError | null = null;
      try {
        loadPretrained(net, fixture('tiny_edsr_basicsr_x2_zip.pth'));
      } catch (e) {
        err = e as PretrainedLoadError;
      }
      expect(err).toBeInstanceOf(PretrainedLoadError);
      expect(err!.message).toContain('file has upsample.0.weight [3,3,8,32] = x2 pixel shuffle; the model is x4');
      expect(err!.missing).toEqual(['upsample.2.weight', 'upsample.2.bias']);
      expect(err!.message).toMatch(/missing in file \(2\)/);
      expect(err!.message).toMatch(/unexpected in file \(0\)/);
      expect(err!.message).toMatch(/wrong shape \(0\)/);
      // nothing assigned on a failed strict load
      expect(Array.from(net.params.get('conv_first.weight')!.dataSync())).toEqual(Array.from(before));
    } finally {
      net.dispose();
    }
  });

  it('wrong scale x3 file into an x2 model: wrong-shape upsampler', () => {
    const net = buildModel(RCAN, 2);
    try {
      expect(() => loadPretrained(net, fixture('tiny_rcan_official_x3_legacy.pt'))).toThrow(
        /upsample\.0\.weight \[3,3,16,144\] = x3 pixel shuffle; the model is x2[\s\S]*wrong shape \(2\):[\s\S]*upsample\.0\.weight: file \[3,3,16,144\], model \[3,3,16,64\]/,
      );
    } finally {
      net.dispose();
    }
  });

  it('non-strict: the fitting tensors are loaded, the rest reported (DUKD x2 -> x4 init)', () => {
    const net = buildModel(EDSR, 4);
    try {
      const r = loadPretrained(net, fixture('tiny_edsr_basicsr_x2_zip.pth'), { strict: false });
      expect(r.missing).toEqual(['upsample.2.weight', 'upsample.2.bias']);
      expect(r.loaded).toHaveLength(net.params.size - 2);
      expect(r.fileScale).toBe(2);
    } finally {
      net.dispose();
    }
  });

  it('wrong architecture family', () => {
    const net = buildModel(EDSR, 3);
    try {
      expect(() => loadPretrained(net, fixture('tiny_rcan_official_x3_legacy.pt'))).toThrow(
        'file looks like RCAN (residual_group keys); the model is EDSR',
      );
    } finally {
      net.dispose();
    }
    const swin = buildModel(SWINIR, 2);
    try {
      expect(() => loadPretrained(swin, fixture('tiny_edsr_official_x2_legacy.pt'))).toThrow(/file looks like EDSR.*the model is SwinIR/);
    } finally {
      swin.dispose();
    }
  });

  it('wrong width / depth: all three lists and the hyper-parameter difference', () => {
    const net = buildModel({ arch: 'edsr', feats: 4, blocks: 3, resScale: 0.1 }, 2);
    try {
      let msg = '';
      try {
        loadPretrained(net, fixture('tiny_edsr_official_x2_legacy.pt'));
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toContain('file looks like EDSR feats=8 blocks=2; the model is EDSR feats=4 blocks=3');
      expect(msg).toMatch(/missing in file \(4\):[\s\S]*body\.2\.conv1\.weight/);
      expect(msg).toMatch(/wrong shape \(\d+\):[\s\S]*conv_first\.weight: file \[3,3,3,8\], model \[3,3,3,4\]/);
      const swin = buildModel({ ...SWINIR, heads: [3, 3] } as ArchConfig, 2);
      try {
        expect(() => loadPretrained(swin, fixture('tiny_swinir_x2_zip.pth'))).toThrow(/heads \[2,3\] vs \[3,3\][\s\S]*relative_position_bias_table: file \[49,2\], model \[49,3\]/);
      } finally {
        swin.dispose();
      }
    } finally {
      net.dispose();
    }
  });

  it('truncated and non-checkpoint files fail naming the file', () => {
    const full = fs.readFileSync(fixture('tiny_edsr_official_x2_legacy.pt'));
    const cut = path.join(tmp, 'cut_legacy.pt');
    fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.6)));
    const zipFull = fs.readFileSync(fixture('tiny_edsr_basicsr_x2_zip.pth'));
    const cutZip = path.join(tmp, 'cut_zip.pth');
    fs.writeFileSync(cutZip, zipFull.subarray(0, zipFull.length - 100));
    const junk = path.join(tmp, 'junk.pt');
    fs.writeFileSync(junk, 'hello');
    const net = buildModel(EDSR, 2);
    try {
      for (const f of [cut, cutZip, junk, path.join(tmp, 'absent.pt')]) {
        expect(() => loadPretrained(net, f)).toThrow(f);
      }
    } finally {
      net.dispose();
    }
  });
});
