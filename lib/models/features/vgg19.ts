/**
 * VGG-19 `features` (torchvision layout) as a frozen feature extractor, for CSD's contrastive loss and the
 * documented `dcr-vgg` variant of DCKD.
 *
 * The layer list is rebuilt from the weights, so any widths work (torchvision's full file, or the shared fixture
 * with every width divided by 8): `features.N` holds a 3x3 conv (padding 1) at every index N with weights, a
 * ReLU at N+1, and a 2x2 / stride-2 max-pool at every other index (torchvision's `make_layers`: conv, ReLU, ...,
 * 'M'). VGG-19 therefore has convs at 0, 2, 5, 7, 10, ..., 34 and pools at 4, 9, 18, 27, 36.
 *
 * Taps are slice ends in torchvision's numbering: `forward(x, [2, 7])` returns the output of layers [0, 2) and
 * of [0, 7), i.e. relu1_1 and relu2_1. CSD (CSD-code `loss/contrast_loss.py`, `Vgg19`) uses the five slices
 * [0:2], [2:7], [7:12], [12:21], [21:30]: relu1_1, relu2_1, relu3_1, relu4_1, relu5_1.
 *
 * Input: CSD passes its 0-255 RGB tensors straight into torchvision's VGG, without the ImageNet mean/std
 * normalisation (CSD-code trains with rgb_range 255 and never normalises). So the kit feeds
 * `255 * image` (`vggInput(x, 'raw255')`). 'imagenet' ((x - mean) / std on [0,1] images, torchvision's usual
 * preprocessing) is offered for other uses and is not CSD's.
 *
 * Frozen: weights are plain tensors (./frozen.ts). Every forward runs inside tf.tidy; the caller owns the outputs.
 */
import * as tf from '@tensorflow/tfjs';
import type { KitWeights } from '../../io/weight-maps/basicsr';
import { Rng } from '../../util/rng';
import { type ConvParams, frozenConv2d } from '../layers/conv';
import { constantInit, kaimingNormalFanOut } from '../layers/init';
import { FrozenWeights } from './frozen';

/** CSD's taps: ends of the slices [0:2], [2:7], [7:12], [12:21], [21:30]. */
export const CSD_VGG_SLICE_ENDS: readonly number[] = [2, 7, 12, 21, 30];
export const CSD_VGG_TAP_NAMES: readonly string[] = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];

/** torchvision vgg19 ('E'): conv widths in order, and the `features` indices of the convs. */
export const VGG19_WIDTHS: readonly number[] = [64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];
export const VGG19_CONV_INDICES: readonly number[] = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34];

/** Every width divided by 8, as the shared test fixture: offline pipeline checks with `randomVgg19`. */
export const SMOKE_VGG19_WIDTHS: readonly number[] = VGG19_WIDTHS.map((w) => w / 8);

/** ImageNet mean / std of torchvision's preprocessing (for 'imagenet' input only). */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export type VggInputMode = 'raw255' | 'imagenet';

/** Maps [0,1] NHWC images to what the VGG expects: 'raw255' = 255·x (CSD), 'imagenet' = (x - mean) / std. */
export function vggInput(x01: tf.Tensor4D, mode: VggInputMode): tf.Tensor4D {
  return tf.tidy(() => {
    if (mode === 'raw255') return tf.mul(x01, 255);
    return tf.div(tf.sub(x01, tf.tensor1d(IMAGENET_MEAN)), tf.tensor1d(IMAGENET_STD));
  });
}

export type VggLayer =
  | { readonly kind: 'conv'; readonly index: number; readonly params: ConvParams }
  | { readonly kind: 'relu'; readonly index: number }
  | { readonly kind: 'pool'; readonly index: number };

export interface VggFeatures {
  /** torchvision `features` layers, index = position. */
  readonly layers: readonly VggLayer[];
  /** Output width of each conv, in order. */
  readonly convWidths: readonly number[];
  readonly weights: FrozenWeights;
  /**
   * The outputs of layers [0, end) for each of `ends` (ascending, 1..layers.length), e.g. CSD_VGG_SLICE_ENDS.
   * Runs only as far as the last end. Input NHWC, already mapped with `vggInput`.
   */
  forward(x: tf.Tensor4D, ends: readonly number[]): tf.Tensor4D[];
  dispose(): void;
}

/** Conv indices present in `weights` (keys features.N.weight), ascending. */
function convIndices(weights: KitWeights, source: string): number[] {
  const idx: number[] = [];
  for (const k of Object.keys(weights)) {
    const m = /^features\.(\d+)\.weight$/.exec(k);
    if (m) idx.push(Number(m[1]));
  }
  idx.sort((a, b) => a - b);
  if (idx.length === 0) throw new Error(`${source}: no features.N.weight keys (not a torchvision VGG)`);
  return idx;
}

