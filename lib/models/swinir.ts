/**
 * SwinIR (Liang et al. 2021), classical ('pixelshuffle') and lightweight ('pixelshuffledirect') SR,
 * official/BasicSR key layout (`network_swinir.py`, `swinir_arch.py`). Tokens are kept as NHWC feature maps
 * (row-major tokens = NHWC flattening), so LayerNorm works over the last axis directly.
 *
 * Inputs whose height/width are not multiples of the window size are padded bottom/right with BasicSR's
 * reflect convention (`padLrForWindow`) and the output is cropped back to (H*s, W*s). Taps are cropped to the
 * unpadded LR size too, so teacher and student taps line up whatever the padding.
 * Training forwards can use stochastic depth (layers/drop-path.ts, BasicSR's drop_path_rate) once `setDropPath`
 * gives a context; without one (the default, and always at inference) the net is deterministic.
 * Taps: 'head' (conv_first output), 'body.{k}' (output of RSTB k, before the final norm), 'body.out'
 * (conv_after_body + long skip).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale, TapName } from '../types';
import type { Rng } from '../util/rng';
import { conv2dBias } from './layers/conv';
import { gelu } from './layers/gelu';
import { layerNorm } from './layers/layer-norm';
import { linear } from './layers/linear';
import { addMean, subtractMean } from './layers/mean-shift';
import { assembleNet } from './layers/assemble';
import { blockScope } from './layers/block-scope';
import type { ConvWeights, LinearWeights, NormWeights } from './layers/param-builder';
import { pixelShuffle } from './layers/pixel-shuffle';
import { cropTo, padAmount, reflectPadToMultiple } from './layers/reflect-pad';
import { type DropPathContext, dropPath, dropPathRates, keepMask } from './layers/drop-path';
import { relativePositionOneHot } from './layers/relative-position';
import { roll } from './layers/roll';
import { shiftWindowMask } from './layers/shift-mask';
import { type UpsampleStage, makeUpsample, upsample } from './layers/upsample';
import { type WindowAttentionWeights, windowAttention } from './layers/window-attention';
import { windowMerge, windowPartition } from './layers/window-partition';
import type { SRNet, SwinIRConfig } from './types';

export { cropTo, padAmount } from './layers/reflect-pad';

const IMG_RANGE = 1;

type SwinLayer = { norm1: NormWeights; attn: WindowAttentionWeights; norm2: NormWeights; fc1: LinearWeights; fc2: LinearWeights };
type Rstb = { layers: SwinLayer[]; heads: number; conv: ConvWeights };

/** Pads an NHWC LR batch bottom/right to a multiple of the window size (BasicSR 'reflect'); `x` itself if none needed. */
export function padLrForWindow(lr: tf.Tensor4D, windowSize: number): tf.Tensor4D {
  return reflectPadToMultiple(lr, windowSize);
}

export function swinirTaps(cfg: SwinIRConfig): TapName[] {
  return ['head', ...cfg.depths.map((_, k) => `body.${k}`), 'body.out'];
}

/** Cyclic shift of the odd layers: ws/2 (4 for ws = 8). */
export function swinShift(windowSize: number): number {
  return Math.floor(windowSize / 2);
}

/** Keep decisions of one Swin block's two residual branches (layers/drop-path.ts); null: no drop path. */
export type BlockDrop = { readonly prob: number; readonly attn: Float32Array; readonly mlp: Float32Array } | null;

export function swinLayer(
  x: tf.Tensor4D,
  p: SwinLayer,
  heads: number,
  ws: number,
  shift: number,
  relOneHot: tf.Tensor2D,
  mask: tf.Tensor3D | null,
  drop: BlockDrop = null,
): tf.Tensor4D {
  const [b, h, w] = x.shape;
  let y = layerNorm(x, p.norm1);
  if (shift > 0) y = roll(roll(y, -shift, 1), -shift, 2);
  const win = windowAttention(windowPartition(y, ws), p.attn, heads, relOneHot, shift > 0 ? mask : null);
  y = windowMerge(win, ws, b, h, w);
  if (shift > 0) y = roll(roll(y, shift, 1), shift, 2);
  // BasicSR: x = shortcut + drop_path(x); x = x + drop_path(mlp(norm2(x)))
  const x1 = tf.add<tf.Tensor4D>(x, dropPath(y, drop?.attn ?? null, drop?.prob ?? 0));
  const m = linear(gelu(linear(layerNorm(x1, p.norm2), p.fc1)), p.fc2);
  return tf.add(x1, dropPath(m, drop?.mlp ?? null, drop?.prob ?? 0));
}

