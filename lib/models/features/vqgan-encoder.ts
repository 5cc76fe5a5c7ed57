/**
 * The taming-transformers VQGAN encoder, `quant_conv` and codebook, as DCKD uses them (DCKD-code
 * `basicsr/archs/vqgan_arch.py`, config `network_vqgan`). Frozen (./frozen.ts).
 *
 * Architecture (NHWC here, NCHW there):
 * - `conv_in` 3x3; then per level i = 0..L-1: `num_res_blocks` ResnetBlocks of width ch*ch_mult[i], each followed
 *   by a single-head AttnBlock when the level's resolution is in `attn_resolutions`; all levels but the last end
 *   with a Downsample. The level resolution is `resolution` halved i times, a property of the config and not of
 *   the input size (for DCKD's f16 config, resolution 256 and attn_resolutions [16]: attention at level 4 only).
 * - ResnetBlock: GroupNorm(32, eps 1e-6) → swish → conv3 → GroupNorm → swish → conv3 (dropout 0), plus the input,
 *   through a 1x1 `nin_shortcut` when the width changes.
 * - AttnBlock: GroupNorm → 1x1 q, k, v → softmax(q kᵀ / sqrt(C)) over keys → weighted values → 1x1 proj_out, plus
 *   the input.
 * - Downsample: zero pad (left 0, right 1, top 0, bottom 1), then a 3x3 stride-2 conv without padding.
 * - Middle: ResnetBlock, AttnBlock, ResnetBlock; then GroupNorm → swish → conv_out (z_channels); `quant_conv` 1x1.
 *
 * `features(x)` is DCKD's `get_feas`: the output of the **first** ResnetBlock of every level (before that
 * level's attention); the last level stops there. For a 192-px image and the f16 config: 192, 96, 48, 24, 12 px
 * with 128, 128, 256, 256, 512 channels. `codeLogits(x)` is −‖z − e_k‖² per latent position (rows ordered
 * batch, row, column), and `codeDistribution(x)` its softmax over the codebook: DCKD's `VectorQuantizerD`
 * computes softmax(d_max − d), the same distribution. DCKD feeds SR images as [0, 1] values (no [−1, 1]
 * remapping), so the kit does too.
 */
import * as tf from '@tensorflow/tfjs';
import type { KitWeights } from '../../io/weight-maps/basicsr';
import { Rng } from '../../util/rng';
import { type ConvParams, frozenConv2d } from '../layers/conv';
import { groupNorm, type NormParams } from '../layers/group-norm';
import { constantInit, uniformFanIn } from '../layers/init';
import { FrozenWeights } from './frozen';

export interface VqganConfig {
  readonly inChannels: number;
  readonly ch: number;
  readonly chMult: readonly number[];
  readonly numResBlocks: number;
  /** Level resolutions (of `resolution`) that carry attention blocks. */
  readonly attnResolutions: readonly number[];
  readonly resolution: number;
  readonly zChannels: number;
  readonly embedDim: number;
  readonly nEmbed: number;
}

/** DCKD's `network_vqgan` (VQGAN_f16_n1024, taming-transformers ImageNet f16 / 1024 codes). */
export const DCKD_VQGAN_CONFIG: VqganConfig = {
  inChannels: 3, ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, attnResolutions: [16], resolution: 256,
  zChannels: 256, embedDim: 256, nEmbed: 1024,
};

/** The shared test fixture's encoder (ch 32, z 32, codebook 64 x 32): offline pipeline checks with `randomVqgan`. */
export const SMOKE_VQGAN_CONFIG: VqganConfig = { ...DCKD_VQGAN_CONFIG, ch: 32, zChannels: 32, embedDim: 32, nEmbed: 64 };

/** DCKD's layer weights λ_i for the five `get_feas` maps (DCKD appendix; code `cl_opt.weights`). */
export const DCKD_FEATURE_WEIGHTS: readonly number[] = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1];

const GROUPS = 32;
const EPS = 1e-6;

