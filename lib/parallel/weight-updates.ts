/**
 * The weight updates that end a training iteration: Adam and the EMA of the student's weights (BasicSR's
 * model_ema). Adam is tf.train.adam's algorithm with its state (moment slots named `<variable>/m` and `/v`, the
 * accumulated β powers), so checkpoints and resume do not depend on which path ran. On a backend that has the
 * kit's update kernels (webgpu: lib/backend/webgpu-kernels/weight-updates.ts) a variable's Adam update takes
 * 3 kernels instead of tfjs's 14 and its EMA update 1 instead of 3; on the others the stock ops run, bit for
 * bit as before.
 */
import * as tf from '@tensorflow/tfjs';
import { ADAM_MOMENT, ADAM_VALUE, EMA_UPDATE } from '../backend/webgpu-kernels/weight-updates';

/** tfjs's NamedVariableMap | NamedTensor[] (not re-exported by the tfjs union package). */
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];
type Slot = { originalName: string; variable: tf.Variable };
/** AdamOptimizer's private state, which the fused path updates exactly as applyGradients does. */
type AdamState = { accBeta1: tf.Variable; accBeta2: tf.Variable; accumulatedFirstMoment: Slot[]; accumulatedSecondMoment: Slot[] };

const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;
const run = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, number>): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor;

/** tf.train.adam whose update runs the backend's fused kernels where it has them. */
export class KitAdamOptimizer extends tf.AdamOptimizer {
  /** Whether applyGradients runs the fused kernels on the current backend. */
  static fused(): boolean {
    return hasKernel(ADAM_VALUE);
  }

  override applyGradients(variableGradients: Gradients): void {
    if (!KitAdamOptimizer.fused()) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] as tf.Tensor }));
    tf.tidy(() => {
      list.forEach(({ name, tensor: grad }, i) => {
        const value = tf.engine().registeredVariables[name];
        // slots created on first use, keyed by position, as tfjs does
        const slot = (suffix: string): Slot => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
        state.accumulatedFirstMoment[i] ??= slot('m');
        state.accumulatedSecondMoment[i] ??= slot('v');
        if (grad == null) return;
        const first = state.accumulatedFirstMoment[i].variable;
        const second = state.accumulatedSecondMoment[i].variable;
        const m = run(ADAM_MOMENT, { moment: first, grad }, { beta: this.beta1, order: 1 });
        const v = run(ADAM_MOMENT, { moment: second, grad }, { beta: this.beta2, order: 2 });
        const next = run(ADAM_VALUE, { theta: value, moment1: m, moment2: v, accBeta1: state.accBeta1, accBeta2: state.accBeta2 },
          { epsilon: this.epsilon, learningRate: this.learningRate });
        first.assign(m);
        second.assign(v);
        value.assign(next);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** θ_ema <- d·θ_ema + (1 - d)·θ (decay 0.999 in DUKD's configs). */
export function emaUpdate(ema: tf.Variable, value: tf.Tensor, decay: number): void {
  tf.tidy(() => {
    ema.assign(hasKernel(EMA_UPDATE) ? run(EMA_UPDATE, { ema, theta: value }, { decay }) : tf.add(tf.mul(ema, decay), tf.mul(value, 1 - decay)));
  });
}
