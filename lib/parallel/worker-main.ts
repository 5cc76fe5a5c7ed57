/**
 * One data-parallel worker: its own backend instance, its own copy of the task, and the same
 * optimiser as every other worker. Requests are handled strictly in arrival order.
 */
import { parentPort } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend } from '../backend/index';
import type { CreateTask, TaskConfig, TrainTask } from './task';
import type {
  Envelope, GradReply, HostArray, InitReply, OptimizerSpec, OptimizerState, Reply, Request, StepCall, VariableInfo,
} from './protocol';
import { flatSize, weightChecksum } from './flat';

interface State {
  readonly task: TrainTask;
  readonly spec: OptimizerSpec;
  readonly optimizer: tf.Optimizer;
  readonly variables: VariableInfo[];
  readonly total: number;
  /** EMA copy of the variables (same order), advanced after the last update of every step. */
  ema: { readonly decay: number; readonly vars: tf.Variable[] } | null;
  /** Inputs and prepare() output of the step in progress (kept across the phases of a multi-phase step). */
  held: { readonly xs: Record<string, tf.Tensor>; readonly prep: tf.TensorContainer | undefined } | null;
}

/** tfjs's NamedTensor (not re-exported by the tfjs union package). */
type NamedTensor = { name: string; tensor: tf.Tensor };

let state: State | null = null;

function need(): State {
  if (!state) throw new Error('worker not initialised');
  return state;
}

function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.kind) {
    case 'adam': return tf.train.adam(0, spec.beta1, spec.beta2, spec.epsilon);
    case 'sgd': return tf.train.sgd(0);
    default: throw new Error(`unknown optimizer kind '${(spec as { kind: string }).kind}'`);
  }
}

/** The learning rate changes every step (schedules); both tfjs optimisers read it when applying. */
function setLearningRate(opt: tf.Optimizer, spec: OptimizerSpec, learningRate: number): void {
  if (spec.kind === 'sgd') (opt as tf.SGDOptimizer).setLearningRate(learningRate);
  else (opt as unknown as { learningRate: number }).learningRate = learningRate; // AdamOptimizer reads this field per update
}

async function init(req: Extract<Request, { type: 'init' }>): Promise<InitReply> {
  if (state) throw new Error('worker already initialised');
  const info = await initBackend({ backend: req.backend, announce: false });
  const mod = require(req.taskModule) as { createTask?: CreateTask }; // eslint-disable-line @typescript-eslint/no-var-requires -- the module path is data
  if (typeof mod.createTask !== 'function') throw new Error(`${req.taskModule} does not export createTask(config)`);
  const task = await mod.createTask(req.taskConfig);
  const variables = task.variables.map((v) => ({ name: v.name, shape: v.shape.slice(), size: v.size }));
  for (const v of task.variables) {
    if (v.dtype !== 'float32') throw new Error(`variable ${v.name} is ${v.dtype}; only float32 is supported`);
  }
  state = { task, spec: req.optimizer, optimizer: makeOptimizer(req.optimizer), variables, total: flatSize(variables), ema: null, held: null };
  return { banner: describeBackend(info), backend: info.name, threads: info.threads, simd: info.simd, variables };
}

function toTensors(inputs: Record<string, HostArray>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, a] of Object.entries(inputs)) out[k] = tf.tensor(a.data, a.shape.slice(), 'float32');
  return out;
}

function release(s: State): void {
  if (s.held) tf.dispose([s.held.xs, s.held.prep as tf.TensorContainer]);
  s.held = null;
}