/** Levels that carry attention: resolution halved (integer division, as the original) once per level. */
export function attentionLevels(cfg: VqganConfig): number[] {
  const out: number[] = [];
  let res = cfg.resolution;
  for (let i = 0; i < cfg.chMult.length; i++) {
    if (cfg.attnResolutions.includes(res)) out.push(i);
    if (i !== cfg.chMult.length - 1) res = Math.floor(res / 2);
  }
  return out;
}

function countIndexed(keys: readonly string[], re: RegExp): number {
  let n = 0;
  for (const k of keys) {
    const m = re.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/**
 * The config implied by the tensor shapes; `base` (default DCKD_VQGAN_CONFIG) supplies `resolution`, which the
 * shapes cannot tell, and `attnResolutions` when they agree with the attention blocks found.
 */
export function inferVqganConfig(weights: KitWeights, base: VqganConfig = DCKD_VQGAN_CONFIG, source = 'VQGAN weights'): VqganConfig {
  const keys = Object.keys(weights);
  const shape = (key: string): number[] => {
    const t = weights[key];
    if (t === undefined) throw new Error(`${source}: cannot infer the VQGAN config: no '${key}'`);
    return t.shape;
  };
  const [, , inChannels, ch] = shape('encoder.conv_in.weight');
  const levels = countIndexed(keys, /^encoder\.down\.(\d+)\./);
  if (levels === 0) throw new Error(`${source}: no encoder.down.N keys`);
  const numResBlocks = countIndexed(keys, /^encoder\.down\.0\.block\.(\d+)\./);
  const chMult: number[] = [];
  for (let i = 0; i < levels; i++) {
    const out = shape(`encoder.down.${i}.block.0.conv1.weight`)[3];
    if (out % ch !== 0) throw new Error(`${source}: 'encoder.down.${i}.block.0.conv1.weight' has ${out} outputs, not a multiple of ch = ${ch}`);
    chMult.push(out / ch);
  }
  const [, , zChannels, embedDim] = shape('quant_conv.weight');
  const zOut = shape('encoder.conv_out.weight')[3];
  if (zOut !== zChannels) {
    throw new Error(`${source}: encoder.conv_out gives ${zOut} channels but quant_conv takes ${zChannels} (double_z encoders are not VQGANs)`);
  }
  const [nEmbed, codeDim] = shape('quantize.embedding.weight');
  if (codeDim !== embedDim) throw new Error(`${source}: codebook vectors have ${codeDim} values but quant_conv gives ${embedDim}`);
  const attnLevels = Array.from({ length: levels }, (_, i) => i).filter((i) => keys.includes(`encoder.down.${i}.attn.0.norm.weight`));
  const cfg: VqganConfig = { inChannels, ch, chMult, numResBlocks, attnResolutions: base.attnResolutions, resolution: base.resolution, zChannels, embedDim, nEmbed };
  const fromBase = attentionLevels(cfg);
  if (fromBase.join() === attnLevels.join()) return cfg;
  // The file's attention blocks win: name the level resolutions that carry them.
  const attnResolutions = attnLevels.map((i) => Math.floor(base.resolution / 2 ** i));
  return { ...cfg, attnResolutions };
}

export interface VqganEncoder {
  readonly config: VqganConfig;
  /** Levels with attention blocks (from the config, not the input size). */
  readonly attnLevels: readonly number[];
  readonly weights: FrozenWeights;
  /** DCKD `get_feas`: the first ResnetBlock output of every level, [B, H/2^i, W/2^i, ch*chMult[i]]. */
  features(x: tf.Tensor4D): tf.Tensor4D[];
  /** encoder + quant_conv: z, [B, H/2^(L-1), W/2^(L-1), embedDim]. */
  encode(x: tf.Tensor4D): tf.Tensor4D;
  /** −‖z − e_k‖² for every latent position (rows: batch, row, column) and code k: [positions, nEmbed]. */
  codeLogits(x: tf.Tensor4D): tf.Tensor2D;
  /** softmax of `codeLogits` over the codebook (DCKD Eq. 8, `VectorQuantizerD`): [positions, nEmbed]. */
  codeDistribution(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * `features` and `codeLogits` from one encoder pass: the feature maps are a prefix of the pass that ends in
   * the logits (same kernels on the same shapes, so the same values as the two calls).
   */
  featuresAndCodeLogits(x: tf.Tensor4D): { features: tf.Tensor4D[]; logits: tf.Tensor2D };
  dispose(): void;
}

function swish(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mul(x, tf.sigmoid(x));
}

type ResBlock = { norm1: NormParams; conv1: ConvParams; norm2: NormParams; conv2: ConvParams; shortcut: ConvParams | null };
type AttnBlock = { norm: NormParams; q: ConvParams; k: ConvParams; v: ConvParams; proj: ConvParams };

function resBlock(x: tf.Tensor4D, p: ResBlock): tf.Tensor4D {
  let h = frozenConv2d(swish(groupNorm(x, p.norm1, GROUPS, EPS)), p.conv1);
  h = frozenConv2d(swish(groupNorm(h, p.norm2, GROUPS, EPS)), p.conv2);
  return tf.add(p.shortcut ? frozenConv2d(x, p.shortcut) : x, h);
}

function attnBlock(x: tf.Tensor4D, p: AttnBlock): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const n = groupNorm(x, p.norm, GROUPS, EPS);
  const flat = (t: tf.Tensor4D): tf.Tensor3D => tf.reshape(t, [b, h * w, c]);
  const q = flat(frozenConv2d(n, p.q));
  const k = flat(frozenConv2d(n, p.k));
  const v = flat(frozenConv2d(n, p.v));
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), c ** -0.5)); // [b, query, key]
  const out = tf.reshape(tf.matMul(att, v), [b, h, w, c]) as tf.Tensor4D;
  return tf.add(x, frozenConv2d(out, p.proj));
}

