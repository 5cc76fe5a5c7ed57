/**
 * Reference task for the data-parallel pool and the benchmark: an SRNet trained with L1.
 * Config `{ arch, scale, seed }`; inputs `{ lr, hr }` (NHWC float32 in [0,1]); terms `{ l1 }`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scale } from '../types';
import { buildModel } from '../models/build';
import type { ArchConfig } from '../models/types';
import type { TaskConfig, TrainTask } from './task';

export type SrL1TaskConfig = { readonly arch: ArchConfig; readonly scale: Scale; readonly seed: number };

function assertConfig(c: TaskConfig): asserts c is TaskConfig & SrL1TaskConfig {
  if (typeof c.arch !== 'object' || c.arch === null) throw new Error('sr-l1 task: config.arch must be an ArchConfig');
  if (c.scale !== 2 && c.scale !== 3 && c.scale !== 4) throw new Error(`sr-l1 task: config.scale must be 2, 3 or 4 (got ${String(c.scale)})`);
  if (!Number.isInteger(c.seed)) throw new Error(`sr-l1 task: config.seed must be an integer (got ${String(c.seed)})`);
}

export async function createTask(config: TaskConfig): Promise<TrainTask> {
  assertConfig(config);
  const net = buildModel(config.arch, config.scale, { seed: config.seed });
  return {
    variables: Array.from(net.params.values()),
    terms(inputs: Record<string, tf.Tensor>): Record<string, tf.Scalar> {
      const { lr, hr } = inputs;
      if (!lr || !hr) throw new Error(`sr-l1 task needs inputs 'lr' and 'hr' (got ${Object.keys(inputs).join(', ')})`);
      const sr = net.forward(lr as tf.Tensor4D).out;
      return { l1: tf.mean(tf.abs(tf.sub(sr, hr))) as tf.Scalar };
    },
    dispose: () => net.dispose(),
  };
}
