/**
 * The custom TF.js layers an exported srkd model (lib/io/export-tfjs.ts) needs beyond what plain
 * @tensorflow/tfjs provides. Import this module (or call `registerSrkdLayers()`) before `tf.loadLayersModel`.
 * It depends only on @tensorflow/tfjs and the kit's pure layer functions (lib/models/layers), so it bundles
 * for the browser.
 *
 * - SrkdMeanShift: (x - mean) * range, or y / range + mean (DIV2K RGB mean; range 255 for EDSR/RCAN, 1 for SwinIR).
 * - SrkdPixelShuffle: PyTorch PixelShuffle, channel order CRD (tf.depthToSpace is DCR).
 * - SrkdScale: multiplication by a constant (EDSR's residual scale).
 * - SrkdWindowPad / SrkdCropToScale: SwinIR's bottom/right reflect padding to a multiple of the window size,
 *   and the crop of the output back to (H*s, W*s) of the unpadded input.
 * - SrkdSwinLayer: one Swin transformer layer (LN, shifted-window attention with relative position bias and the
 *   shift mask recomputed for the actual input size, LN, GELU MLP), as SwinIR's `network_swinir.py`.
 * Everything else (Conv2D, ReLU, LeakyReLU, Add, Multiply, GlobalAveragePooling2D, Reshape,
 * LayerNormalization) is stock tfjs-layers.
 */
import * as tf from '@tensorflow/tfjs';
import { gelu } from '../models/layers/gelu';
import { layerNorm } from '../models/layers/layer-norm';
import { linear } from '../models/layers/linear';
import { DIV2K_RGB_MEAN } from '../models/layers/mean-shift';
import type { LinearWeights, NormWeights } from '../models/layers/param-builder';
import { pixelShuffle } from '../models/layers/pixel-shuffle';
import { cropTo, reflectPadToMultiple } from '../models/layers/reflect-pad';
import { relativePositionOneHot } from '../models/layers/relative-position';
import { roll } from '../models/layers/roll';
import { shiftWindowMask } from '../models/layers/shift-mask';
import { windowAttention } from '../models/layers/window-attention';
import { windowMerge, windowPartition } from '../models/layers/window-partition';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function singleShape(s: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as Shape;
}

export interface MeanShiftArgs extends LayerArgs {
  readonly mode: 'sub' | 'add';
  readonly imgRange: number;
  readonly mean?: readonly number[];
}

/** sub: (x - mean) * imgRange; add: y / imgRange + mean. */
export class MeanShift extends tf.layers.Layer {
  static readonly className = 'SrkdMeanShift';
  readonly mode: 'sub' | 'add';
  readonly imgRange: number;
  readonly mean: number[];

  constructor(args: MeanShiftArgs) {
    super(args);
    this.mode = args.mode;
    this.imgRange = args.imgRange;
    this.mean = (args.mean ?? DIV2K_RGB_MEAN).slice();
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const mean = tf.tensor1d(this.mean);
      return this.mode === 'sub' ? tf.mul(tf.sub(x, mean), this.imgRange) : tf.add(tf.div(x, this.imgRange), mean);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, imgRange: this.imgRange, mean: this.mean };
  }
}

/** PyTorch PixelShuffle(r) on NHWC: out[n, h*r+i, w*r+j, c] = in[n, h, w, c*r*r + i*r + j]. */
export class PixelShuffle extends tf.layers.Layer {
  static readonly className = 'SrkdPixelShuffle';
  readonly factor: number;

  constructor(args: LayerArgs & { readonly factor: number }) {
    super(args);
    this.factor = args.factor;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = singleShape(s);
    const r = this.factor;
    return [n, h === null ? null : h * r, w === null ? null : w * r, c === null ? null : c / (r * r)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => pixelShuffle(one(inputs) as tf.Tensor4D, this.factor));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor };
  }
}

/** x * factor. */
export class Scale extends tf.layers.Layer {
  static readonly className = 'SrkdScale';
  readonly factor: number;

  constructor(args: LayerArgs & { readonly factor: number }) {
    super(args);
    this.factor = args.factor;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => tf.mul(one(inputs), this.factor));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor };
  }
}

/** Bottom/right 'reflect' padding to a multiple of `multiple` (BasicSR SwinIR test convention). */
export class WindowPad extends tf.layers.Layer {
  static readonly className = 'SrkdWindowPad';
  readonly multiple: number;

  constructor(args: LayerArgs & { readonly multiple: number }) {
    super(args);
    this.multiple = args.multiple;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w, c] = singleShape(s);
    const up = (v: number | null): number | null => (v === null ? null : Math.ceil(v / this.multiple) * this.multiple);
    return [n, up(h), up(w), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs) as tf.Tensor4D;
      const y = reflectPadToMultiple(x, this.multiple);
      return y === x ? tf.clone(x) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), multiple: this.multiple };
  }
}

