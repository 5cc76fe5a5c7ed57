/** Progress events of `train()` (step, terms, learning rate, s/step, ETA, live tensors) and the default terminal line. */
import { createProgress, type Progress } from '../util/progress';

export type TrainProgressEvent = {
  readonly runId: string;
  /** Completed steps. */
  readonly step: number;
  readonly totalSteps: number;
  /** Weighted loss terms of the last step (their sum is `total`). */
  readonly terms: Readonly<Record<string, number>>;
  readonly total: number;
  readonly learningRate: number;
  /** Mean seconds per step over the last log interval. */
  readonly secPerStep: number;
  readonly etaSec: number;
  /** tf.memory().numTensors in the main thread. */
  readonly numTensors: number;
  /** tf.memory().numTensors per worker. */
  readonly workerNumTensors: readonly number[];
};

/** A terminal progress line with ETA (stderr). */
export function terminalProgress(runId: string, totalSteps: number, startStep: number): { onProgress(e: TrainProgressEvent): void; done(text?: string): void } {
  const bar: Progress = createProgress({ total: totalSteps, label: `train ${runId}`, unit: 'steps' });
  let last = startStep;
  if (startStep > 0) bar.set(startStep);
  return {
    onProgress(e) {
      bar.tick(e.step - last, `loss ${e.total.toPrecision(4)}  lr ${e.learningRate.toExponential(1)}`);
      last = e.step;
    },
    done(text) {
      bar.done(text);
    },
  };
}
