import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../shared';
import { readTorchCheckpoint, stateDict, type StateDict, type TorchTensor } from '../../lib/io/torch/checkpoint';
import {
  type KitTensor, type KitWeights, convToHwio, detectLayout, linearToInOut, mapBasicsr, toKitLayout,
} from '../../lib/io/weight-maps/basicsr';
import { mapEdsrOfficial } from '../../lib/io/weight-maps/edsr-official';
import { mapRcanOfficial } from '../../lib/io/weight-maps/rcan-official';
import { mapSwinir } from '../../lib/io/weight-maps/swinir';

const FIXTURES = sharedPath('data', 'fixtures');
const VECTORS = JSON.parse(fs.readFileSync(sharedPath('spec', 'vectors', 'checkpoint_fixtures.json'), 'utf8'));
const load = (name: string): StateDict => stateDict(readTorchCheckpoint(path.join(FIXTURES, name)));

// ---------------------------------------------------------------------------------------------------------
// A float64 reference forward pass over HWC arrays, using kit-layout weights (HWIO convs).

type Img = { h: number; w: number; c: number; d: Float64Array };

function conv(x: Img, wts: KitWeights, key: string): Img {
  const wt = wts[`${key}.weight`];
  const bias = wts[`${key}.bias`];
  const [kh, kw, ci, co] = wt.shape;
  expect(ci, key).toBe(x.c);
  const ph = (kh - 1) / 2;
  const pw = (kw - 1) / 2;
  const out = new Float64Array(x.h * x.w * co);
  for (let y = 0; y < x.h; y++) {
    for (let xx = 0; xx < x.w; xx++) {
      const o = (y * x.w + xx) * co;
      for (let c = 0; c < co; c++) out[o + c] = bias.data[c];
      for (let dy = 0; dy < kh; dy++) {
        const sy = y + dy - ph;
        if (sy < 0 || sy >= x.h) continue;
        for (let dx = 0; dx < kw; dx++) {
          const sx = xx + dx - pw;
          if (sx < 0 || sx >= x.w) continue;
          for (let i = 0; i < ci; i++) {
            const v = x.d[(sy * x.w + sx) * ci + i];
            const wo = ((dy * kw + dx) * ci + i) * co;
            for (let c = 0; c < co; c++) out[o + c] += v * wt.data[wo + c];
          }
        }
      }
    }
  }
  return { h: x.h, w: x.w, c: co, d: out };
}

const map = (x: Img, f: (v: number) => number): Img => ({ ...x, d: x.d.map(f) });
const add = (a: Img, b: Img, s = 1): Img => ({ ...a, d: a.d.map((v, i) => v + s * b.d[i]) });

/** PyTorch PixelShuffle (CRD): out[h*r+i, w*r+j, c] = in[h, w, c*r*r + i*r + j]. */
function shuffle(x: Img, r: number): Img {
  const co = x.c / (r * r);
  const out = new Float64Array(x.d.length);
  const W = x.w * r;
  for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) for (let c = 0; c < co; c++) {
    for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
      out[((y * r + i) * W + xx * r + j) * co + c] = x.d[(y * x.w + xx) * x.c + c * r * r + i * r + j];
    }
  }
  return { h: x.h * r, w: W, c: co, d: out };
}

function fromNchw(v: number[], shape: number[]): Img {
  const [, c, h, w] = shape;
  const d = new Float64Array(h * w * c);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d[(y * w + x) * c + k] = v[(k * h + y) * w + x];
  return { h, w, c, d };
}

function toNchw(x: Img): number[] {
  const out: number[] = [];
  for (let k = 0; k < x.c; k++) for (let y = 0; y < x.h; y++) for (let xx = 0; xx < x.w; xx++) out.push(x.d[(y * x.w + xx) * x.c + k]);
  return out;
}

function upsampleTail(x: Img, wts: KitWeights, scale: number): Img {
  let y = x;
  if (scale === 3) y = shuffle(conv(y, wts, 'upsample.0'), 3);
  else for (let i = 0; 2 ** i < scale; i++) y = shuffle(conv(y, wts, `upsample.${2 * i}`), 2);
  return conv(y, wts, 'conv_last');
}

function meanIn(x: Img, mean: number[], range: number): Img {
  return { ...x, d: x.d.map((v, i) => (v - mean[i % 3]) * range) };
}
function meanOut(x: Img, mean: number[], range: number): Img {
  return { ...x, d: x.d.map((v, i) => v / range + mean[i % 3]) };
}

