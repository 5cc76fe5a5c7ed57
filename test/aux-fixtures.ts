/**
 * The CSD / DCKD fixtures made with PyTorch (shared data README, "fixtures for CSD and DCKD"): the tensors of
 * `aux_expected.pt` (NCHW, as PyTorch computed them) and their description in `aux_fixtures.json`.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { sharedPath } from './shared';
import { type TorchTensor, isTorchTensor, readTorchCheckpoint, tensorToNumbers } from '../lib/io/torch/checkpoint';

export const AUX_JSON = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'aux_fixtures.json'), 'utf8'));
export const auxFixture = (name: string): string => sharedPath('data', 'fixtures', name);

let cache: Record<string, TorchTensor> | null = null;

/** One tensor of aux_expected.pt. */
export function auxTensor(name: string): TorchTensor {
  if (cache === null) cache = readTorchCheckpoint(auxFixture('aux_expected.pt')).root as Record<string, TorchTensor>;
  const t = cache[name];
  if (!isTorchTensor(t)) throw new Error(`aux_expected.pt has no tensor '${name}'`);
  return t;
}

/** A stored NCHW tensor as NHWC, optionally scaled (e.g. 1/255 for the 0-255 images). */
export function auxNhwc(name: string, scale = 1): tf.Tensor4D {
  const t = auxTensor(name);
  return tf.tidy(() => tf.mul(tf.transpose(tf.tensor4d(t.data as Float32Array, t.shape as [number, number, number, number]), [0, 2, 3, 1]), scale));
}

export function auxScalar(name: string): number {
  return tensorToNumbers(auxTensor(name))[0];
}

/** Largest |actual − expected| relative to the largest |expected|. */
export function relMaxError(actual: tf.Tensor, expected: tf.Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0];
    const scale = tf.max(tf.abs(expected)).dataSync()[0];
    return diff / Math.max(scale, 1e-30);
  });
}
