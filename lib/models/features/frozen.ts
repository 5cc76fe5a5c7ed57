/**
 * Weights of the frozen feature networks (VGG-19 for CSD, the VQGAN encoder for DCKD): plain tensors, never
 * tf.Variables. tf.variableGrads and every optimiser only see variables, so nothing can update or even compute a
 * gradient for these weights, while gradients still flow through the network's ops to its input (the student's
 * output). Values come from a checkpoint (lib/io/frozen-nets.ts) or from a seeded initialiser (offline checks).
 */
import * as tf from '@tensorflow/tfjs';
import type { KitTensor } from '../../io/weight-maps/basicsr';
import type { ConvParams } from '../layers/conv';

export class FrozenWeights {
  private readonly map = new Map<string, tf.Tensor>();
  private disposed = false;

  /** `owner` names the network in error messages ("VGG-19", "VQGAN encoder"). */
  constructor(readonly owner: string) {}

  /** Adds one tensor; kept out of any enclosing tf.tidy (the network owns it until dispose()). */
  add(key: string, t: Pick<KitTensor, 'shape' | 'data'>): tf.Tensor {
    if (this.map.has(key)) throw new Error(`${this.owner}: duplicate weight '${key}'`);
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) throw new Error(`${this.owner}: weight '${key}' has ${t.data.length} values for shape [${t.shape}]`);
    const v = tf.keep(tf.tensor(t.data, t.shape.slice(), 'float32'));
    this.map.set(key, v);
    return v;
  }

  /** The tensor under `key`; a missing key is an error naming it. */
  get(key: string): tf.Tensor {
    const v = this.map.get(key);
    if (v === undefined) throw new Error(`${this.owner}: no weight '${key}'`);
    return v;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** `<prefix>.weight` (HWIO) and `<prefix>.bias` as one conv. */
  conv(prefix: string): ConvParams {
    return { weight: this.get(`${prefix}.weight`), bias: this.get(`${prefix}.bias`) };
  }

  /** Read-only view, in insertion order. */
  get tensors(): ReadonlyMap<string, tf.Tensor> {
    return this.map;
  }

  /** Total number of values. */
  get size(): number {
    let n = 0;
    for (const t of this.map.values()) n += t.size;
    return n;
  }

  /** Frees every tensor; idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.map.values()) t.dispose();
    this.map.clear();
  }
}

