import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createImage, cropImage, imageToTensor, imagesToTensor, quantizeUnit, roundHalfEven, tensorToImage, tensorToImages } from '../../lib/data/image';

describe('image <-> tensor', () => {
  it('roundHalfEven is numpy round', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4999, 2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 0, 2, 3, 3]);
  });

  it('quantisation: clamp, *255 in float32, round half to even', () => {
    const v = [-0.2, 0, 1, 1.7, NaN, 0.5 / 255, 1.5 / 255, 2.5 / 255, 127.5 / 255, 0.5];
    const q = quantizeUnit(Float32Array.from(v));
    // float32(k.5/255) * 255 lands on k.5 or a hair off it; compare with the float32 product rounded half-even
    const expected = v.map((x) => {
      const c = Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, x));
      return roundHalfEven(Math.fround(Math.fround(c) * 255));
    });
    expect(Array.from(q)).toEqual(expected);
    expect(Array.from(q.subarray(0, 5))).toEqual([0, 0, 255, 255, 0]);
    expect(q[9]).toBe(128); // 127.5 -> 128 (even)
  });

  it('uint8 -> tensor -> uint8 is the identity', () => {
    const img = createImage(3, 4, Uint8Array.from({ length: 36 }, (_, i) => (i * 71) % 256));
    const t = imageToTensor(img);
    expect(t.shape).toEqual([1, 3, 4, 3]);
    expect(tensorToImage(t)).toEqual(img);
    const b = imagesToTensor([img, img]);
    expect(tensorToImages(b)).toEqual([img, img]);
    tf.dispose([t, b]);
  });

  it('cropImage copies a window', () => {
    const img = createImage(3, 3, Uint8Array.from({ length: 27 }, (_, i) => i));
    expect(Array.from(cropImage(img, 1, 1, 2, 1).data)).toEqual([12, 13, 14, 21, 22, 23]);
    expect(() => cropImage(img, 2, 0, 2, 1)).toThrow(/does not fit/);
  });
});
