/**
 * Adam's and the EMA's per-tensor updates as one kernel each, for tfjs-webgpu. tf.train.adam updates a variable
 * with 14 element-wise kernels and the EMA with 3 (lib/parallel/weight-updates.ts): 17 dispatches per
 * variable, about 2,350 of a paper DUKD iteration's ~4,700 dispatched kernels for the 138 variables of an
 * EDSR 64x32 student, each a few microseconds of GPU work behind the fixed cost of encoding a dispatch. Here a
 * variable takes 4: the new first and second moments, the new value from them, the new EMA value. Kernels
 * have one output in tfjs, hence one per updated tensor.
 *
 * Each kernel does the stock ops' float32 arithmetic in the same order (scalars rounded to float32 as
 * tf.scalar rounds them); the shader compiler may fuse a multiply and an add, so results can differ from the
 * stock kernels in the last bit. They are new kernel names, so backends without them keep the stock ops.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebgpuBackendLike, WebgpuProgram } from './program';

export const ADAM_MOMENT = 'SrkdAdamMoment';
export const ADAM_VALUE = 'SrkdAdamValue';
export const EMA_UPDATE = 'SrkdEmaUpdate';

/** A flat element-wise program over same-shaped inputs (tfjs calls main with the element's index). */
abstract class ElementwiseProgram implements WebgpuProgram {
  outputShape: number[];
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [128, 1, 1];
  size = true;
  abstract shaderKey: string;
  abstract variableNames: string[];
  abstract uniforms: string;
  /** WGSL statements for element `index`, ending in `result[index] = ...`. */
  abstract body(): string;

  constructor(shape: readonly number[]) {
    this.outputShape = [...shape];
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    // tfjs spreads a dispatch over y and z where x would pass WebGPU's 65,535-workgroup limit (reshapeDispatch)
    this.dispatch = [Math.ceil(Math.max(1, shape.reduce((a, d) => a * d, 1)) / 128), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.body()}
        }
      }
    `;
  }
}

/** m' = m·β + g·(1 - β) (order 1) or v' = v·β + g²·(1 - β) (order 2). */
class AdamMomentProgram extends ElementwiseProgram {
  variableNames = ['moment', 'grad'];
  uniforms = 'beta : f32, oneMinusBeta : f32,';
  shaderKey: string;

  constructor(shape: readonly number[], readonly order: 1 | 2) {
    super(shape);
    this.shaderKey = `srkdAdamMoment${order}`;
  }

  body(): string {
    const g = this.order === 1 ? 'grad[index]' : '(grad[index] * grad[index])';
    return `result[index] = moment[index] * uniforms.beta + ${g} * uniforms.oneMinusBeta;`;
  }
}

/** θ' = (m' / (1 - β1^t)) / (sqrt(v' / (1 - β2^t)) + ε) · (-lr) + θ, with β^t from Adam's accumulators. */
class AdamValueProgram extends ElementwiseProgram {
  variableNames = ['theta', 'moment1', 'moment2', 'accBeta1', 'accBeta2'];
  uniforms = 'epsilon : f32, negLearningRate : f32,';
  shaderKey = 'srkdAdamValue';

  body(): string {
    return `
      let m = moment1[index] / (1.0 - accBeta1[0]);
      let v = moment2[index] / (1.0 - accBeta2[0]);
      result[index] = m / (sqrt(v) + uniforms.epsilon) * uniforms.negLearningRate + theta[index];`;
  }
}

/** e' = e·d + θ·(1 - d). */
class EmaProgram extends ElementwiseProgram {
  variableNames = ['ema', 'theta'];
  uniforms = 'decay : f32, oneMinusDecay : f32,';
  shaderKey = 'srkdEmaUpdate';

  body(): string {
    return 'result[index] = ema[index] * uniforms.decay + theta[index] * uniforms.oneMinusDecay;';
  }
}

type Args<I> = { inputs: I; backend: WebgpuBackendLike; attrs: Record<string, unknown> };
const f32 = (data: number[]) => ({ type: 'float32', data });

function sameShape(kernel: string, inputs: Record<string, tf.TensorInfo>): readonly number[] {
  const [first, ...rest] = Object.entries(inputs);
  for (const [name, t] of rest) {
    if (!tf.util.arraysEqual(t.shape, first[1].shape)) {
      throw new Error(`${kernel}: ${name} has shape [${t.shape}], ${first[0]} [${first[1].shape}]`);
    }
  }
  return first[1].shape;
}

function adamMoment({ inputs, backend, attrs }: Args<{ moment: tf.TensorInfo; grad: tf.TensorInfo }>): tf.TensorInfo {
  const { beta, order } = attrs as { beta: number; order: 1 | 2 };
  const shape = sameShape(ADAM_MOMENT, inputs);
  return backend.runWebGPUProgram(new AdamMomentProgram(shape, order), [inputs.moment, inputs.grad], 'float32', [f32([beta]), f32([1 - beta])]);
}

function adamValue({ inputs, backend, attrs }: Args<Record<'theta' | 'moment1' | 'moment2' | 'accBeta1' | 'accBeta2', tf.TensorInfo>>): tf.TensorInfo {
  const { epsilon, learningRate } = attrs as { epsilon: number; learningRate: number };
  const { theta, moment1, moment2, accBeta1, accBeta2 } = inputs;
  const shape = sameShape(ADAM_VALUE, { theta, moment1, moment2 });
  return backend.runWebGPUProgram(new AdamValueProgram(shape), [theta, moment1, moment2, accBeta1, accBeta2], 'float32',
    [f32([epsilon]), f32([-learningRate])]);
}

function emaUpdate({ inputs, backend, attrs }: Args<{ ema: tf.TensorInfo; theta: tf.TensorInfo }>): tf.TensorInfo {
  const { decay } = attrs as { decay: number };
  const shape = sameShape(EMA_UPDATE, inputs);
  return backend.runWebGPUProgram(new EmaProgram(shape), [inputs.ema, inputs.theta], 'float32', [f32([decay]), f32([1 - decay])]);
}

/** The kernels by name (registered on webgpu by ./index.ts). */
export const WEIGHT_UPDATE_KERNELS: readonly { readonly name: string; readonly kernelFunc: tf.KernelFunc }[] = [
  { name: ADAM_MOMENT, kernelFunc: adamMoment as unknown as tf.KernelFunc },
  { name: ADAM_VALUE, kernelFunc: adamValue as unknown as tf.KernelFunc },
  { name: EMA_UPDATE, kernelFunc: emaUpdate as unknown as tf.KernelFunc },
];