/** Two inputs [y, x]: crops y to (H_x * scale, W_x * scale), top-left. */
export class CropToScale extends tf.layers.Layer {
  static readonly className = 'SrkdCropToScale';
  readonly scale: number;

  constructor(args: LayerArgs & { readonly scale: number }) {
    super(args);
    this.scale = args.scale;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    const [ys, xs] = s as tf.Shape[];
    const m = (v: number | null | undefined): number | null => (v === null || v === undefined ? null : v * this.scale);
    return [ys[0], m(xs[1]), m(xs[2]), ys[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const [y, x] = inputs as [tf.Tensor4D, tf.Tensor4D];
      const out = cropTo(y, x.shape[1] * this.scale, x.shape[2] * this.scale);
      return out === y ? tf.clone(y) : out;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}

export interface SwinLayerArgs extends LayerArgs {
  readonly dim: number;
  readonly heads: number;
  readonly windowSize: number;
  /** 0 for even layers, windowSize/2 for odd ones. */
  readonly shift: number;
  readonly hidden: number;
}

/** Weight order of SrkdSwinLayer (kit/BasicSR suffixes after `layers.{k}.residual_group.blocks.{d}.`). */
export const SWIN_LAYER_WEIGHTS: readonly string[] = [
  'norm1.weight', 'norm1.bias', 'attn.relative_position_bias_table', 'attn.qkv.weight', 'attn.qkv.bias',
  'attn.proj.weight', 'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias',
  'mlp.fc2.weight', 'mlp.fc2.bias',
];

/** One Swin transformer layer on NHWC features (H, W multiples of the window size). */
export class SwinLayer extends tf.layers.Layer {
  static readonly className = 'SrkdSwinLayer';
  readonly dim: number;
  readonly heads: number;
  readonly windowSize: number;
  readonly shift: number;
  readonly hidden: number;
  private w: tf.LayerVariable[] = [];

  constructor(args: SwinLayerArgs) {
    super(args);
    this.dim = args.dim;
    this.heads = args.heads;
    this.windowSize = args.windowSize;
    this.shift = args.shift;
    this.hidden = args.hidden;
  }

  override build(_inputShape: tf.Shape | tf.Shape[]): void {
    const c = this.dim;
    const span = 2 * this.windowSize - 1;
    const shapes: Record<string, number[]> = {
      'norm1.weight': [c], 'norm1.bias': [c], 'attn.relative_position_bias_table': [span * span, this.heads],
      'attn.qkv.weight': [c, 3 * c], 'attn.qkv.bias': [3 * c], 'attn.proj.weight': [c, c], 'attn.proj.bias': [c],
      'norm2.weight': [c], 'norm2.bias': [c], 'mlp.fc1.weight': [c, this.hidden], 'mlp.fc1.bias': [this.hidden],
      'mlp.fc2.weight': [this.hidden, c], 'mlp.fc2.bias': [c],
    };
    this.w = SWIN_LAYER_WEIGHTS.map((k) => this.addWeight(k.replace(/\./g, '_'), shapes[k], 'float32', tf.initializers.zeros()));
    this.built = true;
  }

  override computeOutputShape(s: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(s);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs) as tf.Tensor4D;
      const [b, h, w] = x.shape;
      const ws = this.windowSize;
      const v = this.w.map((lv) => lv.read());
      const pair = (i: number): NormWeights & LinearWeights =>
        ({ weight: v[i], bias: v[i + 1] }) as unknown as NormWeights & LinearWeights; // plain tensors suffice
      const relOneHot = tf.tensor2d(relativePositionOneHot(ws), [(2 * ws - 1) ** 2, ws * ws * ws * ws]);
      const nW = (h / ws) * (w / ws);
      const mask = this.shift > 0 ? tf.tensor3d(shiftWindowMask(h, w, ws, this.shift), [nW, ws * ws, ws * ws]) : null;
      let y = layerNorm(x, pair(0));
      if (this.shift > 0) y = roll(roll(y, -this.shift, 1), -this.shift, 2);
      const attn = { qkv: pair(3), proj: pair(5), table: v[2] as tf.Variable };
      const win = windowAttention(windowPartition(y, ws), attn, this.heads, relOneHot, mask);
      y = windowMerge(win, ws, b, h, w);
      if (this.shift > 0) y = roll(roll(y, this.shift, 1), this.shift, 2);
      const x1 = tf.add<tf.Tensor4D>(x, y);
      return tf.add(x1, linear(gelu(linear(layerNorm(x1, pair(7)), pair(9))), pair(11)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dim: this.dim, heads: this.heads, windowSize: this.windowSize, shift: this.shift, hidden: this.hidden };
  }
}

let registered = false;

/** Registers the srkd layers with tf.serialization (idempotent). Called on import. */
export function registerSrkdLayers(): void {
  if (registered) return;
  registered = true;
  for (const cls of [MeanShift, PixelShuffle, Scale, WindowPad, CropToScale, SwinLayer]) tf.serialization.registerClass(cls);
}

registerSrkdLayers();
