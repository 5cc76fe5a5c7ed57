/**
 * Creates a network's tf.Variables in state_dict order, keyed by BasicSR names.
 *
 * tfjs keeps one global registry of variable names, so two nets with the same BasicSR keys (a teacher and a
 * student) would collide. Each builder therefore gets a unique prefix for `Variable.name`
 * (`srnet<id>/conv_first.weight`); the `params` map itself is keyed by the plain BasicSR key.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../util/rng';
import { constantInit, truncNormal, uniformFanIn } from './init';

export type ConvWeights = { weight: tf.Variable; bias: tf.Variable }; // weight HWIO [k, k, in, out]
export type LinearWeights = { weight: tf.Variable; bias: tf.Variable }; // weight [in, out]
export type NormWeights = { weight: tf.Variable; bias: tf.Variable }; // [C] each

let nextNetId = 0;

export class ParamBuilder {
  readonly params = new Map<string, tf.Variable>();
  private readonly prefix: string;

  constructor(private readonly rng: Rng) {
    this.prefix = `srnet${nextNetId++}/`;
  }

  /** Adds one variable under `key` with the given values. */
  add(key: string, shape: number[], values: Float32Array): tf.Variable {
    if (this.params.has(key)) throw new Error(`duplicate parameter key '${key}'`);
    const init = tf.tensor(values, shape, 'float32');
    const v = tf.variable(init, true, this.prefix + key);
    init.dispose(); // the variable holds its own reference to the data
    this.params.set(key, v);
    return v;
  }

  /** k x k convolution with bias, PyTorch default init (fan_in = cin * k * k). */
  conv(key: string, k: number, cin: number, cout: number): ConvWeights {
    const fanIn = cin * k * k;
    const weight = this.add(`${key}.weight`, [k, k, cin, cout], uniformFanIn(this.rng, k * k * cin * cout, fanIn));
    const bias = this.add(`${key}.bias`, [cout], uniformFanIn(this.rng, cout, fanIn));
    return { weight, bias };
  }

  /** Linear layer, SwinIR init: weight trunc_normal(std 0.02) stored [in, out], bias 0. */
  linear(key: string, fin: number, fout: number): LinearWeights {
    const weight = this.add(`${key}.weight`, [fin, fout], truncNormal(this.rng, fin * fout, 0.02));
    const bias = this.add(`${key}.bias`, [fout], constantInit(fout, 0));
    return { weight, bias };
  }

  /** LayerNorm affine parameters: weight 1, bias 0. */
  layerNorm(key: string, c: number): NormWeights {
    const weight = this.add(`${key}.weight`, [c], constantInit(c, 1));
    const bias = this.add(`${key}.bias`, [c], constantInit(c, 0));
    return { weight, bias };
  }

  /** A trunc_normal(std 0.02) tensor, e.g. SwinIR's relative_position_bias_table. */
  truncNormal(key: string, shape: number[]): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.add(key, shape, truncNormal(this.rng, n, 0.02));
  }

  /** Disposes everything created so far (used when construction fails half-way). */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}
