/**
 * Independent loop-based reference implementations (plain JS, float64, written from the PyTorch reference
 * semantics in spec/architectures.md) compared with the TF.js networks on tiny configs with random weights.
 * This checks orderings (qkv split, heads, windows, roll direction, mask, pixel shuffle) end to end.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../lib/models/build';
import type { ArchConfig, SRNet } from '../../lib/models/types';
import { Rng } from '../../lib/util/rng';

type Img = Float64Array[][]; // [H][W] -> channel vector
const MEAN = [0.4488, 0.4371, 0.404];

function imgFrom(t: tf.Tensor4D): Img {
  const [, h, w, c] = t.shape;
  const d = t.dataSync();
  return Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => Float64Array.from(d.subarray((y * w + x) * c, (y * w + x + 1) * c))));
}
const mapPix = (a: Img, f: (v: Float64Array, y: number, x: number) => Float64Array): Img => a.map((row, y) => row.map((v, x) => f(v, y, x)));
const addImg = (a: Img, b: Img): Img => mapPix(a, (v, y, x) => v.map((e, i) => e + b[y][x][i]));

function conv(a: Img, w: Float32Array, b: Float32Array, k: number): Img {
  const h = a.length;
  const wd = a[0].length;
  const cin = a[0][0].length;
  const cout = b.length;
  const pad = (k - 1) / 2;
  return mapPix(a, (_, y, x) => {
    const o = Float64Array.from(b);
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++) {
        const yy = y + ky - pad;
        const xx = x + kx - pad;
        if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
        const v = a[yy][xx];
        for (let i = 0; i < cin; i++) for (let j = 0; j < cout; j++) o[j] += v[i] * w[((ky * k + kx) * cin + i) * cout + j];
      }
    return o;
  });
}
function lin(v: Float64Array, w: Float32Array, b: Float32Array): Float64Array {
  const fin = v.length;
  const o = Float64Array.from(b);
  for (let i = 0; i < fin; i++) for (let j = 0; j < b.length; j++) o[j] += v[i] * w[i * b.length + j];
  return o;
}
function ln(v: Float64Array, w: Float32Array, b: Float32Array): Float64Array {
  const mu = v.reduce((s, e) => s + e, 0) / v.length;
  const va = v.reduce((s, e) => s + (e - mu) ** 2, 0) / v.length;
  return v.map((e, i) => ((e - mu) / Math.sqrt(va + 1e-5)) * w[i] + b[i]);
}
function shuffle(a: Img, r: number): Img {
  const co = a[0][0].length / (r * r);
  return Array.from({ length: a.length * r }, (_, Y) =>
    Array.from({ length: a[0].length * r }, (_, X) => {
      const src = a[Math.floor(Y / r)][Math.floor(X / r)];
      const i = Y % r;
      const j = X % r;
      return Float64Array.from({ length: co }, (_, c) => src[c * r * r + i * r + j]);
    }),
  );
}
const erf = (x: number): number => {
  // series / continued fraction is overkill: use high-precision Abramowitz-Stegun 7.1.26 refined by Taylor terms
  let sum = x;
  let term = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
};

function refSwinIR(net: SRNet, lr: tf.Tensor4D): Img {
  const cfg = net.arch;
  if (cfg.arch !== 'swinir') throw new Error('swinir only');
  const P = (k: string): Float32Array => net.params.get(k)!.dataSync() as Float32Array;
  const c = cfg.embedDim;
  const ws = cfg.windowSize;
  const s0 = mapPix(imgFrom(lr), (v) => v.map((e, i) => e - MEAN[i]));
  const s = conv(s0, P('conv_first.weight'), P('conv_first.bias'), 3);
  const H = s.length;
  const W = s[0].length;
  let x = mapPix(s, (v) => ln(v, P('patch_embed.norm.weight'), P('patch_embed.norm.bias')));
  // region labels, reference-style slices
  const shiftS = Math.floor(ws / 2);
  const label: number[][] = Array.from({ length: H }, () => new Array<number>(W).fill(0));
  let cnt = 0;
  for (const [h0, h1] of [[0, H - ws], [H - ws, H - shiftS], [H - shiftS, H]])
    for (const [w0, w1] of [[0, W - ws], [W - ws, W - shiftS], [W - shiftS, W]]) {
      for (let y = h0; y < h1; y++) for (let xx = w0; xx < w1; xx++) label[y][xx] = cnt;
      cnt++;
    }
  cfg.depths.forEach((depth, k) => {
    const heads = cfg.heads[k];
    const dh = c / heads;
    const x0 = x;
    for (let d = 0; d < depth; d++) {
      const key = `layers.${k}.residual_group.blocks.${d}`;
      const sh = d % 2 === 1 ? shiftS : 0;
      const xn = mapPix(x, (v) => ln(v, P(`${key}.norm1.weight`), P(`${key}.norm1.bias`)));
      const shifted = (y: number, xx: number): Float64Array => xn[(y + sh) % H][(xx + sh) % W];
      const attnOut: Img = Array.from({ length: H }, () => new Array<Float64Array>(W));
      const table = P(`${key}.attn.relative_position_bias_table`);
      for (let wy = 0; wy < H / ws; wy++)
        for (let wx = 0; wx < W / ws; wx++) {
          const n = ws * ws;
          const pos = Array.from({ length: n }, (_, t) => [wy * ws + Math.floor(t / ws), wx * ws + (t % ws)]);
          const qkv = pos.map(([yy, xx]) => lin(shifted(yy, xx), P(`${key}.attn.qkv.weight`), P(`${key}.attn.qkv.bias`)));
          const outTok = pos.map(() => new Float64Array(c));
          for (let h = 0; h < heads; h++) {
            for (let p = 0; p < n; p++) {
              const logits = new Float64Array(n);
              for (let q = 0; q < n; q++) {
                let dot = 0;
                for (let e = 0; e < dh; e++) dot += qkv[p][h * dh + e] * (1 / Math.sqrt(dh)) * qkv[q][c + h * dh + e];
                const dy = Math.floor(p / ws) - Math.floor(q / ws) + ws - 1;
                const dx = (p % ws) - (q % ws) + ws - 1;
                dot += table[(dy * (2 * ws - 1) + dx) * heads + h];
                if (sh > 0 && label[pos[p][0]][pos[p][1]] !== label[pos[q][0]][pos[q][1]]) dot += -100;
                logits[q] = dot;
              }
              const m = Math.max(...logits);
              const ex = logits.map((l) => Math.exp(l - m));
              const z = ex.reduce((a, b) => a + b, 0);
              for (let q = 0; q < n; q++) for (let e = 0; e < dh; e++) outTok[p][h * dh + e] += (ex[q] / z) * qkv[q][2 * c + h * dh + e];
            }
          }
          pos.forEach(([yy, xx], t) => {
            attnOut[yy][xx] = lin(outTok[t], P(`${key}.attn.proj.weight`), P(`${key}.attn.proj.bias`));
          });
        }
      // roll back (+sh): out[y] = in[y - sh]
      const x1 = mapPix(x, (v, y, xx) => v.map((e, i) => e + attnOut[(y - sh + H) % H][(xx - sh + W) % W][i]));
      x = mapPix(x1, (v) => {
        const hdn = lin(ln(v, P(`${key}.norm2.weight`), P(`${key}.norm2.bias`)), P(`${key}.mlp.fc1.weight`), P(`${key}.mlp.fc1.bias`));
        const g = hdn.map((e) => 0.5 * e * (1 + erf(e / Math.SQRT2)));
        const o = lin(g, P(`${key}.mlp.fc2.weight`), P(`${key}.mlp.fc2.bias`));
        return v.map((e, i) => e + o[i]);
      });
    }
    x = addImg(conv(x, P(`layers.${k}.conv.weight`), P(`layers.${k}.conv.bias`), 3), x0);
  });
  x = mapPix(x, (v) => ln(v, P('norm.weight'), P('norm.bias')));
  const r = addImg(conv(x, P('conv_after_body.weight'), P('conv_after_body.bias'), 3), s);
  let y: Img;
  if (cfg.upsampler === 'pixelshuffle') {
    y = mapPix(conv(r, P('conv_before_upsample.0.weight'), P('conv_before_upsample.0.bias'), 3), (v) => v.map((e) => (e < 0 ? 0.01 * e : e)));
    const stages = net.scale === 3 ? [3] : net.scale === 2 ? [2] : [2, 2];
    stages.forEach((f, i) => {
      y = shuffle(conv(y, P(`upsample.${2 * i}.weight`), P(`upsample.${2 * i}.bias`), 3), f);
    });
    y = conv(y, P('conv_last.weight'), P('conv_last.bias'), 3);
  } else {
    y = shuffle(conv(r, P('upsample.0.weight'), P('upsample.0.bias'), 3), net.scale);
  }
  return mapPix(y, (v) => v.map((e, i) => e + MEAN[i]));
}

function refCnn(net: SRNet, lr: tf.Tensor4D): Img {
  const cfg = net.arch;
  const P = (k: string): Float32Array => net.params.get(k)!.dataSync() as Float32Array;
  const cv = (a: Img, key: string, k = 3): Img => conv(a, P(`${key}.weight`), P(`${key}.bias`), k);
  const relu = (a: Img): Img => mapPix(a, (v) => v.map((e) => Math.max(0, e)));
  const s = cv(mapPix(imgFrom(lr), (v) => v.map((e, i) => (e - MEAN[i]) * 255)), 'conv_first');
  let x = s;
  if (cfg.arch === 'edsr') {
    for (let i = 0; i < cfg.blocks; i++) {
      const t = cv(relu(cv(x, `body.${i}.conv1`)), `body.${i}.conv2`);
      x = mapPix(x, (v, yy, xx) => v.map((e, j) => e + cfg.resScale * t[yy][xx][j]));
    }
  } else if (cfg.arch === 'rcan') {
    for (let g = 0; g < cfg.groups; g++) {
      let y = x;
      for (let b = 0; b < cfg.blocks; b++) {
        const k = `body.${g}.residual_group.${b}.rcab`;
        const t = cv(relu(cv(y, `${k}.0`)), `${k}.2`);
        const pooled = new Float64Array(cfg.feats);
        t.forEach((row) => row.forEach((v) => v.forEach((e, j) => (pooled[j] += e / (t.length * t[0].length)))));
        const a1 = cv([[pooled]], `${k}.3.attention.1`, 1);
        const a = cv(relu(a1), `${k}.3.attention.3`, 1)[0][0].map((e) => 1 / (1 + Math.exp(-e)));
        y = mapPix(y, (v, yy, xx) => v.map((e, j) => e + cfg.resScale * t[yy][xx][j] * a[j]));
      }
      x = addImg(cv(y, `body.${g}.conv`), x);
    }
  }
  const r = addImg(cv(x, 'conv_after_body'), s);
  let y = r;
  const stages = net.scale === 3 ? [3] : net.scale === 2 ? [2] : [2, 2];
  stages.forEach((f, i) => {
    y = shuffle(cv(y, `upsample.${2 * i}`), f);
  });
  y = cv(y, 'conv_last');
  return mapPix(y, (v) => v.map((e, i) => e / 255 + MEAN[i]));
}

/** Replace every weight by random values so zero/one inits cannot hide ordering bugs. */
function randomise(net: SRNet, seed: number, scale = 0.3): void {
  const rng = new Rng(seed);
  for (const v of net.params.values()) {
    const vals = Float32Array.from({ length: v.size }, () => rng.normal() * scale);
    v.assign(tf.tensor(vals, v.shape));
  }
}

