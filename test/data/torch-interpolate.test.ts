// PyTorch interpolation semantics against outputs PyTorch 1.13 computed (test/fixtures/torch-interpolate.json)
// and against CSD's stored negatives (aux_expected.pt), plus TF.js's own bilinear and average-pool kernels.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { auxNhwc, auxTensor, relMaxError } from '../aux-fixtures';
import { tensorToNumbers } from '../../lib/io/torch/checkpoint';
import { imresizeTensor } from '../../lib/data/bicubic';
import { torchInterpolate, torchInterpolateMatrix, torchUpsampleBicubic } from '../../lib/data/torch-interpolate';

const GOLD = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'torch-interpolate.json'), 'utf8'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function input(): tf.Tensor4D {
  const v: number[] = [];
  for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) for (let c = 0; c < 2; c++) v.push(Math.sin(1.3 * y + 0.7 * x + c) * 0.5 + 0.5);
  return tf.tensor4d(Float32Array.from(v), [1, 5, 7, 2]);
}

function expectGold(got: tf.Tensor, key: string): void {
  const want: number[] = GOLD[key];
  expect(got.size).toBe(want.length);
  const d = got.dataSync();
  let maxErr = 0;
  want.forEach((w, i) => { maxErr = Math.max(maxErr, Math.abs(d[i] - w)); });
  expect(maxErr, key).toBeLessThan(2e-6);
}

describe('PyTorch interpolation (align_corners=False, no antialias)', () => {
  it('bicubic (a = -0.75, edge clamp) to any size and by a scale factor', () => {
    const x = input();
    const a = torchInterpolate(x, 9, 4, 'bicubic');
    const b = torchUpsampleBicubic(x, 3);
    expect(b.shape).toEqual([1, 15, 21, 2]);
    expectGold(a, 'bicubic_size_5x7_to_9x4');
    expectGold(b, 'bicubic_up3_5x7');
    tf.dispose([x, a, b]);
  });

  it('bilinear and area', () => {
    const x = input();
    const a = torchInterpolate(x, 8, 3, 'bilinear');
    const b = torchInterpolate(x, 3, 4, 'area');
    expectGold(a, 'bilinear_size_5x7_to_8x3');
    expectGold(b, 'area_size_5x7_to_3x4');
    // TF.js's own kernels agree where they implement the same thing.
    const tfBilinear = tf.image.resizeBilinear(x, [8, 3], false, true);
    const tfPool = tf.avgPool(tf.slice(x, [0, 0, 0, 0], [1, 4, 6, 2]) as tf.Tensor4D, 2, 2, 'valid');
    const area2 = torchInterpolate(tf.slice(x, [0, 0, 0, 0], [1, 4, 6, 2]) as tf.Tensor4D, 2, 3, 'area');
    expect(relMaxError(a, tfBilinear)).toBeLessThan(1e-6);
    expect(relMaxError(area2, tfPool)).toBeLessThan(1e-6);
    tf.dispose([x, a, b, tfBilinear, tfPool, area2]);
  });

  it("CSD's negatives: nn.Upsample bicubic x2 of lr_batch[perm] equals the stored tensor", () => {
    const lr = auxNhwc('csd_lr_batch');
    const perm = tensorToNumbers(auxTensor('csd_neg_perm'));
    const neg = tf.tidy(() => tf.mul(torchUpsampleBicubic(tf.gather(lr, perm) as tf.Tensor4D, 2), 255));
    const want = auxNhwc('csd_negatives_255');
    expect(relMaxError(neg, want)).toBeLessThan(1e-5);
    // ... and it is not the MATLAB bicubic the LR data was made with.
    const matlab = tf.tidy(() => tf.mul(imresizeTensor(tf.gather(lr, perm) as tf.Tensor4D, 2), 255));
    expect(relMaxError(matlab, want)).toBeGreaterThan(1e-3);
    tf.dispose([lr, neg, want, matlab]);
  });

  it('rows sum to one; a constant image stays constant', () => {
    for (const mode of ['bicubic', 'bilinear', 'area'] as const) {
      const m = torchInterpolateMatrix(mode, 6, 11);
      for (let o = 0; o < 11; o++) {
        let s = 0;
        for (let i = 0; i < 6; i++) s += m[o * 6 + i];
        expect(s, `${mode} row ${o}`).toBeCloseTo(1, 6);
      }
    }
    expect(() => torchInterpolateMatrix('bicubic', 0, 4)).toThrow(/positive integers/);
  });
});