/** Builds the frozen VGG from kit-layout weights (lib/io/weight-maps/vgg-torchvision.ts). */
export function vggFromWeights(weights: KitWeights, source = 'VGG weights'): VggFeatures {
  const idx = convIndices(weights, source);
  const frozen = new FrozenWeights(`VGG (${source})`);
  try {
    const layers: VggLayer[] = [];
    const widths: number[] = [];
    let cin = 3;
    idx.forEach((ci, j) => {
      const w = weights[`features.${ci}.weight`];
      const b = weights[`features.${ci}.bias`];
      if (b === undefined) throw new Error(`${source}: 'features.${ci}.weight' has no 'features.${ci}.bias'`);
      const [kh, kw, fin, fout] = w.shape;
      if (kh !== 3 || kw !== 3) throw new Error(`${source}: 'features.${ci}.weight' is ${kh}x${kw}; VGG convs are 3x3`);
      if (fin !== cin) throw new Error(`${source}: 'features.${ci}.weight' takes ${fin} channels but the layer before gives ${cin}`);
      if (b.shape.length !== 1 || b.shape[0] !== fout) throw new Error(`${source}: 'features.${ci}.bias' has shape [${b.shape}], expected [${fout}]`);
      while (layers.length < ci) layers.push({ kind: 'pool', index: layers.length });
      const params = { weight: frozen.add(`features.${ci}.weight`, w), bias: frozen.add(`features.${ci}.bias`, b) };
      layers.push({ kind: 'conv', index: ci, params }, { kind: 'relu', index: ci + 1 });
      const next = idx[j + 1];
      if (next !== undefined && next !== ci + 2 && next !== ci + 3) {
        throw new Error(`${source}: convs at features.${ci} and features.${next}: torchvision VGG has at most one pool between convs`);
      }
      widths.push(fout);
      cin = fout;
    });
    layers.push({ kind: 'pool', index: layers.length }); // the final 'M' of every torchvision VGG config
    return makeVgg(layers, widths, frozen);
  } catch (e) {
    frozen.dispose();
    throw e;
  }
}

function makeVgg(layers: readonly VggLayer[], convWidths: readonly number[], weights: FrozenWeights): VggFeatures {
  return {
    layers, convWidths, weights,
    forward(x, ends) {
      ends.forEach((e, i) => {
        if (!Number.isInteger(e) || e < 1 || e > layers.length || (i > 0 && e <= ends[i - 1])) {
          throw new Error(`VGG taps must be ascending slice ends in 1..${layers.length} (got [${ends.join(', ')}])`);
        }
      });
      const want = new Set(ends);
      const last = ends[ends.length - 1];
      return tf.tidy(() => {
        const out: tf.Tensor4D[] = [];
        let h = x;
        for (let i = 0; i < last; i++) {
          const layer = layers[i];
          if (layer.kind === 'conv') {
            // Apply the ReLU in the conv call unless a tap needs the pre-activation output.
            const fuse = layers[i + 1]?.kind === 'relu' && !want.has(i + 1) && i + 1 < last;
            h = frozenConv2d(h, layer.params, { activation: fuse ? 'relu' : 'linear' });
            if (fuse) i++;
          } else if (layer.kind === 'relu') {
            h = tf.relu(h);
          } else {
            h = tf.maxPool(h, 2, 2, 'valid'); // PyTorch MaxPool2d(2, 2): floor mode, same as 'valid'
          }
          if (want.has(i + 1)) out.push(h);
        }
        return out;
      });
    },
    dispose: () => weights.dispose(),
  };
}

/**
 * VGG-19 with seeded random weights (torchvision's init: kaiming normal fan_out, zero bias) and the given 16
 * conv widths; for offline pipeline checks only, never for results (the features mean nothing untrained).
 */
export function randomVgg19(widths: readonly number[] = VGG19_WIDTHS, seed = 0): VggFeatures {
  if (widths.length !== VGG19_CONV_INDICES.length || !widths.every((w) => Number.isInteger(w) && w > 0)) {
    throw new Error(`randomVgg19: widths must be 16 positive integers (got [${widths.join(', ')}])`);
  }
  const rng = new Rng(seed);
  const weights: KitWeights = {};
  let cin = 3;
  VGG19_CONV_INDICES.forEach((ci, j) => {
    const cout = widths[j];
    weights[`features.${ci}.weight`] = { dtype: 'float32', shape: [3, 3, cin, cout], data: kaimingNormalFanOut(rng, 9 * cin * cout, 9 * cout) };
    weights[`features.${ci}.bias`] = { dtype: 'float32', shape: [cout], data: constantInit(cout, 0) };
    cin = cout;
  });
  return vggFromWeights(weights, `random VGG-19 (seed ${seed})`);
}
