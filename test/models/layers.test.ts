import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { gelu } from '../../lib/models/layers/gelu';
import { layerNorm } from '../../lib/models/layers/layer-norm';
import { pixelShuffle } from '../../lib/models/layers/pixel-shuffle';
import { cropTo, padAmount, reflectPadToMultiple } from '../../lib/models/layers/reflect-pad';
import { relativePositionIndex, relativePositionOneHot } from '../../lib/models/layers/relative-position';
import { roll } from '../../lib/models/layers/roll';
import { shiftWindowMask } from '../../lib/models/layers/shift-mask';
import { windowMerge, windowPartition } from '../../lib/models/layers/window-partition';
import { loadVector } from './vectors';

type Internals = {
  relative_position_index_ws4: number[][];
  relative_position_index_ws8_row0: number[];
  relative_position_index_ws8_row27: number[];
  shift_mask_h8_w8_ws4_shift2: number[][][];
  pixel_shuffle_r2: { input_nchw_shape: number[]; output_nchw_shape: number[]; output: number[] };
};
const internals = loadVector<Internals>('swinir_internals.json');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pixelShuffle', () => {
  it('matches PyTorch PixelShuffle(2) (CRD order) on the spec example', () => {
    const v = internals.pixel_shuffle_r2;
    const [n, c, h, w] = v.input_nchw_shape;
    const nchw = tf.tensor4d(Array.from({ length: n * c * h * w }, (_, i) => i), [n, c, h, w]);
    const out = pixelShuffle(tf.transpose(nchw, [0, 2, 3, 1]) as tf.Tensor4D, 2);
    expect(out.shape).toEqual([1, 4, 4, 2]);
    expect(Array.from(tf.transpose(out, [0, 3, 1, 2]).dataSync())).toEqual(v.output);
  });

  it('follows out[h*r+i, w*r+j, c] = in[h, w, c*r*r + i*r + j] for r = 3', () => {
    const r = 3;
    const co = 2;
    const x = tf.randomUniform([2, 2, 3, co * r * r], 0, 1, 'float32', 1) as tf.Tensor4D;
    const xs = x.arraySync();
    const ys = pixelShuffle(x, r).arraySync();
    for (let n = 0; n < 2; n++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 3; w++)
          for (let i = 0; i < r; i++)
            for (let j = 0; j < r; j++)
              for (let c = 0; c < co; c++) expect(ys[n][h * r + i][w * r + j][c]).toBe(xs[n][h][w][c * r * r + i * r + j]);
  });

  it('has a gradient (the inverse permutation)', () => {
    const x = tf.randomNormal([1, 2, 2, 8], 0, 1, 'float32', 3) as tf.Tensor4D;
    const wgt = tf.randomNormal([1, 4, 4, 2], 0, 1, 'float32', 4);
    const g = tf.grad((t) => tf.sum(tf.mul(pixelShuffle(t as tf.Tensor4D, 2), wgt)))(x);
    // d/dx sum(shuffle(x) * w) = unshuffle(w): check via the forward map on a one-hot basis.
    const expected = pixelShuffle(tf.reshape(tf.range(0, 32), [1, 2, 2, 8]) as tf.Tensor4D, 2);
    const idx = Array.from(expected.dataSync());
    const wv = wgt.dataSync();
    const gv = g.dataSync();
    idx.forEach((src, dst) => expect(gv[src]).toBeCloseTo(wv[dst], 6));
  });
});

describe('relativePositionIndex', () => {
  it('matches the ws = 4 table', () => {
    const idx = relativePositionIndex(4);
    const rows = internals.relative_position_index_ws4;
    expect(Array.from(idx)).toEqual(rows.flat());
  });
  it('matches rows 0 and 27 for ws = 8', () => {
    const idx = relativePositionIndex(8);
    expect(Array.from(idx.subarray(0, 64))).toEqual(internals.relative_position_index_ws8_row0);
    expect(Array.from(idx.subarray(27 * 64, 28 * 64))).toEqual(internals.relative_position_index_ws8_row27);
    expect(Math.max(...idx)).toBe(224);
    expect(new Set(idx).size).toBe(225);
  });
  it('one-hot form has exactly one 1 per (p, q), in row index[p, q]', () => {
    const idx = relativePositionIndex(4);
    const oh = relativePositionOneHot(4);
    expect(oh.length).toBe(49 * 256);
    expect(oh.reduce((a, b) => a + b, 0)).toBe(256);
    idx.forEach((r, i) => expect(oh[r * 256 + i]).toBe(1));
  });
});

