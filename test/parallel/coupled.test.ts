/**
 * Batch-coupled losses under data parallelism: a ratio of batch means whose negative comes from another sample
 * (test/parallel/coupled-task.ts). The pool all-reduces the shares' statistics and hands every share the whole
 * batch, so 1, 2 and 3 workers and the in-process replica give the same losses, gradients and weights to float
 * tolerance; a reference computed here in plain tf on the whole batch agrees too.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../lib/backend/index';
import { DataParallelTrainer, type HostArray } from '../../lib/parallel/data-parallel';
import { buildModel } from '../../lib/models/build';
import { DEFAULT_OPTIMIZER } from '../../lib/parallel/protocol';
import { InProcessEngine } from '../../lib/train/in-process-engine';
import { Rng } from '../../lib/util/rng';
import { createTask } from './coupled-task';
import { maxRelDiff } from '../rel-diff';

const TASK = path.resolve(__dirname, 'coupled-task.ts');
const CONFIG = { arch: { arch: 'edsr', feats: 4, blocks: 1, resScale: 1 }, scale: 2, seed: 3 };
const P = 6;

function batch(n: number, seed: number): { lr: HostArray; hr: HostArray } {
  const rng = new Rng(seed);
  const u = (shape: number[]): HostArray => {
    const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = rng.next();
    return { shape, data };
  };
  return { lr: u([n, P, P, 3]), hr: u([n, 2 * P, 2 * P, 3]) };
}

const pools: DataParallelTrainer[] = [];
beforeAll(async () => {
  await initBackend({ announce: false });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.dispose()));
});

/** The ratio and its gradient on the whole batch, computed directly (no shares, no surrogate). */
function reference(b: { lr: HostArray; hr: HostArray }): { ratio: number; grads: Float32Array } {
  const net = buildModel(CONFIG.arch as never, 2, { seed: CONFIG.seed });
  try {
    const lr = tf.tensor4d(b.lr.data, b.lr.shape as [number, number, number, number]);
    const hr = tf.tensor4d(b.hr.data, b.hr.shape as [number, number, number, number]);
    const vars = Array.from(net.params.values());
    const { value, grads } = tf.variableGrads(() => {
      const sr = net.forward(lr).out;
      const neg = tf.slice(hr, [0, 0, 0, 0], [1, -1, -1, -1]);
      const ratio = tf.div(tf.mean(tf.abs(tf.sub(sr, hr))), tf.add(tf.mean(tf.abs(tf.sub(sr, neg))), 1e-3));
      return tf.add(ratio, tf.mean(tf.abs(tf.sub(sr, hr)))) as tf.Scalar;
    }, vars);
    const ratio = tf.tidy(() => {
      const sr = net.forward(lr).out;
      const neg = tf.slice(hr, [0, 0, 0, 0], [1, -1, -1, -1]);
      return tf.div(tf.mean(tf.abs(tf.sub(sr, hr))), tf.add(tf.mean(tf.abs(tf.sub(sr, neg))), 1e-3)).dataSync()[0];
    });
    const flat = Float32Array.from(vars.flatMap((v) => Array.from(grads[v.name].dataSync())));
    tf.dispose([lr, hr, value, grads]);
    return { ratio, grads: flat };
  } finally {
    net.dispose();
  }
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>): number => maxRelDiff([a], [b]);

describe('batch-coupled losses on the worker pool', () => {
  it('1, 2 and 3 workers give the full-batch ratio and gradient (not a mean of per-share ratios)', async () => {
    const b = batch(6, 11);
    const ref = reference(b);
    for (const workers of [1, 2, 3]) {
      const pool = await DataParallelTrainer.start({ taskModule: TASK, taskConfig: CONFIG, workers, announce: false });
      pools.push(pool);
      const g = await pool.computeGradients(b);
      expect(Math.abs(g.terms.ratio - ref.ratio)).toBeLessThan(1e-5 * ref.ratio);
      expect(maxRel(g.grads, ref.grads)).toBeLessThan(1e-4);
    }
  });

  it('a few Adam steps agree between 2 workers and the in-process replica', async () => {
    const pool = await DataParallelTrainer.start({ taskModule: TASK, taskConfig: CONFIG, workers: 2, announce: false });
    pools.push(pool);
    const inproc = await InProcessEngine.start({ createTask, taskConfig: CONFIG, optimizer: DEFAULT_OPTIMIZER });
    try {
      for (let s = 0; s < 3; s++) {
        const b = batch(4, 100 + s);
        const ctx = { step: s, seed: 0, batchSizeTotal: 4 };
        const r1 = await pool.step(b, { learningRate: 1e-2, context: ctx });
        const r2 = await (await inproc.step(batch(4, 100 + s), { learningRate: 1e-2, context: ctx, groups: 1 })).readTerms();
        expect(Math.abs(r1.terms.ratio - r2.ratio)).toBeLessThan(1e-5 * r2.ratio);
      }
      const [wp, wi] = [await pool.getWeights(), await inproc.getWeights()];
      wp.forEach((w, i) => expect(maxRel(w, wi[i])).toBeLessThan(1e-4));
    } finally {
      await inproc.dispose();
    }
  });
});