function maxDiff(out: tf.Tensor4D, ref: Img): number {
  const got = imgFrom(out);
  expect(got.length).toBe(ref.length);
  expect(got[0].length).toBe(ref[0].length);
  let m = 0;
  got.forEach((row, y) => row.forEach((v, x) => v.forEach((e, i) => (m = Math.max(m, Math.abs(e - ref[y][x][i]))))));
  return m;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TF.js networks vs loop-based references', () => {
  const swin = (upsampler: 'pixelshuffle' | 'pixelshuffledirect'): ArchConfig => ({
    arch: 'swinir', embedDim: 4, depths: [2, 2], heads: [2, 1], windowSize: 4, mlpRatio: 2, upsampler, upsampleFeats: 4,
  });
  const cases: [string, ArchConfig, 2 | 3 | 4, (net: SRNet, lr: tf.Tensor4D) => Img][] = [
    ['swinir pixelshuffle x2', swin('pixelshuffle'), 2, refSwinIR],
    ['swinir pixelshuffle x4', swin('pixelshuffle'), 4, refSwinIR],
    ['swinir pixelshuffledirect x3', swin('pixelshuffledirect'), 3, refSwinIR],
    ['edsr x3', { arch: 'edsr', feats: 4, blocks: 2, resScale: 0.1 }, 3, refCnn],
    ['rcan x4', { arch: 'rcan', feats: 8, groups: 2, blocks: 2, reduction: 4, resScale: 1 }, 4, refCnn],
  ];
  for (const [name, arch, scale, ref] of cases) {
    it(name, () => {
      const net = buildModel(arch, scale, { seed: 2 });
      try {
        randomise(net, 11, arch.arch === 'swinir' ? 0.3 : 0.05);
        const lr = tf.randomUniform([1, 8, 12, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
        const out = net.forward(lr).out;
        const expected = ref(net, lr);
        const scaleOf = Math.max(...imgFrom(out).flat().map((v) => Math.max(...v.map(Math.abs))));
        expect(maxDiff(out, expected) / Math.max(1, scaleOf)).toBeLessThan(2e-5);
        tf.dispose([lr, out]);
      } finally {
        net.dispose();
      }
    });
  }
});