function edsrForward(wts: KitWeights, cfg: { num_block: number; res_scale: number; upscale: number; img_range: number; rgb_mean: number[] }, input: Img): Img {
  const s = conv(meanIn(input, cfg.rgb_mean, cfg.img_range), wts, 'conv_first');
  let x = s;
  for (let b = 0; b < cfg.num_block; b++) {
    const t = conv(map(conv(x, wts, `body.${b}.conv1`), (v) => Math.max(v, 0)), wts, `body.${b}.conv2`);
    x = add(x, t, cfg.res_scale);
  }
  const r = add(conv(x, wts, 'conv_after_body'), s);
  return meanOut(upsampleTail(r, wts, cfg.upscale), cfg.rgb_mean, cfg.img_range);
}

function rcanForward(wts: KitWeights, cfg: { num_group: number; num_block: number; res_scale: number; upscale: number; img_range: number; rgb_mean: number[] }, input: Img): Img {
  const s = conv(meanIn(input, cfg.rgb_mean, cfg.img_range), wts, 'conv_first');
  let x = s;
  for (let g = 0; g < cfg.num_group; g++) {
    let y = x;
    for (let b = 0; b < cfg.num_block; b++) {
      const k = `body.${g}.residual_group.${b}.rcab`;
      const t = conv(map(conv(y, wts, `${k}.0`), (v) => Math.max(v, 0)), wts, `${k}.2`);
      const pooled: Img = { h: 1, w: 1, c: t.c, d: new Float64Array(t.c) };
      for (let i = 0; i < t.d.length; i++) pooled.d[i % t.c] += t.d[i] / (t.h * t.w);
      const a = map(conv(map(conv(pooled, wts, `${k}.3.attention.1`), (v) => Math.max(v, 0)), wts, `${k}.3.attention.3`), (v) => 1 / (1 + Math.exp(-v)));
      y = add(y, { ...t, d: t.d.map((v, i) => v * a.d[i % t.c]) }, cfg.res_scale);
    }
    x = add(conv(y, wts, `body.${g}.conv`), x);
  }
  const r = add(conv(x, wts, 'conv_after_body'), s);
  return meanOut(upsampleTail(r, wts, cfg.upscale), cfg.rgb_mean, cfg.img_range);
}

function expectClose(got: number[], want: number[], tol: number): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst).toBeLessThan(tol);
}

// ---------------------------------------------------------------------------------------------------------

describe('layout conversion', () => {
  it('conv [out, in, kh, kw] → HWIO and linear [out, in] → [in, out]', () => {
    const w: TorchTensor = { dtype: 'float32', shape: [2, 3, 1, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
    const h = convToHwio(w);
    expect(h.shape).toEqual([1, 2, 3, 2]);
    // element (o, i, y, x) = ((o*3 + i)*1 + y)*2 + x  lands at ((y*2 + x)*3 + i)*2 + o
    for (let o = 0; o < 2; o++) for (let i = 0; i < 3; i++) for (let x = 0; x < 2; x++) {
      expect(h.data[(x * 3 + i) * 2 + o]).toBe((o * 3 + i) * 2 + x);
    }
    const l = linearToInOut({ dtype: 'float64', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) });
    expect(l).toEqual({ dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 4, 2, 5, 3, 6]) });
    const table: TorchTensor = { dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) };
    expect(toKitLayout('attn.relative_position_bias_table', table).shape).toEqual([2, 2]);
    expect(Array.from(toKitLayout('norm.weight', { dtype: 'float16', shape: [1], data: Uint16Array.from([0x3c00]) }).data)).toEqual([1]);
  });
});

describe('EDSR', () => {
  const cfg = VECTORS.tiny_edsr.config;
  const input = fromNchw(VECTORS.tiny_edsr.input, VECTORS.tiny_edsr.input_shape);

  it('official (EDSR-PyTorch) keys map onto the BasicSR file, tensor for tensor', () => {
    const off = load('tiny_edsr_official_x2_legacy.pt');
    expect(detectLayout(Object.keys(off))).toBe('edsr-official');
    const mapped = mapEdsrOfficial(off);
    expect(mapped.dropped).toEqual(['sub_mean.weight', 'sub_mean.bias', 'add_mean.weight', 'add_mean.bias']);
    const basic = load('tiny_edsr_basicsr_x2_zip.pth');
    expect(detectLayout(Object.keys(basic))).toBe('basicsr');
    const ref = mapBasicsr(basic);
    expect(ref.dropped).toEqual([]);
    expect(Object.keys(mapped.weights).sort()).toEqual(Object.keys(basic).sort());
    for (const k of Object.keys(basic)) expect(mapped.weights[k], k).toEqual(ref.weights[k]);
    expect(mapped.weights['conv_first.weight'].shape).toEqual([3, 3, 3, cfg.num_feat]);
    expect(mapped.weights['upsample.0.weight'].shape).toEqual([3, 3, cfg.num_feat, 4 * cfg.num_feat]);
  });

  it.each(['tiny_edsr_basicsr_x2_zip.pth', 'tiny_edsr_official_x2_legacy.pt'])('%s reproduces the stored output', (file) => {
    const sd = load(file);
    const wts = file.includes('official') ? mapEdsrOfficial(sd).weights : mapBasicsr(sd).weights;
    const out = edsrForward(wts, cfg, input);
    expect([1, out.c, out.h, out.w]).toEqual(VECTORS.tiny_edsr.output_shape);
    expectClose(toNchw(out), VECTORS.tiny_edsr.output, 2e-5);
  });
});

