/** The TF.js LayersModel builder shared by the per-backbone export graphs (lib/io/export-tfjs.ts uses it). */
import * as tf from '@tensorflow/tfjs';
import type { SRNet } from '../../models/types';
import { upsampleFactors } from '../../models/layers/upsample';
import { PixelShuffle } from '../tfjs-layers';

export type SymT = tf.SymbolicTensor;

/** Builds layers and remembers which kit params fill each one. */
export class GraphBuilder {
  readonly assignments: { layer: tf.layers.Layer; keys: string[] }[] = [];
  constructor(private readonly net: SRNet) {}

  /** Records that `layer`'s weights, in order, are the kit params `keys`. */
  bind(layer: tf.layers.Layer, keys: string[]): void {
    for (const k of keys) if (!this.net.params.has(k)) throw new Error(`exportTfjs: the net has no parameter '${k}'`);
    this.assignments.push({ layer, keys });
  }

  conv(x: SymT, key: string, activation?: 'relu' | 'sigmoid'): SymT {
    const w = this.net.params.get(`${key}.weight`);
    if (w === undefined) throw new Error(`exportTfjs: the net has no parameter '${key}.weight'`);
    const [k, , , filters] = w.shape;
    const layer = tf.layers.conv2d({
      name: key, filters, kernelSize: k, padding: k === 1 ? 'valid' : 'same', useBias: true, activation: activation ?? 'linear',
    });
    const y = layer.apply(x) as SymT;
    this.bind(layer, [`${key}.weight`, `${key}.bias`]);
    return y;
  }

  layerNorm(x: SymT, key: string): SymT {
    const layer = tf.layers.layerNormalization({ name: key, axis: -1, epsilon: 1e-5 });
    const y = layer.apply(x) as SymT;
    this.bind(layer, [`${key}.weight`, `${key}.bias`]);
    return y;
  }

  upsample(x: SymT, prefix: string, scale: number): SymT {
    let y = x;
    upsampleFactors(scale).forEach((r, i) => {
      y = new PixelShuffle({ name: `${prefix}.${2 * i + 1}`, factor: r }).apply(this.conv(y, `${prefix}.${2 * i}`)) as SymT;
    });
    return y;
  }

  /** Copies the kit weights into the built layers. */
  assign(): void {
    for (const { layer, keys } of this.assignments) layer.setWeights(keys.map((k) => this.net.params.get(k) as tf.Tensor));
  }
}

export const add = (name: string, a: SymT, b: SymT): SymT => tf.layers.add({ name }).apply([a, b]) as SymT;