/** Builds a SwinIR with fresh weights drawn from `rng` (validate `cfg` first: see build.ts). */
export function buildSwinIR(cfg: SwinIRConfig, scale: Scale, rng: Rng): SRNet {
  return assembleNet(rng, (pb) => {
    const c = cfg.embedDim;
    const ws = cfg.windowSize;
    const shift = swinShift(ws);
    const hidden = Math.floor(c * cfg.mlpRatio);
    const span = 2 * ws - 1;
    const convFirst = pb.conv('conv_first', 3, 3, c);
    const patchNorm = pb.layerNorm('patch_embed.norm', c);
    const rstbs: Rstb[] = cfg.depths.map((depth, k) => {
      const heads = cfg.heads[k];
      const layers: SwinLayer[] = [];
      for (let d = 0; d < depth; d++) {
        const key = `layers.${k}.residual_group.blocks.${d}`;
        const norm1 = pb.layerNorm(`${key}.norm1`, c);
        const table = pb.truncNormal(`${key}.attn.relative_position_bias_table`, [span * span, heads]);
        const qkv = pb.linear(`${key}.attn.qkv`, c, 3 * c);
        const proj = pb.linear(`${key}.attn.proj`, c, c);
        const norm2 = pb.layerNorm(`${key}.norm2`, c);
        const fc1 = pb.linear(`${key}.mlp.fc1`, c, hidden);
        const fc2 = pb.linear(`${key}.mlp.fc2`, hidden, c);
        layers.push({ norm1, attn: { qkv, proj, table }, norm2, fc1, fc2 });
      }
      return { layers, heads, conv: pb.conv(`layers.${k}.conv`, 3, c, c) };
    });
    const norm = pb.layerNorm('norm', c);
    const convAfterBody = pb.conv('conv_after_body', 3, c, c);
    let tail: (r: tf.Tensor4D) => tf.Tensor4D;
    if (cfg.upsampler === 'pixelshuffle') {
      const f = cfg.upsampleFeats;
      const before = pb.conv('conv_before_upsample.0', 3, c, f);
      const ups: UpsampleStage[] = makeUpsample(pb, 'upsample', scale, f);
      const convLast = pb.conv('conv_last', 3, f, 3);
      tail = (r) => conv2dBias(upsample(tf.leakyRelu(conv2dBias(r, before), 0.01), ups), convLast);
    } else {
      const direct = pb.conv('upsample.0', 3, c, 3 * scale * scale);
      tail = (r) => pixelShuffle(conv2dBias(r, direct), scale);
    }
    const relOneHotValues = relativePositionOneHot(ws);
    const totalBlocks = cfg.depths.reduce((a, b) => a + b, 0);
    let dropCtx: DropPathContext | null = null;
    let dropRates: number[] = [];
    let dropCalls = 0;
    // Mask values per padded feature size (plain arrays, not tensors: they survive any caller's tidy).
    const maskCache = new Map<string, Float32Array>();
    const maskValues = (hp: number, wp: number): Float32Array => {
      const key = `${hp}x${wp}`;
      let m = maskCache.get(key);
      if (m === undefined) {
        m = shiftWindowMask(hp, wp, ws, shift);
        if (maskCache.size >= 8) maskCache.clear(); // a few sizes (train patch, eval images) at a time
        maskCache.set(key, m);
      }
      return m;
    };
    return {
      arch: cfg,
      scale,
      taps: swinirTaps(cfg),
      run(lr, tap) {
        const [, h, w] = lr.shape;
        const xp = padLrForWindow(lr, ws);
        const [, hp, wp] = xp.shape;
        // Built per call (cheap) rather than held by the net, so building inside a tidy cannot free them.
        const relOneHot = tf.tensor2d(relOneHotValues, [span * span, ws ** 4]);
        const needMask = shift > 0 && cfg.depths.some((d) => d > 1);
        const nW = (hp / ws) * (wp / ws);
        const mask = needMask ? tf.tensor3d(maskValues(hp, wp), [nW, ws * ws, ws * ws]) : null;
        const s = conv2dBias(subtractMean(xp, IMG_RANGE), convFirst);
        tap('head', () => cropTo(s, h, w));
        let x = layerNorm(s, patchNorm);
        const ctx = dropCtx;
        const call = ctx ? dropCalls++ : 0;
        const batch = lr.shape[0];
        let block = 0;
        rstbs.forEach((rstb, k) => {
          let y = x;
          rstb.layers.forEach((layer, d) => {
            const prob = ctx ? dropRates[block] : 0;
            const drop: BlockDrop = ctx && prob > 0
              ? { prob, attn: keepMask(ctx, call, block, 0, batch, prob), mlp: keepMask(ctx, call, block, 1, batch, prob) } : null;
            const input = y;
            y = blockScope(() => swinLayer(input, layer, rstb.heads, ws, d % 2 === 1 ? shift : 0, relOneHot, mask, drop));
            block++;
          });
          x = tf.add<tf.Tensor4D>(conv2dBias(y, rstb.conv), x);
          tap(`body.${k}`, () => cropTo(x, h, w));
        });
        const r = tf.add<tf.Tensor4D>(conv2dBias(layerNorm(x, norm), convAfterBody), s);
        tap('body.out', () => cropTo(r, h, w));
        return cropTo(addMean(tail(r), IMG_RANGE), h * scale, w * scale);
      },
      release: () => maskCache.clear(),
      setDropPath(c) {
        if (c !== null && !(c.rate >= 0 && c.rate < 1)) throw new Error(`drop path rate must be in [0, 1) (got ${c.rate})`);
        dropCtx = c !== null && c.rate > 0 ? c : null;
        dropRates = dropCtx ? dropPathRates(dropCtx.rate, totalBlocks) : [];
        dropCalls = 0;
      },
    };
  });
}

/** Padded LR size the SwinIR body actually runs on. */
export function paddedSize(h: number, w: number, windowSize: number): [number, number] {
  return [h + padAmount(h, windowSize), w + padAmount(w, windowSize)];
}