describe('RCAN', () => {
  const cfg = VECTORS.tiny_rcan.config;

  it('official keys map to BasicSR names', () => {
    const sd = load('tiny_rcan_official_x3_legacy.pt');
    expect(detectLayout(Object.keys(sd))).toBe('rcan-official');
    const { weights, dropped } = mapRcanOfficial(sd);
    expect([...dropped].sort()).toEqual(['add_mean.bias', 'add_mean.weight', 'sub_mean.bias', 'sub_mean.weight']);
    const want: string[] = ['conv_first'];
    for (let g = 0; g < cfg.num_group; g++) {
      for (let b = 0; b < cfg.num_block; b++) {
        const k = `body.${g}.residual_group.${b}.rcab`;
        want.push(`${k}.0`, `${k}.2`, `${k}.3.attention.1`, `${k}.3.attention.3`);
      }
      want.push(`body.${g}.conv`);
    }
    want.push('conv_after_body', 'upsample.0', 'conv_last');
    expect(Object.keys(weights)).toEqual(want.flatMap((k) => [`${k}.weight`, `${k}.bias`]));
    const c = cfg.num_feat;
    expect(weights['body.1.residual_group.0.rcab.3.attention.1.weight'].shape).toEqual([1, 1, c, c / cfg.squeeze_factor]);
    expect(weights['upsample.0.weight'].shape).toEqual([3, 3, c, 9 * c]);
  });

  it('mapped weights reproduce the stored output', () => {
    const { weights } = mapRcanOfficial(load('tiny_rcan_official_x3_legacy.pt'));
    const out = rcanForward(weights, cfg, fromNchw(VECTORS.tiny_rcan.input, VECTORS.tiny_rcan.input_shape));
    expect([1, out.c, out.h, out.w]).toEqual(VECTORS.tiny_rcan.output_shape);
    expectClose(toNchw(out), VECTORS.tiny_rcan.output, 2e-5);
  });
});

describe('SwinIR', () => {
  it('keeps names, drops index/mask buffers, transposes linears, converts convs', () => {
    const cfg = VECTORS.tiny_swinir.config;
    const sd = load('tiny_swinir_x2_zip.pth');
    expect(detectLayout(Object.keys(sd))).toBe('basicsr');
    const { weights, dropped } = mapSwinir(sd);
    const nBlocks = cfg.depths.reduce((a: number, b: number) => a + b, 0);
    const nOdd = cfg.depths.reduce((a: number, d: number) => a + Math.floor(d / 2), 0);
    expect(dropped.filter((k) => k.endsWith('.relative_position_index'))).toHaveLength(nBlocks);
    expect(dropped.filter((k) => k.endsWith('.attn_mask'))).toHaveLength(nOdd);
    expect(dropped).toHaveLength(nBlocks + nOdd);
    expect(Object.keys(weights)).toEqual(Object.keys(sd).filter((k) => !dropped.includes(k)));
    const c = cfg.embed_dim;
    const q = 'layers.0.residual_group.blocks.1.attn.qkv.weight';
    expect(weights[q].shape).toEqual([c, 3 * c]);
    for (let o = 0; o < 3 * c; o++) for (let i = 0; i < c; i++) expect(weights[q].data[i * 3 * c + o]).toBe(sd[q].data[o * c + i]);
    expect(weights['layers.1.residual_group.blocks.0.mlp.fc2.weight'].shape).toEqual([cfg.mlp_ratio * c, c]);
    expect(weights['layers.1.residual_group.blocks.0.attn.relative_position_bias_table'].shape).toEqual([(2 * cfg.window_size - 1) ** 2, cfg.num_heads[1]]);
    expect(weights['conv_before_upsample.0.weight'].shape).toEqual([3, 3, c, cfg.num_feat]);
    expect(weights['patch_embed.norm.weight'].shape).toEqual([c]);
    for (const t of Object.values(weights) as KitTensor[]) expect(t.data).toBeInstanceOf(Float32Array);
  });
});
