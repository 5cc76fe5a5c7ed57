/**
 * Test task for the data-parallel pool: the sr-l1 task, plus a fault injected on request
 * (`fault: 'throw'` throws inside terms, `fault: 'nan'` returns a NaN term) in one worker's share.
 */
import * as tf from '@tensorflow/tfjs';
import { createTask as createSrL1 } from '../../lib/parallel/sr-l1-task';
import type { TaskConfig, TrainTask } from '../../lib/parallel/task';

export async function createTask(config: TaskConfig): Promise<TrainTask> {
  const inner = await createSrL1(config);
  const fault = config.fault as 'throw' | 'nan' | undefined;
  return {
    variables: inner.variables,
    terms(inputs) {
      const terms = inner.terms(inputs);
      // Only shares whose first lr value is above 0.5 fail, so a test can pick the failing worker.
      const poisoned = (inputs.lr.dataSync() as Float32Array)[0] > 0.5;
      if (poisoned && fault === 'throw') throw new Error('injected failure in terms');
      if (poisoned && fault === 'nan') return { ...terms, bad: tf.scalar(NaN) };
      return terms;
    },
    dispose: () => inner.dispose(),
  };
}
