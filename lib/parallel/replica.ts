/**
 * One replica of a training task: the task's variables, its optimiser, its EMA copy, and the inputs held across
 * the phases of a multi-phase step. Both engines run exactly this code: a data-parallel worker thread owns one
 * (worker-main.ts), the in-process engine owns one in the main thread (lib/train/in-process-engine.ts).
 *
 * Two ways to step:
 *  - host path (`grad` + `apply`): the gradient leaves the backend as a flat Float32Array so a pool can average
 *    it across workers, then every worker applies the same average. Every term and gradient value is checked
 *    finite before anything is applied.
 *  - device path (`deviceStep`): gradients stay tensors and are applied where they are (one GPU, no host round
 *    trip); the terms stay tensors until the caller reads them (`readTerms`), which is also where a non-finite
 *    loss is detected.
 * Both give the same update: the optimiser sees every variable, in task order, with a zero gradient where the
 * loss does not reach it (Adam keys its slots by position), and multi-phase steps add each phase's gradient to
 * the accumulated one before each optimiser step.
 */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteGradientError, NonFiniteLossError } from '../train/errors';
import { flatSize, weightChecksum } from './flat';
import { emaUpdate, KitAdamOptimizer } from './weight-updates';
import type { GradReply, HostArray, OptimizerSpec, OptimizerState, StepCall, VariableInfo } from './protocol';
import type { BatchTotals, TaskConfig, TrainTask } from './task';

/** tfjs's NamedTensor (not re-exported by the tfjs union package). */
type NamedTensor = { name: string; tensor: tf.Tensor };
type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
type Ema = { readonly decay: number; readonly vars: tf.Variable[] };

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.kind) {
    case 'adam': return new KitAdamOptimizer(0, spec.beta1, spec.beta2, spec.epsilon);
    case 'sgd': return tf.train.sgd(0);
    default: throw new Error(`unknown optimizer kind '${(spec as { kind: string }).kind}'`);
  }
}

export function toTensors(inputs: Record<string, HostArray>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, a] of Object.entries(inputs)) out[k] = tf.tensor(a.data, a.shape.slice(), 'float32');
  return out;
}

/** Terms of one device step, still on the device; `readTerms` brings them to the host once. */
export type DeviceTerms = { readonly terms: Record<string, tf.Scalar> };

export class Replica {
  readonly variables: VariableInfo[];
  readonly total: number;
  private readonly optimizer: tf.Optimizer;
  private ema: Ema | null = null;
  /** Inputs, whole-batch inputs and prepare() output of the step in progress (kept across the phases of a multi-phase step). */
  private held: { readonly xs: Record<string, tf.Tensor>; readonly whole: Record<string, tf.Tensor> | undefined; readonly prep: tf.TensorContainer | undefined } | null = null;

  constructor(readonly task: TrainTask, readonly spec: OptimizerSpec) {
    for (const v of task.variables) {
      if (v.dtype !== 'float32') throw new Error(`variable ${v.name} is ${v.dtype}; only float32 is supported`);
    }
    this.variables = task.variables.map((v) => ({ name: v.name, shape: v.shape.slice(), size: v.size }));
    this.total = flatSize(this.variables);
    this.optimizer = makeOptimizer(spec);
  }

  get emaDecay(): number | null {
    return this.ema ? this.ema.decay : null;
  }

