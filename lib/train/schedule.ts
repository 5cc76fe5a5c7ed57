/**
 * MultiStep learning-rate schedule (the papers' protocol: 1e-4, x0.1 at 100k and 200k steps), BasicSR convention:
 * the scheduler advances before each iteration, so iteration i (1-based) runs at
 * `learningRate · gamma^(number of milestones m with m <= i)`; with milestones [100000] iterations
 * 1..99999 use the base rate and iteration 100000 is the first at the decayed rate.
 */
import type { TrainOptimConfig } from '../config/train';

/** Learning rate of the step that follows `completedSteps` finished steps (iteration completedSteps + 1). */
export function learningRateAt(optim: Pick<TrainOptimConfig, 'learningRate' | 'milestones' | 'gamma'>, completedSteps: number): number {
  const iteration = completedSteps + 1;
  let lr = optim.learningRate;
  for (const m of optim.milestones) if (m <= iteration) lr *= optim.gamma;
  return lr;
}