function grad(inputs: Record<string, HostArray> | undefined, call: StepCall | undefined, releaseAfter: boolean):
  { reply: GradReply; transfer: ArrayBuffer[] } {
  const s = need();
  let kept: Record<string, tf.Scalar> = {};
  let ok = false;
  try {
    if (inputs) {
      release(s);
      const xs = toTensors(inputs);
      s.held = { xs, prep: undefined };
      if (s.task.prepare) {
        if (!call) throw new Error('task.prepare needs the step call info');
        s.held = { xs, prep: s.task.prepare(xs, { context: call.context, sampleOffset: call.sampleOffset, batchSizeTotal: call.batchSizeTotal }) };
      }
    }
    if (!s.held) throw new Error('grad request without inputs, and no step in progress');
    const { xs, prep } = s.held;
    const { value, grads } = tf.variableGrads(() => {
      const terms = call ? s.task.terms(xs, { ...call, prep }) : s.task.terms(xs);
      const names = Object.keys(terms);
      if (names.length === 0) throw new Error('terms() returned no loss terms');
      for (const n of names) {
        if (terms[n].rank !== 0) throw new Error(`loss term '${n}' is not a scalar (shape [${terms[n].shape}])`);
      }
      kept = terms;
      for (const n of names) tf.keep(terms[n]); // variableGrads' scope would dispose them otherwise
      return (names.length === 1 ? tf.clone(terms[names[0]]) : tf.addN(names.map((n) => terms[n]))) as tf.Scalar;
    }, s.task.variables);
    const termValues: Record<string, number> = {};
    for (const [n, t] of Object.entries(kept)) {
      const x = t.dataSync()[0];
      if (!Number.isFinite(x)) {
        tf.dispose([value, grads]);
        throw new Error(`non-finite loss term '${n}' = ${x}`);
      }
      termValues[n] = x;
    }
    const flat = new Float32Array(s.total);
    let off = 0;
    for (const v of s.task.variables) {
      const g = grads[v.name];
      if (g) flat.set(g.dataSync() as Float32Array, off); // a variable the loss does not reach gets a zero gradient
      off += v.size;
    }
    tf.dispose([value, grads]);
    for (let i = 0; i < flat.length; i++) {
      if (!Number.isFinite(flat[i])) throw new Error(`non-finite gradient at flat index ${i} (${flat[i]})`);
    }
    const reply: GradReply = { grads: flat, terms: termValues, numTensors: 0, seconds: 0 };
    ok = true;
    return { reply, transfer: [flat.buffer as ArrayBuffer] };
  } finally {
    tf.dispose(kept);
    if (!ok || releaseAfter) release(s);
  }
}

function finishGrad(r: { reply: GradReply; transfer: ArrayBuffer[] }, t0: number): { reply: GradReply; transfer: ArrayBuffer[] } {
  return { reply: { ...r.reply, numTensors: tf.memory().numTensors, seconds: (performance.now() - t0) / 1000 }, transfer: r.transfer };
}

function apply(flat: Float32Array, learningRate: number, endStep: { readonly context: TaskConfig } | undefined): number {
  const s = need();
  if (flat.length !== s.total) throw new Error(`gradient vector has ${flat.length} values, expected ${s.total}`);
  if (!(learningRate >= 0) || !Number.isFinite(learningRate)) throw new Error(`learningRate must be finite and >= 0 (got ${learningRate})`);
  setLearningRate(s.optimizer, s.spec, learningRate);
  const named: NamedTensor[] = [];
  let off = 0;
  for (const v of s.task.variables) {
    named.push({ name: v.name, tensor: tf.tensor(flat.subarray(off, off + v.size), v.shape, 'float32') });
    off += v.size;
  }
  try {
    s.optimizer.applyGradients(named); // all variables, always in the same order: Adam keys its slots by position
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
  if (endStep) {
    release(s);
    const ema = s.ema;
    if (ema) {
      // θ_ema <- d·θ_ema + (1 - d)·θ (spec 8.3, BasicSR model_ema)
      s.task.variables.forEach((v, i) => tf.tidy(() => ema.vars[i].assign(tf.add(tf.mul(ema.vars[i], ema.decay), tf.mul(v, 1 - ema.decay)))));
    }
    s.task.afterStep?.(endStep.context);
  }
  return tf.memory().numTensors;
}

function emaInit(decay: number): void {
  const s = need();
  if (!(decay >= 0 && decay < 1)) throw new Error(`EMA decay must be in [0, 1) (got ${decay})`);
  if (s.ema) tf.dispose(s.ema.vars);
  s.ema = { decay, vars: s.task.variables.map((v) => tf.tidy(() => tf.variable(tf.clone(v), false))) };
}

function needEma(s: State): { readonly decay: number; readonly vars: tf.Variable[] } {
  if (!s.ema) throw new Error('the pool has no EMA (start it with emaDecay)');
  return s.ema;
}

function getWeights(): { value: Float32Array[]; transfer: ArrayBuffer[] } {
  const ws = need().task.variables.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  return { value: ws, transfer: ws.map((w) => w.buffer as ArrayBuffer) };
}

function setWeights(ws: Float32Array[]): void {
  const s = need();
  if (ws.length !== s.variables.length) throw new Error(`setWeights got ${ws.length} arrays, expected ${s.variables.length}`);
  s.task.variables.forEach((v, i) => {
    if (ws[i].length !== v.size) throw new Error(`setWeights: ${v.name} has ${v.size} values, got ${ws[i].length}`);
  });
  s.task.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(ws[i], v.shape, 'float32'))));
}

function setEma(ws: Float32Array[]): void {
  const s = need();
  const ema = needEma(s);
  if (ws.length !== ema.vars.length) throw new Error(`setEma got ${ws.length} arrays, expected ${ema.vars.length}`);
  ema.vars.forEach((v, i) => {
    if (ws[i].length !== v.size) throw new Error(`setEma: ${s.variables[i].name} has ${v.size} values, got ${ws[i].length}`);
  });
  ema.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(ws[i], v.shape, 'float32'))));
}