  /** The learning rate changes every step (schedules); both tfjs optimisers read it when applying. */
  private setLearningRate(learningRate: number): void {
    if (!(learningRate >= 0) || !Number.isFinite(learningRate)) throw new Error(`learningRate must be finite and >= 0 (got ${learningRate})`);
    if (this.spec.kind === 'sgd') (this.optimizer as tf.SGDOptimizer).setLearningRate(learningRate);
    else (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate; // AdamOptimizer reads this field per update
  }

  private release(): void {
    if (this.held) tf.dispose([this.held.xs, this.held.whole === this.held.xs ? {} : this.held.whole ?? {}, this.held.prep as tf.TensorContainer]);
    this.held = null;
  }

  /** true: the task's loss couples samples (`TrainTask.stats`); every phase first all-reduces share statistics. */
  get coupled(): boolean {
    return typeof this.task.stats === 'function';
  }

  /**
   * Takes ownership of `xs` (and `whole`, the whole batch for `wholeBatch` tasks) as the inputs of a new step
   * and runs the task's prepare on them.
   */
  private hold(xs: Record<string, tf.Tensor>, call: StepCall | undefined, whole?: Record<string, tf.Tensor>): void {
    this.release();
    if (this.task.wholeBatch && !whole) {
      tf.dispose([xs]);
      throw new Error('this task needs the whole batch with every share (wholeBatch)');
    }
    this.held = { xs, whole, prep: undefined };
    if (this.task.prepare) {
      if (!call) throw new Error('task.prepare needs the step call info');
      this.held = { xs, whole, prep: this.task.prepare(xs, { context: call.context, sampleOffset: call.sampleOffset, batchSizeTotal: call.batchSizeTotal, whole }) };
    }
  }

  /**
   * Batch-coupled tasks: this share's statistics at the current weights, as numbers (a new step when `inputs`
   * is given; the inputs stay held for the gradient that follows).
   */
  async stats(inputs: Record<string, HostArray> | undefined, whole: Record<string, HostArray> | undefined, call: StepCall): Promise<Record<string, number[]>> {
    if (!this.task.stats) throw new Error('this task has no share statistics (TrainTask.stats)');
    if (inputs) this.hold(toTensors(inputs), call, whole ? toTensors(whole) : undefined);
    return this.readStats(call);
  }

  /** Reads asynchronously: GPU backends (webgpu) have no synchronous read in Node. */
  private async readStats(call: StepCall): Promise<Record<string, number[]>> {
    if (!this.held || !this.task.stats) throw new Error('stats request without inputs, and no step in progress');
    const { xs, prep, whole } = this.held;
    const sums = tf.tidy(() => this.task.stats!(xs, { ...call, prep, whole }));
    try {
      const out: Record<string, number[]> = {};
      for (const [k, t] of Object.entries(sums)) out[k] = Array.from(await t.data());
      return out;
    } finally {
      tf.dispose(sums);
    }
  }

  /** The gradient of the summed terms w.r.t. every variable (zeros where the loss does not reach); terms kept. */
  private gradients(call: StepCall | undefined): { grads: tf.Tensor[]; terms: Record<string, tf.Scalar> } {
    if (!this.held) throw new Error('grad request without inputs, and no step in progress');
    const { xs, prep, whole } = this.held;
    let kept: Record<string, tf.Scalar> = {};
    try {
      const { value, grads } = tf.variableGrads(() => {
        const terms = call ? this.task.terms(xs, { ...call, prep, whole }) : this.task.terms(xs);
        const names = Object.keys(terms);
        if (names.length === 0) throw new Error('terms() returned no loss terms');
        for (const n of names) {
          if (terms[n].rank !== 0) throw new Error(`loss term '${n}' is not a scalar (shape [${terms[n].shape}])`);
        }
        kept = terms;
        for (const n of names) tf.keep(terms[n]); // variableGrads' scope would dispose them otherwise
        return (names.length === 1 ? tf.clone(terms[names[0]]) : tf.addN(names.map((n) => terms[n]))) as tf.Scalar;
      }, this.task.variables);
      value.dispose();
      const ordered = this.task.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
      const terms = kept;
      kept = {};
      return { grads: ordered, terms };
    } finally {
      tf.dispose(kept);
    }
  }

  /**
   * Host path: the flat gradient of this share's terms (a new step when `inputs` is given, else the phase after
   * the last one). Throws NonFiniteLossError / NonFiniteGradientError before anything is applied.
   */
  grad(inputs: Record<string, HostArray> | undefined, call: StepCall | undefined, releaseAfter: boolean, whole?: Record<string, HostArray>): { reply: GradReply; transfer: ArrayBuffer[] } {
    let ok = false;
    try {
      if (inputs) this.hold(toTensors(inputs), call, whole ? toTensors(whole) : undefined);
      if (this.coupled && !call?.totals) throw new Error('a batch-coupled task needs the all-reduced share statistics (call.totals)');
      const { grads, terms } = this.gradients(call);
      const termValues: Record<string, number> = {};
      try {
        for (const [n, t] of Object.entries(terms)) {
          const x = t.dataSync()[0];
          if (!Number.isFinite(x)) throw new NonFiniteLossError(n, String(x));
          termValues[n] = x;
        }
      } catch (e) {
        tf.dispose(grads);
        throw e;
      } finally {
        tf.dispose(terms);
      }
      const flat = new Float32Array(this.total);
      let off = 0;
      grads.forEach((g, i) => {
        flat.set(g.dataSync() as Float32Array, off);
        off += this.variables[i].size;
      });
      tf.dispose(grads);
      for (let i = 0; i < flat.length; i++) {
        if (!Number.isFinite(flat[i])) throw new NonFiniteGradientError(i, String(flat[i]));
      }
      ok = true;
      return { reply: { grads: flat, terms: termValues, numTensors: 0, seconds: 0 }, transfer: [flat.buffer as ArrayBuffer] };
    } finally {
      if (!ok || releaseAfter) this.release();
    }
  }

  /** Applies per-variable gradients (task order) and, at the end of an iteration, advances the EMA and runs afterStep. */
  private applyTensors(grads: readonly tf.Tensor[], learningRate: number, endStep: { readonly context: TaskConfig } | undefined): void {
    this.setLearningRate(learningRate);
    const named: NamedTensor[] = this.task.variables.map((v, i) => ({ name: v.name, tensor: grads[i] }));
    this.optimizer.applyGradients(named); // all variables, always in the same order: Adam keys its slots by position
    if (endStep) {
      this.release();
      const ema = this.ema;
      if (ema) {
        this.task.variables.forEach((v, i) => emaUpdate(ema.vars[i], v, ema.decay)); // BasicSR's model_ema
      }
      this.task.afterStep?.(endStep.context, ema ? ema.vars : null);
    }
  }

  /** Host path: applies a flat gradient (the pool's average). Returns tf.memory().numTensors afterwards. */
  apply(flat: Float32Array, learningRate: number, endStep: { readonly context: TaskConfig } | undefined): number {
    if (flat.length !== this.total) throw new Error(`gradient vector has ${flat.length} values, expected ${this.total}`);
    const tensors: tf.Tensor[] = [];
    let off = 0;
    for (const v of this.task.variables) {
      tensors.push(tf.tensor(flat.subarray(off, off + v.size), v.shape, 'float32'));
      off += v.size;
    }
    try {
      this.applyTensors(tensors, learningRate, endStep);
    } finally {
      tf.dispose(tensors);
    }
    return tf.memory().numTensors;
  }

  /**
   * Device path: one whole iteration on the full batch (`xs` is taken over and disposed), `groups` phases. The
   * returned terms are the caller's to read (`readTerms`) and dispose.
   */
  async deviceStep(xs: Record<string, tf.Tensor>, call: StepCall, groups: number, learningRate: number): Promise<DeviceTerms> {
    const terms: Record<string, tf.Scalar> = {};
    let acc: tf.Tensor[] | null = null;
    try {
      // One replica holds the whole batch, so it is its own whole batch (its tensors are not held twice).
      this.hold(xs, call, this.task.wholeBatch ? xs : undefined);
      for (let g = 0; g < groups; g++) {
        const last = g === groups - 1;
        const phase: StepCall = groups > 1 ? { ...call, group: g } : call;
        // A batch-coupled loss: its statistics at the current weights (one small read per phase).
        const r = this.gradients(this.coupled ? { ...phase, totals: await this.readStats(phase) } : phase);
        for (const [n, t] of Object.entries(r.terms)) {
          tf.dispose(terms[n]);
          terms[n] = t;
        }
        if (acc === null) acc = r.grads;
        else {
          const prev: tf.Tensor[] = acc;
          acc = prev.map((a, i) => tf.add(a, r.grads[i]));
          tf.dispose([prev, r.grads]);
        }
        this.applyTensors(acc, learningRate, last ? { context: call.context } : undefined);
      }
      return { terms };
    } catch (e) {
      tf.dispose(terms);
      throw e;
    } finally {
      if (acc) tf.dispose(acc);
      this.release();
    }
  }

  /** (Re)starts the EMA as a copy of the current weights. */
  emaInit(decay: number): void {
    if (!(decay >= 0 && decay < 1)) throw new Error(`EMA decay must be in [0, 1) (got ${decay})`);
    if (this.ema) tf.dispose(this.ema.vars);
    this.ema = { decay, vars: this.task.variables.map((v) => tf.tidy(() => tf.variable(tf.clone(v), false))) };
  }

  private needEma(): Ema {
    if (!this.ema) throw new Error('no EMA is kept (start it with emaDecay)');
    return this.ema;
  }

  /** Copies of the weights (asynchronous reads: GPU backends have no synchronous read in Node). */
  async getWeights(): Promise<Float32Array[]> {
    return Promise.all(this.task.variables.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  }

  private assignAll(targets: readonly tf.Variable[], ws: readonly Float32Array[], what: string): void {
    if (ws.length !== targets.length) throw new Error(`${what} got ${ws.length} arrays, expected ${targets.length}`);
    targets.forEach((v, i) => {
      if (ws[i].length !== v.size) throw new Error(`${what}: ${this.variables[i].name} has ${v.size} values, got ${ws[i].length}`);
    });
    targets.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(ws[i], v.shape, 'float32'))));
  }

  setWeights(ws: readonly Float32Array[]): void {
    this.assignAll(this.task.variables, ws, 'setWeights');
  }

  /** The task's checkpointed state variables (TrainTask.stateVariables), in order. */
  get stateInfo(): VariableInfo[] {
    return (this.task.stateVariables ?? []).map((v) => ({ name: v.name, shape: v.shape.slice(), size: v.size }));
  }

  async getState(): Promise<Float32Array[]> {
    return Promise.all((this.task.stateVariables ?? []).map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  }

  setState(ws: readonly Float32Array[]): void {
    const vars = this.task.stateVariables ?? [];
    if (ws.length !== vars.length) throw new Error(`setState got ${ws.length} arrays, the task has ${vars.length} state variables`);
    vars.forEach((v, i) => {
      if (ws[i].length !== v.size) throw new Error(`setState: ${v.name} has ${v.size} values, got ${ws[i].length}`);
    });
    vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(ws[i], v.shape, 'float32'))));
  }

  async getEma(): Promise<Float32Array[]> {
    return Promise.all(this.needEma().vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  }

  setEma(ws: readonly Float32Array[]): void {
    this.assignAll(this.needEma().vars, ws, 'setEma');
  }

  async getOptimizerState(): Promise<OptimizerState> {
    const named = await this.optimizer.getWeights();
    let iterations = 0;
    const slots: { name: string; shape: number[]; data: Float32Array }[] = [];
    for (const n of named) {
      if (n.name === 'iter') iterations = (await n.tensor.data())[0];
      else slots.push({ name: n.name, shape: n.tensor.shape.slice(), data: Float32Array.from(await n.tensor.data() as Float32Array) });
    }
    tf.dispose(named.filter((n) => n.name === 'iter').map((n) => n.tensor)); // saveIterations() made a fresh scalar
    const adam = this.optimizer as unknown as AdamInternals;
    if (this.spec.kind === 'adam' && adam.accBeta1 && adam.accBeta2) {
      const accBetas: [number, number] = [(await adam.accBeta1.data())[0], (await adam.accBeta2.data())[0]];
      return { kind: this.spec.kind, iterations, slots, accBetas };
    }
    return { kind: this.spec.kind, iterations, slots };
  }

  async setOptimizerState(st: OptimizerState): Promise<void> {
    if (st.kind !== this.spec.kind) throw new Error(`optimizer state is for '${st.kind}', this run uses '${this.spec.kind}'`);
    const named: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(st.iterations, 'int32') }];
    for (const slot of st.slots) named.push({ name: slot.name, tensor: tf.tensor(slot.data, slot.shape.slice(), 'float32') });
    const old = await this.optimizer.getWeights();
    const oldSlots = old.filter((n) => n.name !== 'iter').map((n) => n.tensor);
    tf.dispose(old.filter((n) => n.name === 'iter').map((n) => n.tensor));
    await this.optimizer.setWeights(named); // copies each tensor into a new variable
    tf.dispose(named.map((n) => n.tensor));
    tf.dispose(oldSlots);
    const adam = this.optimizer as unknown as AdamInternals;
    if (st.accBetas && adam.accBeta1 && adam.accBeta2) {
      // tfjs's setWeights recomputes beta^t with pow(); the running product can differ in the last bit.
      const [b1, b2] = st.accBetas;
      tf.tidy(() => {
        adam.accBeta1!.assign(tf.scalar(b1, 'float32'));
        adam.accBeta2!.assign(tf.scalar(b2, 'float32'));
      });
    }
  }

  /** A bit-exact fingerprint of the weights (and EMA). */
  async checksum(): Promise<string> {
    const w = weightChecksum(await this.getWeights());
    return this.ema ? `${w}|ema ${weightChecksum(await this.getEma())}` : w;
  }

  dispose(): void {
    this.release();
    if (this.ema) tf.dispose(this.ema.vars);
    this.ema = null;
    this.optimizer.dispose();
    this.task.dispose();
  }
}

/** Reads device terms to the host (one read for all of them) and checks them finite. */
export async function readTerms(d: DeviceTerms): Promise<Record<string, number>> {
  const names = Object.keys(d.terms);
  const stacked = tf.tidy(() => tf.stack(names.map((n) => d.terms[n])));
  let values: Float32Array;
  try {
    values = (await stacked.data()) as Float32Array;
  } finally {
    stacked.dispose();
  }
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    const x = values[i];
    if (!Number.isFinite(x)) throw new NonFiniteLossError(n, String(x));
    out[n] = x;
  });
  return out;
}
