// dckdCodeMaps: argmax maps and top-code probabilities from the encoder's code distribution of each image,
// argmax agreement, and Eq. 9 against a direct computation on the full distributions; bad inputs named.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeMapFigures, dckdCodeMaps } from '../../lib/reproduce/dckd-codes';
import { randomVqgan, SMOKE_VQGAN_CONFIG, type VqganEncoder } from '../../lib/models/features/vqgan-encoder';

let vq: VqganEncoder;
let a: tf.Tensor4D;
let b: tf.Tensor4D;
beforeAll(async () => {
  await tf.setBackend('cpu');
  vq = randomVqgan(SMOKE_VQGAN_CONFIG, 0);
  a = tf.randomUniform([1, 32, 48, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  b = tf.randomUniform([1, 32, 48, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
});
afterAll(() => {
  tf.dispose([a, b]);
  vq.dispose();
});

describe('dckdCodeMaps', () => {
  it('maps each 16-px cell to its most probable code; L_ce and agreement from the full distributions', async () => {
    const before = tf.memory().numTensors;
    const m = await dckdCodeMaps(vq, a, b, { topCodes: 8, note: 'n' });
    expect(tf.memory().numTensors).toBe(before);
    expect([m.rows, m.cols, m.nEmbed, m.codes.length]).toEqual([2, 3, SMOKE_VQGAN_CONFIG.nEmbed, 8]);
    const pt = (vq.codeDistribution(a).arraySync()) as number[][];
    const ps = (vq.codeDistribution(b).arraySync()) as number[][];
    const arg = (p: number[]) => p.indexOf(Math.max(...p));
    expect(m.teacher.argmax.flat()).toEqual(pt.map(arg));
    expect(m.student.argmax.flat()).toEqual(ps.map(arg));
    expect(m.teacher.prob[4][0]).toBeCloseTo(pt[4][m.codes[0]], 7);
    const mass = pt[0].map((_, k) => pt.reduce((s, p) => s + p[k], 0));
    expect(m.codes[0]).toBe(mass.indexOf(Math.max(...mass)));
    const ce = -pt.reduce((s, p, i) => s + p.reduce((t, v, k) => t + v * Math.log(ps[i][k]), 0), 0) / pt.length;
    expect(Math.abs(m.crossEntropy - ce) / ce).toBeLessThan(1e-4);
    const agree = pt.filter((p, i) => arg(p) === arg(ps[i])).length / pt.length;
    expect(m.argmaxAgreement).toBe(agree);
    const self = await dckdCodeMaps(vq, a, a);
    expect(self.argmaxAgreement).toBe(1);
    const figs = codeMapFigures(m);
    expect(figs.argmax.data).toHaveLength(2);
    expect(JSON.stringify(figs.prob.layout)).toContain('(n)');
  });

  it('rejects batches, unequal shapes and sides that are not multiples of 16', async () => {
    const two = tf.zeros([2, 32, 32, 3]) as tf.Tensor4D;
    const odd = tf.zeros([1, 24, 32, 3]) as tf.Tensor4D;
    await expect(dckdCodeMaps(vq, two, two)).rejects.toThrow(/one image each/);
    await expect(dckdCodeMaps(vq, a, odd)).rejects.toThrow(/differ in shape/);
    await expect(dckdCodeMaps(vq, odd, odd)).rejects.toThrow(/multiples of 16 .* got 24x32/);
    tf.dispose([two, odd]);
  });
});