function downsample(x: tf.Tensor4D, p: ConvParams): tf.Tensor4D {
  return frozenConv2d(tf.pad(x, [[0, 0], [0, 1], [0, 1], [0, 0]]), p, { strides: 2, pad: 'valid' });
}

/** Builds the frozen encoder from kit-layout weights (lib/io/weight-maps/vqgan-taming.ts); every key must be used. */
export function vqganFromWeights(weights: KitWeights, cfg: VqganConfig, source = 'VQGAN weights'): VqganEncoder {
  const frozen = new FrozenWeights(`VQGAN encoder (${source})`);
  try {
    const used = new Set<string>();
    const take = (key: string, shape: number[]): tf.Tensor => {
      const t = weights[key];
      if (t === undefined) throw new Error(`${source}: missing '${key}' (shape [${shape}])`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`${source}: '${key}' has shape [${t.shape}], expected [${shape}]`);
      }
      used.add(key);
      return frozen.add(key, t);
    };
    const conv = (key: string, k: number, cin: number, cout: number): ConvParams =>
      ({ weight: take(`${key}.weight`, [k, k, cin, cout]), bias: take(`${key}.bias`, [cout]) });
    const norm = (key: string, c: number): NormParams => {
      if (c % GROUPS !== 0) throw new Error(`${source}: '${key}' normalises ${c} channels, not a multiple of the ${GROUPS} groups`);
      return { weight: take(`${key}.weight`, [c]), bias: take(`${key}.bias`, [c]) };
    };
    const res = (key: string, cin: number, cout: number): ResBlock => ({
      norm1: norm(`${key}.norm1`, cin), conv1: conv(`${key}.conv1`, 3, cin, cout),
      norm2: norm(`${key}.norm2`, cout), conv2: conv(`${key}.conv2`, 3, cout, cout),
      shortcut: cin !== cout ? conv(`${key}.nin_shortcut`, 1, cin, cout) : null,
    });
    const attn = (key: string, c: number): AttnBlock => ({
      norm: norm(`${key}.norm`, c), q: conv(`${key}.q`, 1, c, c), k: conv(`${key}.k`, 1, c, c),
      v: conv(`${key}.v`, 1, c, c), proj: conv(`${key}.proj_out`, 1, c, c),
    });

    const attnLevels = attentionLevels(cfg);
    const L = cfg.chMult.length;
    const convIn = conv('encoder.conv_in', 3, cfg.inChannels, cfg.ch);
    const levels: { blocks: ResBlock[]; attns: AttnBlock[]; down: ConvParams | null }[] = [];
    let cin = cfg.ch;
    for (let i = 0; i < L; i++) {
      const cout = cfg.ch * cfg.chMult[i];
      const blocks: ResBlock[] = [];
      const attns: AttnBlock[] = [];
      for (let j = 0; j < cfg.numResBlocks; j++) {
        blocks.push(res(`encoder.down.${i}.block.${j}`, cin, cout));
        cin = cout;
        if (attnLevels.includes(i)) attns.push(attn(`encoder.down.${i}.attn.${j}`, cout));
      }
      levels.push({ blocks, attns, down: i !== L - 1 ? conv(`encoder.down.${i}.downsample.conv`, 3, cout, cout) : null });
    }
    const mid = { b1: res('encoder.mid.block_1', cin, cin), attn: attn('encoder.mid.attn_1', cin), b2: res('encoder.mid.block_2', cin, cin) };
    const normOut = norm('encoder.norm_out', cin);
    const convOut = conv('encoder.conv_out', 3, cin, cfg.zChannels);
    const quantConv = conv('quant_conv', 1, cfg.zChannels, cfg.embedDim);
    const codebook = take('quantize.embedding.weight', [cfg.nEmbed, cfg.embedDim]);
    const unused = Object.keys(weights).filter((k) => !used.has(k));
    if (unused.length) throw new Error(`${source}: weights the config does not use: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);

    const checkInput = (x: tf.Tensor4D): void => {
      if (x.rank !== 4 || x.shape[3] !== cfg.inChannels) throw new Error(`VQGAN encoder: input must be [B, H, W, ${cfg.inChannels}] (got [${x.shape}])`);
    };
    /** Runs levels 0..; `onFirst(i, h)` sees each level's first block output; stops early when it returns true. */
    const runLevels = (x: tf.Tensor4D, onFirst: (i: number, h: tf.Tensor4D) => boolean): tf.Tensor4D => {
      let h = frozenConv2d(x, convIn);
      for (let i = 0; i < L; i++) {
        const lv = levels[i];
        for (let j = 0; j < lv.blocks.length; j++) {
          h = resBlock(h, lv.blocks[j]);
          if (j === 0 && onFirst(i, h)) return h;
          if (lv.attns.length) h = attnBlock(h, lv.attns[j]);
        }
        if (lv.down) h = downsample(h, lv.down);
      }
      return h;
    };
    /**
     * encoder + quant_conv, in the caller's tidy; `onFirst` as in runLevels, here only to see the maps (the pass
     * runs to the end).
     */
    const encodeSeeing = (x: tf.Tensor4D, onFirst: (i: number, h: tf.Tensor4D) => void): tf.Tensor4D => {
      checkInput(x);
      let h = runLevels(x, (i, first) => {
        onFirst(i, first);
        return false;
      });
      h = resBlock(attnBlock(resBlock(h, mid.b1), mid.attn), mid.b2);
      h = frozenConv2d(swish(groupNorm(h, normOut, GROUPS, EPS)), convOut);
      return frozenConv2d(h, quantConv);
    };
    const encode = (x: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => encodeSeeing(x, () => undefined));
    const logitsOf = (encoded: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => {
      const z = tf.reshape(encoded, [-1, cfg.embedDim]) as tf.Tensor2D;
      // d = ‖z‖² + ‖e‖² − 2 z·e, as VectorQuantizerD computes it.
      const d = tf.sub(tf.add(tf.sum(tf.square(z), 1, true), tf.sum(tf.square(codebook), 1)), tf.mul(tf.matMul(z, codebook, false, true), 2));
      return tf.neg(d) as tf.Tensor2D;
    });
    const codeLogits = (x: tf.Tensor4D): tf.Tensor2D => tf.tidy(() => logitsOf(encode(x)));
    return {
      config: cfg, attnLevels, weights: frozen,
      features(x) {
        checkInput(x);
        return tf.tidy(() => {
          const out: tf.Tensor4D[] = [];
          runLevels(x, (i, h) => {
            out.push(h);
            return i === L - 1;
          });
          return out;
        });
      },
      encode,
      codeLogits,
      codeDistribution: (x) => tf.tidy(() => tf.softmax(codeLogits(x)) as tf.Tensor2D),
      featuresAndCodeLogits: (x) => tf.tidy(() => {
        const maps: tf.Tensor4D[] = [];
        // the first-block maps of every level, as `features` returns them (it stops after the last level's)
        const logits = logitsOf(encodeSeeing(x, (_, h) => maps.push(h)));
        return { features: maps, logits };
      }),
      dispose: () => frozen.dispose(),
    };
  } catch (e) {
    frozen.dispose();
    throw e;
  }
}

/**
 * A VQGAN encoder with seeded random weights of the given config (PyTorch default conv init, GroupNorm 1 / 0,
 * codebook uniform(−1/n, 1/n) as VectorQuantizer initialises it); for offline pipeline checks only.
 */
export function randomVqgan(cfg: VqganConfig, seed = 0): VqganEncoder {
  const rng = new Rng(seed);
  const w: KitWeights = {};
  const conv = (key: string, k: number, cin: number, cout: number): void => {
    w[`${key}.weight`] = { dtype: 'float32', shape: [k, k, cin, cout], data: uniformFanIn(rng, k * k * cin * cout, cin * k * k) };
    w[`${key}.bias`] = { dtype: 'float32', shape: [cout], data: uniformFanIn(rng, cout, cin * k * k) };
  };
  const norm = (key: string, c: number): void => {
    w[`${key}.weight`] = { dtype: 'float32', shape: [c], data: constantInit(c, 1) };
    w[`${key}.bias`] = { dtype: 'float32', shape: [c], data: constantInit(c, 0) };
  };
  const res = (key: string, cin: number, cout: number): void => {
    norm(`${key}.norm1`, cin); conv(`${key}.conv1`, 3, cin, cout); norm(`${key}.norm2`, cout); conv(`${key}.conv2`, 3, cout, cout);
    if (cin !== cout) conv(`${key}.nin_shortcut`, 1, cin, cout);
  };
  const attn = (key: string, c: number): void => {
    norm(`${key}.norm`, c);
    for (const n of ['q', 'k', 'v', 'proj_out']) conv(`${key}.${n}`, 1, c, c);
  };
  const attnLevels = attentionLevels(cfg);
  conv('encoder.conv_in', 3, cfg.inChannels, cfg.ch);
  let cin = cfg.ch;
  cfg.chMult.forEach((m, i) => {
    const cout = cfg.ch * m;
    for (let j = 0; j < cfg.numResBlocks; j++) {
      res(`encoder.down.${i}.block.${j}`, cin, cout);
      cin = cout;
      if (attnLevels.includes(i)) attn(`encoder.down.${i}.attn.${j}`, cout);
    }
    if (i !== cfg.chMult.length - 1) conv(`encoder.down.${i}.downsample.conv`, 3, cout, cout);
  });
  res('encoder.mid.block_1', cin, cin);
  attn('encoder.mid.attn_1', cin);
  res('encoder.mid.block_2', cin, cin);
  norm('encoder.norm_out', cin);
  conv('encoder.conv_out', 3, cin, cfg.zChannels);
  conv('quant_conv', 1, cfg.zChannels, cfg.embedDim);
  const book = new Float32Array(cfg.nEmbed * cfg.embedDim);
  for (let i = 0; i < book.length; i++) book[i] = (2 * rng.next() - 1) / cfg.nEmbed;
  w['quantize.embedding.weight'] = { dtype: 'float32', shape: [cfg.nEmbed, cfg.embedDim], data: book };
  return vqganFromWeights(w, cfg, `random VQGAN (seed ${seed})`);
}
