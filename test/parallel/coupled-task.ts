/**
 * A batch-coupled test task for the engines: an SRNet trained with a contrastive ratio of batch means,
 *   L = mean|S(x) − y| / (mean|S(x) − n| + eps),   n = bicubic-free "negative": the whole batch's first HR
 * patch (every anchor is compared with the same sample, wherever it lives), plus an ordinary L1 term.
 * Neither the ratio nor the negative splits over shares, so the engine must all-reduce the sums (stats) and
 * hand each share the whole batch. The ratio term is a surrogate whose gradient is this share's part of ∇L and
 * whose value is L itself (see `ratioTerm`), so the pool's share-weighted average of values is L too.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../lib/models/build';
import type { TaskConfig, TermsCall, TrainTask } from '../../lib/parallel/task';

const EPS = 1e-3;

export async function createTask(config: TaskConfig): Promise<TrainTask> {
  const net = buildModel(config.arch as never, config.scale as 2, { seed: config.seed as number });
  const sums = (inputs: Record<string, tf.Tensor>, call: TermsCall): { num: tf.Scalar; den: tf.Scalar; sr: tf.Tensor } => {
    const sr = net.forward(inputs.lr as tf.Tensor4D).out;
    const neg = tf.slice(call.whole!.hr, [0, 0, 0, 0], [1, -1, -1, -1]); // the whole batch's first sample
    return { num: tf.sum(tf.abs(tf.sub(sr, inputs.hr))), den: tf.sum(tf.abs(tf.sub(sr, neg))), sr };
  };
  return {
    variables: Array.from(net.params.values()),
    wholeBatch: true,
    stats(inputs, call) {
      const { num, den } = sums(inputs, call);
      return { num: tf.reshape(num, [1]) as tf.Tensor1D, den: tf.reshape(den, [1]) as tf.Tensor1D, count: tf.tensor1d([inputs.hr.size]) };
    },
    terms(inputs, call) {
      if (!call?.totals) throw new Error('coupled task: no totals');
      const t = call.totals;
      const n = t.count[0];
      const D = t.num[0] / n;
      const E = t.den[0] / n + EPS;
      const share = call.batchSizeTotal > 0 ? inputs.hr.shape[0]! / call.batchSizeTotal : 1;
      const { num, den, sr } = sums(inputs, call);
      // d(D/E) = dD/E − D·dE/E²; this share's part, divided by its weight in the pool's weighted average
      const surrogate = tf.div(tf.sub(tf.div(num, n * E), tf.mul(den, D / (n * E * E))), share);
      // value L, gradient of the surrogate (the shift is a constant read from the surrogate's value)
      const ratio = tf.add(surrogate, D / E - surrogate.dataSync()[0]) as tf.Scalar;
      return { ratio, l1: tf.mean(tf.abs(tf.sub(sr, inputs.hr))) as tf.Scalar };
    },
    dispose: () => net.dispose(),
  };
}
