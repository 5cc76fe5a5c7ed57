// The frozen VQGAN encoder (DCKD's vqgan_arch.py) against the PyTorch outputs stored in aux_expected.pt.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUX_JSON, auxFixture, auxNhwc, auxTensor, relMaxError } from '../../aux-fixtures';
import { initBackend } from '../../../lib/backend/index';
import { loadVqgan } from '../../../lib/io/frozen-nets';
import type { KitWeights } from '../../../lib/io/weight-maps/basicsr';
import {
  DCKD_VQGAN_CONFIG, SMOKE_VQGAN_CONFIG, type VqganConfig, type VqganEncoder, attentionLevels, inferVqganConfig, randomVqgan, vqganFromWeights,
} from '../../../lib/models/features/vqgan-encoder';

const DD = AUX_JSON.vqgan.ddconfig;
const FIXTURE_CONFIG: VqganConfig = {
  inChannels: DD.in_channels, ch: DD.ch, chMult: DD.ch_mult, numResBlocks: DD.num_res_blocks, attnResolutions: DD.attn_resolutions,
  resolution: DD.resolution, zChannels: DD.z_channels, embedDim: AUX_JSON.vqgan.embed_dim, nEmbed: AUX_JSON.vqgan.n_embed,
};

let vq: VqganEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm', announce: false }); // the kit's training backend (XNNPACK + kit kernels)
  vq = loadVqgan(auxFixture('tiny_vqgan_f16_lightning.ckpt')).net;
});
afterAll(() => vq.dispose());

describe('VQGAN encoder', () => {
  it('infers the fixture config from the checkpoint shapes (attention at level 4 = resolution 16 of 256)', () => {
    expect(vq.config).toEqual(FIXTURE_CONFIG);
    expect(SMOKE_VQGAN_CONFIG).toEqual(FIXTURE_CONFIG);
    expect(vq.attnLevels).toEqual([4]);
    expect(attentionLevels(DCKD_VQGAN_CONFIG)).toEqual([4]);
  });

  it('get_feas maps equal the stored PyTorch tensors to 1e-4', () => {
    const feats = vq.features(auxNhwc('vqgan_input'));
    try {
      expect(feats).toHaveLength(5);
      feats.forEach((f, i) => {
        const want = auxNhwc(`vqgan_fea${i + 1}`);
        expect(relMaxError(f, want), `fea${i + 1}`).toBeLessThan(1e-4);
        want.dispose();
      });
    } finally {
      tf.dispose(feats);
    }
  });

  it('the code distribution (softmax over -||z - e_k||^2, rows = batch, row, column) equals the stored one to 1e-4', () => {
    const got = vq.codeDistribution(auxNhwc('vqgan_input'));
    const t = auxTensor('vqgan_code_softmax');
    const want = tf.tensor2d(t.data as Float32Array, t.shape as [number, number]);
    expect(relMaxError(got, want)).toBeLessThan(1e-4);
    const rowSums = tf.sum(got, 1);
    for (const s of rowSums.dataSync()) expect(s).toBeCloseTo(1, 5);
    tf.dispose([got, want, rowSums]);
  });

  it('attention placement follows the config resolution, never the input size', () => {
    expect(attentionLevels({ ...FIXTURE_CONFIG, resolution: 512 })).toEqual([]);
    expect(attentionLevels({ ...FIXTURE_CONFIG, attnResolutions: [32, 16] })).toEqual([3, 4]);
    // A 16-px input puts 1 px at level 4 (not 16), yet attention stays at level 4 and the encoder runs.
    const z = vq.encode(tf.zeros([1, 16, 16, 3]));
    expect(z.shape).toEqual([1, 1, 1, 32]);
    z.dispose();
    // Shapes that disagree with the base config's attention levels keep the file's blocks (resolution named per level).
    const weights = randomWeightsOf(FIXTURE_CONFIG);
    expect(inferVqganConfig(weights, { ...FIXTURE_CONFIG, resolution: 512 }).attnResolutions).toEqual([32]);
  });

  it('is frozen: gradients of features and codes reach the input and nothing else; no tensor leaks', () => {
    const x = tf.variable(tf.randomUniform([1, 16, 16, 3], 0, 1, 'float32', 2)) as tf.Variable<tf.Rank.R4>;
    const run = () => tf.variableGrads(() => tf.tidy(() => {
      const f = vq.features(x).map((t) => tf.mean(tf.abs(t)));
      const p = vq.codeDistribution(x);
      return tf.add(tf.addN(f), tf.mean(tf.mul(p, tf.log(tf.add(p, 1e-9))))) as tf.Scalar;
    }));
    const first = run();
    expect(Object.keys(first.grads)).toEqual([x.name]);
    expect(tf.sum(tf.abs(first.grads[x.name])).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([first.value, first.grads]);
    const before = tf.memory().numTensors;
    const again = run();
    tf.dispose([again.value, again.grads]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('a seeded random encoder of the fixture config, for offline checks', () => {
    const a = randomVqgan(FIXTURE_CONFIG, 5);
    const b = randomVqgan(FIXTURE_CONFIG, 5);
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const fa = a.features(x);
    const fb = b.features(x);
    expect(fa.map((f) => f.shape)).toEqual([[2, 16, 16, 32], [2, 8, 8, 32], [2, 4, 4, 64], [2, 2, 2, 64], [2, 1, 1, 128]]);
    expect(relMaxError(fa[4], fb[4])).toBe(0);
    const p = a.codeDistribution(x);
    expect(p.shape).toEqual([2, 64]);
    tf.dispose([x, fa, fb, p]);
    a.dispose();
    b.dispose();
  });

  it('names missing, mis-shaped and unused weights', () => {
    const w = randomWeightsOf(FIXTURE_CONFIG);
    const { ['encoder.mid.attn_1.q.bias']: _gone, ...missing } = w;
    expect(() => vqganFromWeights(missing, FIXTURE_CONFIG, 'f.ckpt')).toThrow(/f\.ckpt: missing 'encoder\.mid\.attn_1\.q\.bias'/);
    expect(() => vqganFromWeights({ ...w, 'encoder.extra.weight': w['quant_conv.bias'] }, FIXTURE_CONFIG, 'f.ckpt')).toThrow(/not use: encoder\.extra\.weight/);
    expect(() => vqganFromWeights(w, { ...FIXTURE_CONFIG, nEmbed: 65 }, 'f.ckpt')).toThrow(/'quantize\.embedding\.weight' has shape \[64,32\], expected \[65,32\]/);
    expect(() => vqganFromWeights(w, { ...FIXTURE_CONFIG, ch: 16 }, 'f.ckpt')).toThrow(/f\.ckpt/);
  });
});

/** Kit-layout weights of a random encoder (its frozen tensors read back). */
function randomWeightsOf(cfg: VqganConfig): KitWeights {
  const net = randomVqgan(cfg, 1);
  const out: KitWeights = {};
  for (const [k, t] of net.weights.tensors) out[k] = { dtype: 'float32', shape: t.shape.slice(), data: t.dataSync() as Float32Array };
  net.dispose();
  return out;
}
