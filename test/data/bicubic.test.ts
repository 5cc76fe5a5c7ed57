import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { contributions, cubicKernel, imresizeFloat64, imresizeTensor, imresizeUint8, modCrop, outputLength, resizeMatrix } from '../../lib/data/bicubic';
import { readImage } from '../../lib/data/decode';
import { createImage, type RgbImage } from '../../lib/data/image';
import { sharedPath } from '../shared';

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON vectors */
const V: any = JSON.parse(readFileSync(sharedPath('spec/vectors/metrics.json'), 'utf8'));
const REF: any = JSON.parse(readFileSync(sharedPath('spec/vectors/benchmark_reference.json'), 'utf8'));

/** A single-channel 2-D array as an RGB image with three equal channels. */
function greyImage(rows: number[][]): RgbImage {
  const h = rows.length;
  const w = rows[0].length;
  const img = createImage(h, w);
  rows.forEach((r, y) => r.forEach((v, x) => img.data.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3)));
  return img;
}
function rgbImage(rows: number[][][]): RgbImage {
  return createImage(rows.length, rows[0].length, Uint8Array.from(rows.flat(2)));
}
function channel0(img: RgbImage): number[][] {
  const out: number[][] = [];
  for (let y = 0; y < img.height; y++) {
    const row: number[] = [];
    for (let x = 0; x < img.width; x++) row.push(img.data[(y * img.width + x) * 3]);
    out.push(row);
  }
  return out;
}

describe('cubic kernel and contributions', () => {
  it('kernel values', () => {
    V.cubic_kernel.x.forEach((x: number, i: number) => expect(cubicKernel(x)).toBeCloseTo(V.cubic_kernel.w[i], 12));
  });

  it.each((V.contributions.cases as any[]).map((c: any): [string, any] => [`${c.in_len}->${c.out_len} x${c.scale}`, c]))('%s', (_name: string, c: any) => {
    const r = contributions(c.in_len, c.out_len, c.scale);
    expect(r.nOut).toBe(c.out_len);
    expect(r.taps).toBe(c.weights[0].length);
    for (let o = 0; o < c.out_len; o++) {
      expect(Array.from(r.indices.subarray(o * r.taps, (o + 1) * r.taps))).toEqual(c.indices_0based[o]);
      for (let t = 0; t < r.taps; t++) expect(Math.abs(r.weights[o * r.taps + t] - c.weights[o][t])).toBeLessThan(1e-9);
    }
  });

  it('output lengths follow ceil(n * scale) without 1/3 representation drift', () => {
    expect(outputLength(9, 1 / 3)).toBe(3);
    expect(outputLength(510, 1 / 3)).toBe(170);
    expect(outputLength(3, 3)).toBe(9);
    expect(outputLength(7, 0.5)).toBe(4);
  });

  it('resize matrix rows sum to 1 and merge mirrored taps', () => {
    const m = resizeMatrix(8, 4, 0.5);
    for (let o = 0; o < 4; o++) expect(m.subarray(o * 8, o * 8 + 8).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6);
    expect(resizeMatrix(8, 4, 0.5)).toBe(m); // cached
    // output 0 reads indices [2, 1, 0, 0, 1, 2, 3, 4]: source 0 gets taps 2 and 3, source 2 gets taps 0 and 5
    expect(m[0]).toBeCloseTo(0.11328125 + 0.43359375, 7);
    expect(m[2]).toBeCloseTo(-0.01171875 + 0.11328125, 7);
  });
});

describe('imresizeUint8 (MATLAB uint8 mode)', () => {
  const ramp = V.imresize_ramp_8x8;
  it('ramp 8x8 by 1/2 and by 2', () => {
    expect(channel0(imresizeUint8(greyImage(ramp.input), 0.5))).toEqual(ramp.half_uint8_matlab);
    expect(channel0(imresizeUint8(greyImage(ramp.input), 2))).toEqual(ramp.double_uint8_matlab);
  });

  const rnd = V.imresize_random_12x12x3;
  it.each([
    [2, 'down_x2_uint8_matlab'],
    [3, 'down_x3_uint8_matlab'],
    [4, 'down_x4_uint8_matlab'],
  ])('random 12x12x3 down x%i', (s, key) => {
    const out = imresizeUint8(rgbImage(rnd.input_hwc_rgb_uint8), 1 / s);
    expect(Array.from(out.data)).toEqual(rnd[key].flat(2));
  });

  it('random 12x12x3 down x4 then up x4', () => {
    const down = imresizeUint8(rgbImage(rnd.input_hwc_rgb_uint8), 1 / 4);
    expect(Array.from(imresizeUint8(down, 4).data)).toEqual(rnd.up_x4_of_down_x4_uint8_matlab.flat(2));
  });

  it('modCrop keeps the top-left multiple of the scale', () => {
    const img = createImage(7, 5, Uint8Array.from({ length: 105 }, (_, i) => i));
    const c = modCrop(img, 3);
    expect([c.height, c.width]).toEqual([6, 3]);
    expect(Array.from(c.data.subarray(9, 12))).toEqual([15, 16, 17]); // row 1, col 0
    expect(modCrop(img, 1)).toBe(img);
  });

  // Every shipped LR_bicubic file of Set5 and Set14 at x2, x3, x4, regenerated from HR.
  const files = Object.keys(REF.lr_pixel_sha256.hashes);
  it(`regenerates all ${files.length} Set5/Set14 LR_bicubic files bit-exactly`, async () => {
    expect(files.length).toBe(57);
    const hrCache = new Map<string, RgbImage>();
    const mismatches: string[] = [];
    for (const rel of files) {
      const m = /^(Set5|Set14)\/LR_bicubic\/X(\d)\/(.+)x\d\.png$/.exec(rel);
      if (!m) throw new Error(`unexpected LR path ${rel}`);
      const [, set, s, name] = m;
      const hrPath = sharedPath('data/benchmark', set, 'HR', `${name}.png`);
      let hr = hrCache.get(hrPath);
      if (!hr) hrCache.set(hrPath, (hr = await readImage(hrPath)));
      const scale = Number(s);
      const lr = imresizeUint8(modCrop(hr, scale), 1 / scale);
      const shipped = await readImage(sharedPath('data/benchmark', rel));
      const digest = createHash('sha256').update(lr.data).digest('hex');
      const same = lr.height === shipped.height && lr.width === shipped.width && Buffer.from(lr.data).equals(Buffer.from(shipped.data));
      if (!same || digest !== REF.lr_pixel_sha256.hashes[rel]) mismatches.push(rel);
    }
    expect(mismatches).toEqual([]);
  });
});