describe('shiftWindowMask', () => {
  it('matches the h8 w8 ws4 shift2 example', () => {
    const m = shiftWindowMask(8, 8, 4, 2);
    expect(Array.from(m)).toEqual(internals.shift_mask_h8_w8_ws4_shift2.flat(2));
  });
  it('is recomputed for non-square sizes (nW = 2 x 3 for 16 x 24, ws 8)', () => {
    const m = shiftWindowMask(16, 24, 8, 4);
    expect(m.length).toBe(6 * 64 * 64);
    // window 0 (top-left) lies entirely in region 0: all zeros
    expect(m.subarray(0, 64 * 64).every((v) => v === 0)).toBe(true);
    // the last window spans 4 regions: token 0 (row 0, col 0) vs token 63 (row 7, col 7) differ
    const last = m.subarray(5 * 64 * 64);
    expect(last[63]).toBe(-100);
    expect(last[1]).toBe(0);
  });
});

describe('roll, window partition', () => {
  it('roll follows torch.roll', () => {
    const x = tf.tensor1d([0, 1, 2, 3, 4]);
    expect(Array.from(roll(x, -2, 0).dataSync())).toEqual([2, 3, 4, 0, 1]);
    expect(Array.from(roll(x, 2, 0).dataSync())).toEqual([3, 4, 0, 1, 2]);
    expect(Array.from(roll(x, 5, 0).dataSync())).toEqual([0, 1, 2, 3, 4]);
    const m = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(roll(m, 1, 1).arraySync()).toEqual([[3, 1, 2], [6, 4, 5]]);
  });

  it('partitions row-major windows and merges back', () => {
    const x = tf.reshape(tf.range(0, 2 * 8 * 12), [2, 8, 12, 1]) as tf.Tensor4D;
    const win = windowPartition(x, 4);
    expect(win.shape).toEqual([2 * 6, 16, 1]);
    const wv = win.arraySync();
    expect(wv[1][0][0]).toBe(4); // window (0,1) starts at column 4
    expect(wv[3][0][0]).toBe(4 * 12); // window (1,0) starts at row 4
    expect(wv[0][5][0]).toBe(12 + 1); // token 5 = (1, 1)
    expect(wv[6][0][0]).toBe(96); // second image
    expect(Array.from(windowMerge(win, 4, 2, 8, 12).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});

describe('gelu, layerNorm', () => {
  it('gelu is the exact erf form', () => {
    const y = gelu(tf.tensor1d([-1, 0, 1, 2])).dataSync();
    const ref = [-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416];
    ref.forEach((r, i) => expect(y[i]).toBeCloseTo(r, 5));
  });

  it('layerNorm normalises the last axis with biased variance, eps 1e-5', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const b = tf.variable(tf.tensor1d([0, 1, -1]));
    const y = layerNorm(tf.tensor2d([[1, 2, 6]]), { weight: w, bias: b }).dataSync();
    const mu = 3;
    const variance = (4 + 1 + 9) / 3;
    const inv = 1 / Math.sqrt(variance + 1e-5);
    [(1 - mu) * inv * 1 + 0, (2 - mu) * inv * 2 + 1, (6 - mu) * inv * 3 - 1].forEach((r, i) => expect(y[i]).toBeCloseTo(r, 5));
    w.dispose();
    b.dispose();
  });
});

describe('reflect padding (BasicSR convention)', () => {
  it('pads bottom/right by (m - H % m) % m without repeating the edge', () => {
    expect(padAmount(10, 8)).toBe(6);
    expect(padAmount(16, 8)).toBe(0);
    const x = tf.reshape(tf.range(0, 25), [1, 5, 5, 1]) as tf.Tensor4D;
    const p = reflectPadToMultiple(x, 7);
    expect(p.shape).toEqual([1, 7, 7, 1]);
    const refl = [0, 1, 2, 3, 4, 3, 2]; // PyTorch 'reflect': mirror about the last pixel, edge not repeated
    const pv = p.arraySync()[0];
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) expect(pv[i][j][0]).toBe(refl[i] * 5 + refl[j]);
    const q = reflectPadToMultiple(tf.reshape(tf.range(0, 30), [1, 3, 10, 1]) as tf.Tensor4D, 4);
    expect(q.shape).toEqual([1, 4, 12, 1]);
    expect(q.arraySync()[0][3].map((v) => v[0])).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 18, 17]);
  });

  it('returns the input untouched when already a multiple, and crops', () => {
    const x = tf.zeros([1, 8, 16, 3]) as tf.Tensor4D;
    expect(reflectPadToMultiple(x, 8)).toBe(x);
    expect(cropTo(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, 10, 13).shape).toEqual([1, 10, 13, 3]);
  });

  it('names the sizes when the image is too small to reflect', () => {
    expect(() => reflectPadToMultiple(tf.zeros([1, 3, 8, 3]) as tf.Tensor4D, 8)).toThrow(/3x8/);
  });
});
