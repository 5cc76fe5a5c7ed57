// TF.js LayersModel export: the exported model, loaded back by plain tf.loadLayersModel with the srkd layers
// registered, reproduces the kit net's forward pass (EDSR, RCAN, SwinIR).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportTfjs, tfjsDirLoader, toLayersModel } from '../../lib/io/export-tfjs';
import '../../lib/io/tfjs-layers';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import { loadPretrained } from '../../lib/io/pretrained';
import { sharedPath } from '../shared';
import type { Scale } from '../../lib/types';

const CASES: Array<[string, ArchConfig, Scale, [number, number]]> = [
  ['edsr x4 (res_scale 0.1)', { arch: 'edsr', feats: 4, blocks: 2, resScale: 0.1 }, 4, [5, 6]],
  ['edsr x3 (res_scale 1)', { arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, 3, [4, 4]],
  ['rcan x2', { arch: 'rcan', feats: 8, groups: 2, blocks: 1, reduction: 4, resScale: 1 }, 2, [6, 5]],
  ['swinir x2 pixelshuffle (padded 10x7 input)', {
    arch: 'swinir', embedDim: 6, depths: [2, 2], heads: [2, 3], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8,
  }, 2, [10, 7]],
  ['swinir x3 pixelshuffledirect', {
    arch: 'swinir', embedDim: 6, depths: [2], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffledirect', upsampleFeats: 64,
  }, 3, [8, 8]],
];

/** Adds seeded noise to every parameter. */
function perturb(net: SRNet): void {
  let seed = 100;
  for (const v of net.params.values()) {
    tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', seed++))));
  }
}

let tmp = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-tfjs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('exportTfjs', () => {
  it.each(CASES)('%s: saved, reloaded, same output to 1e-5', async (name, arch, scale, [h, w]) => {
    const net = buildModel(arch, scale, { seed: 5 });
    perturb(net); // non-default LayerNorm affine params etc., so a weight put in the wrong slot shows
    const dir = path.join(tmp, name.replace(/\W+/g, '_'));
    try {
      const res = await exportTfjs(net, dir, { shardBytes: 4096 });
      expect(res.files[0]).toBe('model.json');
      expect(fs.readdirSync(dir).sort()).toEqual([...res.files].sort()); // no temp files left
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      expect(json.format).toBe('layers-model');
      expect(json.userDefinedMetadata.srkd).toEqual({ ...json.userDefinedMetadata.srkd, arch, scale });

      const model = await tf.loadLayersModel(tfjsDirLoader(dir));
      try {
        const x = tf.randomUniform([2, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
        const before = tf.memory().numTensors;
        const diff = tf.tidy(() => {
          const want = net.forward(x).out;
          const got = model.predict(x) as tf.Tensor4D;
          expect(got.shape).toEqual([2, h * scale, w * scale, 3]);
          return tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
        });
        expect(tf.memory().numTensors).toBe(before);
        x.dispose();
        expect(diff).toBeLessThan(1e-5);
      } finally {
        model.dispose();
      }
    } finally {
      net.dispose();
    }
  });

  it('in-memory round trip through tf.io.fromMemory, weights copied (later training does not leak in)', async () => {
    const net = buildModel({ arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 }, 2, { seed: 1 });
    try {
      const model = toLayersModel(net);
      let artifacts: tf.io.ModelArtifacts | null = null;
      await model.save(tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }));
      model.dispose();
      const x = tf.randomUniform([1, 4, 4, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const want = tf.tidy(() => net.forward(x).out);
      const v = net.params.get('conv_first.weight')!;
      tf.tidy(() => v.assign(tf.zerosLike(v)));
      const back = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
      const got = back.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([x, want, got]);
      back.dispose();
    } finally {
      net.dispose();
    }
  });

  it('a pretrained fixture (tiny SwinIR) exported and reloaded reproduces the stored PyTorch outputs', async () => {
    const vectors = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'checkpoint_fixtures.json'), 'utf8'));
    const v = vectors.tiny_swinir;
    const net = buildModel({
      arch: 'swinir', embedDim: 12, depths: [2, 2], heads: [2, 3], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 64,
    }, 2);
    const dir = path.join(tmp, 'fixture_swinir');
    try {
      loadPretrained(net, sharedPath('data', 'fixtures', 'tiny_swinir_x2_zip.pth'));
      await exportTfjs(net, dir);
    } finally {
      net.dispose();
    }
    const model = await tf.loadLayersModel(tfjsDirLoader(dir));
    try {
      for (const [input, shape, output] of [[v.input, v.input_shape, v.output], [v.input2, v.input2_shape, v.output2]]) {
        const diff = tf.tidy(() => {
          const x = tf.transpose(tf.tensor4d(input, shape), [0, 2, 3, 1]);
          const y = tf.transpose(model.predict(x) as tf.Tensor4D, [0, 3, 1, 2]);
          return tf.max(tf.abs(tf.sub(y, tf.tensor(output, y.shape)))).dataSync()[0];
        });
        expect(diff).toBeLessThan(1e-4);
      }
    } finally {
      model.dispose();
    }
  });
});
