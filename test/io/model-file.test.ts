// The kit's model directory format: bit-exact round trips for every arch, atomic replacement, and errors that
// name the file and the bad key.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_JSON, WEIGHTS_BIN, loadModel, loadModelWeights, readModelMeta, saveModel } from '../../lib/io/model-file';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import type { Scale } from '../../lib/types';

const ARCHS: Array<[string, ArchConfig, Scale]> = [
  ['edsr', { arch: 'edsr', feats: 4, blocks: 1, resScale: 0.1 }, 4],
  ['rcan', { arch: 'rcan', feats: 8, groups: 1, blocks: 1, reduction: 4, resScale: 1 }, 3],
  ['swinir', { arch: 'swinir', embedDim: 6, depths: [2], heads: [2], windowSize: 4, mlpRatio: 2, upsampler: 'pixelshuffle', upsampleFeats: 8 }, 2],
];

let tmp = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'srkd-modelfile-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bits(net: SRNet): Map<string, number[]> {
  return new Map([...net.params].map(([k, v]) => [k, Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer))]));
}

describe('saveModel / loadModel', () => {
  it.each(ARCHS)('%s: bit-exact round trip, same forward', async (_n, arch, scale) => {
    const net = buildModel(arch, scale, { seed: 3 });
    // a weight with special values survives too
    const first = [...net.params.values()][0];
    tf.tidy(() => first.assign(tf.tensor(Float32Array.from(first.dataSync(), (v, i) => (i === 0 ? -0 : i === 1 ? 1e-42 : v)), first.shape)));
    const dir = path.join(tmp, `m-${arch.arch}`);
    try {
      const meta = await saveModel(net, dir, { extra: { note: 'test', step: 7 } });
      expect(fs.readdirSync(dir).sort()).toEqual([MODEL_JSON, WEIGHTS_BIN]);
      expect(meta.weights.map((w) => w.name)).toEqual([...net.params.keys()]);
      const { net: back, meta: read } = loadModel(dir);
      try {
        expect(read.arch).toEqual(arch);
        expect(read.scale).toBe(scale);
        expect(read.extra).toEqual({ note: 'test', step: 7 });
        expect(bits(back)).toEqual(bits(net));
        const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const a = tf.tidy(() => net.forward(x).out.dataSync());
        const b = tf.tidy(() => back.forward(x).out.dataSync());
        x.dispose();
        expect(Array.from(b)).toEqual(Array.from(a));
      } finally {
        back.dispose();
      }
    } finally {
      net.dispose();
    }
  });

  it('replaces an existing model atomically and leaves no temp files', async () => {
    const arch = ARCHS[0][1];
    const a = buildModel(arch, 4, { seed: 1 });
    const b = buildModel(arch, 4, { seed: 2 });
    const dir = path.join(tmp, 'replace', 'model');
    try {
      await saveModel(a, dir);
      await saveModel(b, dir);
      expect(fs.readdirSync(path.dirname(dir))).toEqual(['model']);
      const { net } = loadModel(dir);
      try {
        expect(bits(net)).toEqual(bits(b));
      } finally {
        net.dispose();
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('errors name the file and the bad key', async () => {
    const arch = ARCHS[0][1];
    const net = buildModel(arch, 4);
    const dir = path.join(tmp, 'bad');
    try {
      await saveModel(net, dir);
      const jsonFile = path.join(dir, MODEL_JSON);
      const good = fs.readFileSync(jsonFile, 'utf8');
      const edit = (f: (m: any) => void): void => {
        const m = JSON.parse(good);
        f(m);
        fs.writeFileSync(jsonFile, JSON.stringify(m));
      };
      edit((m) => { m.arch.feats = 0; });
      expect(() => readModelMeta(dir)).toThrow(`${jsonFile}: key 'arch': arch.feats must be a positive integer (got 0)`);
      edit((m) => { m.scale = 5; });
      expect(() => readModelMeta(dir)).toThrow(/model\.json: key 'scale'/);
      edit((m) => { m.version = 99; });
      expect(() => readModelMeta(dir)).toThrow(/model\.json: key 'version' 99 is not supported/);
      edit((m) => { m.weights[2].shape = [3, 3, 4, 5]; });
      expect(() => readModelMeta(dir)).toThrow(/weights\[3\] 'body\.0\.conv1\.bias': offset 1024, expected 1168/);
      edit((m) => { m.weights[1].name = 'conv_first.weight'; });
      expect(() => readModelMeta(dir)).toThrow("weights[1] 'conv_first.weight': duplicate name");
      fs.writeFileSync(jsonFile, good);

      const other = buildModel({ ...arch, feats: 8 } as ArchConfig, 4);
      try {
        expect(() => loadModelWeights(other, dir)).toThrow(/model\.json: holds .*"feats":4.* the model is .*"feats":8/);
      } finally {
        other.dispose();
      }

      const binFile = path.join(dir, WEIGHTS_BIN);
      const bin = fs.readFileSync(binFile);
      fs.writeFileSync(binFile, bin.subarray(0, bin.length - 8));
      expect(() => loadModel(dir)).toThrow(`${binFile}: ${bin.length - 8} bytes, but model.json says ${bin.length}`);
      const flipped = Buffer.from(bin);
      flipped[10] ^= 1;
      fs.writeFileSync(binFile, flipped);
      expect(() => loadModel(dir)).toThrow(/weights\.bin: SHA-256 .* does not match/);
      expect(() => loadModel(path.join(tmp, 'nowhere'))).toThrow(/nowhere\/model\.json: cannot read/);
    } finally {
      net.dispose();
    }
  });
});