function getEma(): { value: Float32Array[]; transfer: ArrayBuffer[] } {
  const ws = needEma(need()).vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  return { value: ws, transfer: ws.map((w) => w.buffer as ArrayBuffer) };
}

type AdamInternals = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

async function getOptimizerState(): Promise<OptimizerState> {
  const s = need();
  const named = await s.optimizer.getWeights();
  let iterations = 0;
  const slots: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const n of named) {
    if (n.name === 'iter') iterations = (await n.tensor.data())[0];
    else slots.push({ name: n.name, shape: n.tensor.shape.slice(), data: Float32Array.from(await n.tensor.data() as Float32Array) });
  }
  tf.dispose(named.filter((n) => n.name === 'iter').map((n) => n.tensor)); // saveIterations() made a fresh scalar
  const adam = s.optimizer as unknown as AdamInternals;
  if (s.spec.kind === 'adam' && adam.accBeta1 && adam.accBeta2) {
    const accBetas: [number, number] = [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]];
    return { kind: s.spec.kind, iterations, slots, accBetas };
  }
  return { kind: s.spec.kind, iterations, slots };
}

async function setOptimizerState(st: OptimizerState): Promise<void> {
  const s = need();
  if (st.kind !== s.spec.kind) throw new Error(`optimizer state is for '${st.kind}', the pool uses '${s.spec.kind}'`);
  const named: NamedTensor[] = [{ name: 'iter', tensor: tf.scalar(st.iterations, 'int32') }];
  for (const slot of st.slots) named.push({ name: slot.name, tensor: tf.tensor(slot.data, slot.shape.slice(), 'float32') });
  const old = await s.optimizer.getWeights();
  const oldSlots = old.filter((n) => n.name !== 'iter').map((n) => n.tensor);
  tf.dispose(old.filter((n) => n.name === 'iter').map((n) => n.tensor));
  await s.optimizer.setWeights(named); // copies each tensor into a new variable
  tf.dispose(named.map((n) => n.tensor));
  tf.dispose(oldSlots);
  const adam = s.optimizer as unknown as AdamInternals;
  if (st.accBetas && adam.accBeta1 && adam.accBeta2) {
    const [b1, b2] = st.accBetas;
    tf.tidy(() => {
      adam.accBeta1!.assign(tf.scalar(b1, 'float32'));
      adam.accBeta2!.assign(tf.scalar(b2, 'float32'));
    });
  }
}

function checksum(): string {
  const s = need();
  const w = weightChecksum(s.task.variables.map((v) => v.dataSync() as Float32Array));
  return s.ema ? `${w}|ema ${weightChecksum(s.ema.vars.map((v) => v.dataSync() as Float32Array))}` : w;
}

async function handle(req: Request): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (req.type) {
    case 'init': return { value: await init(req) };
    case 'grad': {
      const t0 = performance.now();
      const r = finishGrad(grad(req.inputs, req.call, req.release ?? true), t0);
      return { value: r.reply, transfer: r.transfer };
    }
    case 'apply': return { value: apply(req.grads, req.learningRate, req.endStep) };
    case 'emaInit': emaInit(req.decay); return { value: null };
    case 'getEma': return getEma();
    case 'setEma': setEma(req.weights); return { value: null };
    case 'getWeights': return getWeights();
    case 'setWeights': setWeights(req.weights); return { value: null };
    case 'getOptimizerState': {
      const st = await getOptimizerState();
      return { value: st, transfer: st.slots.map((x) => x.data.buffer as ArrayBuffer) };
    }
    case 'setOptimizerState': await setOptimizerState(req.state); return { value: null };
    case 'checksum': return { value: checksum() };
    case 'memory': return { value: tf.memory().numTensors };
    case 'dispose': {
      if (state) {
        release(state);
        if (state.ema) tf.dispose(state.ema.vars);
        state.optimizer.dispose();
        state.task.dispose();
        state = null;
      }
      return { value: null };
    }
    default: throw new Error(`unknown request ${(req as { type: string }).type}`);
  }
}

const port = parentPort;
if (!port) throw new Error('lib/parallel/worker-main must run in a worker thread');
let queue: Promise<void> = Promise.resolve();
port.on('message', (env: Envelope) => {
  queue = queue.then(async () => {
    let reply: Reply;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = await handle(env.request);
      reply = { id: env.id, ok: true, value: r.value };
      transfer = r.transfer ?? [];
    } catch (e) {
      const err = e as Error;
      reply = { id: env.id, ok: false, error: err && err.message ? err.message : String(e) };
    }
    port.postMessage(reply, transfer);
  });
});