const FLOAT_CASES: [string, () => number[][][], number, () => number[][] | number[][][]][] = [
  ['ramp 1/2', () => grey(V.imresize_ramp_8x8.input), 0.5, () => V.imresize_ramp_8x8.half_float],
  ['ramp 1/4', () => grey(V.imresize_ramp_8x8.input), 0.25, () => V.imresize_ramp_8x8.quarter_float],
  ['ramp x2', () => grey(V.imresize_ramp_8x8.input), 2, () => V.imresize_ramp_8x8.double_float],
  ['checker 1/2', () => grey(V.imresize_checker_8x8.input), 0.5, () => V.imresize_checker_8x8.half_float],
  ['checker 1/3', () => grey(V.imresize_checker_8x8.input), 1 / 3, () => V.imresize_checker_8x8.third_float_out3x3],
  ['random RGB 1/2', () => V.imresize_random_12x12x3.input_hwc_rgb_uint8, 0.5, () => V.imresize_random_12x12x3.down_x2_float],
  ['random RGB 1/3', () => V.imresize_random_12x12x3.input_hwc_rgb_uint8, 1 / 3, () => V.imresize_random_12x12x3.down_x3_float],
  ['random RGB 1/4', () => V.imresize_random_12x12x3.input_hwc_rgb_uint8, 0.25, () => V.imresize_random_12x12x3.down_x4_float],
];
function grey(rows: number[][]): number[][][] {
  return rows.map((r) => r.map((v) => [v]));
}
/** Largest |got - want| / tol(want) over all samples; <= 1 passes. */
function worst(got: ArrayLike<number>, want: number[][] | number[][][], tol: (w: number) => number): number {
  const flat = (want as unknown[]).flat(2) as number[];
  expect(got.length).toBe(flat.length);
  let r = 0;
  flat.forEach((w, i) => (r = Math.max(r, Math.abs(got[i] - w) / tol(w))));
  return r;
}

describe('imresizeFloat64 (host reference)', () => {
  it.each(FLOAT_CASES)('%s matches the vectors to 1e-6', (_n, input, scale, want) => {
    const rows = input();
    const out = imresizeFloat64(rows.flat(2), [rows.length, rows[0].length, rows[0][0].length], scale);
    expect(worst(out.data, want(), () => 1e-6)).toBeLessThanOrEqual(1);
  });
});

describe.each(['cpu', 'wasm'])('imresizeTensor (float32, %s backend)', (backend) => {
  // The vectors are exact values (float64, 6 decimals). The tensor path is float32, and on 0..255
  // data one float32 ulp is up to 1.5e-5, so an absolute 1e-5 is below float32 resolution there:
  // allow 1e-5 plus 3 float32 ulps of the value (x2 and x4 weights are dyadic and come out exact on cpu).
  const tol = (w: number): number => 1e-5 + 3 * 2 ** -23 * Math.abs(w);
  it.each(FLOAT_CASES)('%s matches the vectors within float32 precision', async (_n, input, scale, want) => {
    await tf.setBackend(backend);
    const rows = input();
    const x = tf.tensor4d(rows.flat(2), [1, rows.length, rows[0].length, rows[0][0].length]);
    const y = imresizeTensor(x, scale);
    const got = await y.data();
    tf.dispose([x, y]);
    expect(worst(got, want(), tol)).toBeLessThanOrEqual(1);
  });

  it('matches the float64 path on [0,1] data to 1e-6 (DUKD zoom-out sizes)', async () => {
    await tf.setBackend(backend);
    for (const [h, w, s] of [[48, 48, 1 / 2], [48, 48, 1 / 3], [48, 48, 1 / 4], [12, 12, 4], [17, 9, 1 / 3]] as const) {
      const x = tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
      const host = imresizeFloat64(await x.data(), [h, w, 3], s);
      const y = imresizeTensor(x, s);
      expect(y.shape).toEqual([1, ...host.shape]);
      const got = await y.data();
      let d = 0;
      got.forEach((v, i) => (d = Math.max(d, Math.abs(v - host.data[i]))));
      expect(d).toBeLessThan(1e-6);
      tf.dispose([x, y]);
    }
  });

  it('batches, stays differentiable and leaks nothing', async () => {
    await tf.setBackend(backend);
    const x = tf.randomUniform([2, 12, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const y = imresizeTensor(x, 1 / 3);
    expect(y.shape).toEqual([2, 4, 3, 3]);
    tf.dispose(y);
    expect(tf.memory().numTensors).toBe(before);
    const g = tf.grad((t: tf.Tensor) => tf.sum(imresizeTensor(t as tf.Tensor4D, 0.5)))(x);
    // each output's weights sum to 1 per axis, so the gradient sums to the number of outputs
    expect((await tf.sum(g).data())[0]).toBeCloseTo(2 * 6 * 5 * 3, 3);
    tf.dispose([x, g]);
  });
});
