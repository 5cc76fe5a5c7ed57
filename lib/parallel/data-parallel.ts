/**
 * Data-parallel training over worker threads (tfjs backends are single-threaded per instance): each worker owns a backend
 * instance and an identical copy of the task; a batch is split along axis 0, each worker returns
 * the flat gradient of its share's mean loss, the main thread averages them weighted by share size
 * (= the full-batch mean-loss gradient) and every worker applies the same optimiser update.
 */
import type { SimdBuild } from '../backend/simd/index';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../backend/index';
import type { BatchTotals, TaskConfig } from './task';
import {
  DEFAULT_OPTIMIZER,
  type Envelope, type GradReply, type HostArray, type InitReply, type OptimizerSpec, type OptimizerState,
  type Reply, type Request, type StepCall, type VariableInfo,
} from './protocol';
import { deserializeError } from '../train/errors';
import { flatSize, shareSizes } from './flat';

export { DEFAULT_OPTIMIZER };
export type { HostArray, OptimizerSpec, OptimizerState, VariableInfo };

export interface DataParallelSpec {
  /** Absolute path of a .ts/.js module exporting `createTask(config)`. */
  readonly taskModule: string;
  /** Plain JSON handed to `createTask` in every worker. */
  readonly taskConfig: TaskConfig;
  /** Worker threads (default os.availableParallelism()). */
  readonly workers?: number;
  /** Default DEFAULT_OPTIMIZER (Adam 0.9, 0.99, 1e-8). */
  readonly optimizer?: OptimizerSpec;
  /** Forces the workers' backend (default: SRKD_BACKEND / auto, as initBackend). */
  readonly backend?: BackendName;
  /** Print the one-line banner (default true; once per process). */
  readonly announce?: boolean;
  /**
   * Keep an EMA of the variables in every worker (identical copies), initialised to the start weights and
   * advanced once per `step` after its last update: θ_ema <- d·θ_ema + (1 - d)·θ (BasicSR's model_ema). Default: none.
   */
  readonly emaDecay?: number;
}

export interface StepOptions {
  readonly learningRate: number;
  /**
   * Plain JSON handed to the task with every share (`ShareInfo.context`, e.g. `{ step, seed }`), and to
   * `task.afterStep`. Default {}.
   */
  readonly context?: TaskConfig;
  /**
   * Phases (term groups) of a multi-phase step, default 1. With G > 1 (DUKD-code's 'twoStepAccumulate',
   * rec+kd first, then the upcycled terms): for g = 0..G-1 the workers compute the gradient of term group g at the current weights, it is
   * added to the gradient accumulated so far in this step (never cleared in between), and the optimiser steps
   * with the sum. Inputs cross to the workers once; `task.prepare` runs once per step.
   */
  readonly groups?: number;
}

export type StepInputs = Record<string, HostArray | tf.Tensor>;

export interface StepResult {
  /** Each loss term's mean over the whole batch. */
  readonly terms: Record<string, number>;
  /** Wall-clock seconds of the whole step (split, gradients, averaging, update). */
  readonly seconds: number;
  /** Per worker: seconds spent computing its gradient. */
  readonly workerSeconds: number[];
  /** Per worker: tf.memory().numTensors after the update (must not climb). */
  readonly numTensors: number[];
}

export interface GradientResult {
  /** Full-batch mean-loss gradient, variables concatenated in task order. */
  readonly grads: Float32Array;
  readonly terms: Record<string, number>;
}

let announced = false;

/** `{shape, data}` copy of a tensor (for callers that hold tensors on the main thread). */
export function toHostArray(t: tf.Tensor): HostArray {
  return { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) };
}

function asHost(x: HostArray | tf.Tensor): HostArray {
  return x instanceof tf.Tensor ? { shape: x.shape.slice(), data: x.dataSync() as Float32Array } : x;
}

/** Splits every input along axis 0 into shares of the given sizes (copies, so they can be transferred). */
export function splitInputs(inputs: Record<string, HostArray>, sizes: readonly number[]): Record<string, HostArray>[] {
  const shares: Record<string, HostArray>[] = sizes.map(() => ({}));
  for (const [name, a] of Object.entries(inputs)) {
    const rows = a.shape[0];
    const rowSize = a.shape.slice(1).reduce((p, d) => p * d, 1);
    if (a.data.length !== rows * rowSize) {
      throw new Error(`input '${name}': data has ${a.data.length} values, shape [${a.shape}] needs ${rows * rowSize}`);
    }
    let row = 0;
    sizes.forEach((n, i) => {
      shares[i][name] = { shape: [n, ...a.shape.slice(1)], data: a.data.slice(row * rowSize, (row + n) * rowSize) };
      row += n;
    });
  }
  return shares;
}

class WorkerHandle {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: string | null = null;

  constructor(readonly index: number, private readonly worker: Worker) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok === true) p.resolve(r.value);
      else if (r.ok === false) p.reject(deserializeError(r.error, `worker ${this.index}`)); // explicit: tslab compiles non-strict
    });
    worker.on('error', (e) => this.fail(`worker ${this.index} crashed: ${e && e.message ? e.message : String(e)}`));
    worker.on('exit', (code) => this.fail(`worker ${this.index} exited (code ${code})`));
  }

  private fail(why: string): void {
    if (this.dead === null) this.dead = why;
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  call<T>(request: Request, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead !== null) return Promise.reject(new Error(this.dead));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const env: Envelope = { id, request };
      this.worker.postMessage(env, transfer);
    });
  }

  async terminate(): Promise<void> {
    this.dead = this.dead ?? 'pool disposed';
    await this.worker.terminate();
  }
}

/** Element-wise sums (float64) of the shares' statistics; every share must report the same keys and lengths. */
function addTotals(parts: readonly Record<string, number[]>[]): BatchTotals {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(parts[0])) {
    out[k] = v.map((_, j) => parts.reduce((a, p, i) => {
      const x = p[k]?.[j];
      if (x === undefined || p[k].length !== v.length) throw new Error(`worker ${i} reported statistics '${k}' of another shape`);
      return a + x;
    }, 0));
  }
  return out;
}

/** Settles every promise, then throws the first failure (so no worker is left mid-request). */
async function allOrFirstError<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (bad) throw bad.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

export class DataParallelTrainer {
  /** Variables in task order (names, shapes, sizes). */
  readonly variables: readonly VariableInfo[];
  /** Number of trainable values (length of the flat gradient). */
  readonly paramCount: number;
  readonly backend: BackendName;
  /** Worker count × threads per worker. */
  readonly threads: number;
  /** Build of the kit's SIMD kernels in the workers (lib/backend/simd), null when off or not wasm. */
  readonly simd: SimdBuild | null;
  /** e.g. "2 data-parallel workers x backend wasm (...), 1 thread per worker, ..." */
  readonly banner: string;
  /** What the task needs besides its share: statistics all-reduced per phase, the whole batch. */
  private readonly coupling: InitReply['coupling'];
  private readonly stateInfo: readonly VariableInfo[];
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** Share sizes of the step in progress (phases after the first reuse the inputs held by the workers). */
  private heldSizes: number[] | null = null;
  /** EMA decay, or null when the pool keeps no EMA. */
  emaDecay: number | null = null;

  private constructor(private readonly handles: WorkerHandle[], init: InitReply) {
    this.variables = init.variables;
    this.stateInfo = init.stateVariables;
    this.coupling = init.coupling;
    this.paramCount = flatSize(init.variables);
    this.backend = init.backend;
    this.threads = handles.length * init.threads;
    this.simd = init.simd;
    this.banner = `${handles.length} data-parallel worker${handles.length === 1 ? '' : 's'} x ${init.banner}`;
  }

  get workers(): number {
    return this.handles.length;
  }

  /** Starts the workers, builds the task in each and makes their weights identical (worker 0's). */
  static async start(spec: DataParallelSpec): Promise<DataParallelTrainer> {
    const n = spec.workers ?? os.availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new Error(`workers must be an integer >= 1 (got ${n})`);
    if (!path.isAbsolute(spec.taskModule)) throw new Error(`taskModule must be an absolute path (got '${spec.taskModule}')`);
    const optimizer = spec.optimizer ?? DEFAULT_OPTIMIZER;
    const bootstrap = path.join(__dirname, 'worker-bootstrap.js');
    const handles = Array.from({ length: n }, (_, i) => new WorkerHandle(i, new Worker(bootstrap)));
    let inits: InitReply[];
    try {
      inits = await allOrFirstError(handles.map((h) => h.call<InitReply>({
        type: 'init', taskModule: spec.taskModule, taskConfig: spec.taskConfig, optimizer, backend: spec.backend,
      })));
      const sig = (r: InitReply) => JSON.stringify(r.variables);
      inits.forEach((r, i) => {
        if (sig(r) !== sig(inits[0])) throw new Error(`worker ${i} built different variables than worker 0`);
      });
    } catch (e) {
      await Promise.all(handles.map((h) => h.terminate()));
      throw e;
    }
    const pool = new DataParallelTrainer(handles, inits[0]);
    try {
      if (n > 1) await pool.setWeights(await pool.getWeights()); // identical start even if a task's init is not seeded
      if (spec.emaDecay !== undefined) await pool.resetEma(spec.emaDecay);
    } catch (e) {
      await pool.dispose();
      throw e;
    }
    if (spec.announce !== false && !announced) {
      announced = true;
      process.stderr.write(`srkd: ${pool.banner}\n`);
    }
    return pool;
  }

  /** Runs `fn` after every earlier call has finished (calls never interleave in the workers). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('DataParallelTrainer is disposed'));
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Full-batch gradient. `inputs` null: reuse the inputs the workers hold from the previous phase of this step.
   * `release`: the workers drop the held inputs afterwards (the last phase).
   */
  private async gradients(inputs: StepInputs | null, opts: { context?: TaskConfig; group?: number; release: boolean } = { release: true }):
    Promise<{ grads: Float32Array; terms: Record<string, number>; replies: GradReply[] }> {
    let sizes: number[];
    let shares: (Record<string, HostArray> | undefined)[];
    let whole: Record<string, HostArray> | undefined;
    if (inputs !== null) {
      const host: Record<string, HostArray> = {};
      let rows = -1;
      for (const [k, v] of Object.entries(inputs)) {
        host[k] = asHost(v);
        const b = host[k].shape[0];
        if (rows >= 0 && b !== rows) throw new Error(`inputs disagree on the batch size (axis 0): '${k}' has ${b}, others ${rows}`);
        rows = b;
      }
      if (rows < 0) throw new Error('step needs at least one input');
      sizes = shareSizes(rows, this.handles.length);
      shares = splitInputs(host, sizes);
      // Tasks that draw from other samples (negatives) get the whole batch too (copied to every worker).
      if (this.coupling.wholeBatch) whole = host;
    } else {
      if (this.heldSizes === null) throw new Error('no step in progress to continue');
      sizes = this.heldSizes;
      shares = sizes.map(() => undefined);
    }
    this.heldSizes = opts.release ? null : sizes;
    const batch = sizes.reduce((a, b) => a + b, 0);
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const callOf = (i: number, totals?: BatchTotals): StepCall =>
      ({ context: opts.context ?? {}, sampleOffset: offsets[i], batchSizeTotal: batch, group: opts.group, totals });
    const transferOf = (share: Record<string, HostArray> | undefined): ArrayBuffer[] => (share ? Object.values(share).map((a) => a.data.buffer as ArrayBuffer) : []);
    let replies: GradReply[];
    try {
      let totals: BatchTotals | undefined;
      if (this.coupling.stats) {
        // A batch-coupled loss: first every share's statistics at the current weights, added over the shares
        // (float64), then each share differentiates its part given the totals. The inputs cross here and stay
        // held in the workers for the gradient request.
        const parts = await allOrFirstError(this.handles.map((h, i) =>
          h.call<Record<string, number[]>>({ type: 'stats', inputs: shares[i], whole, call: callOf(i) }, transferOf(shares[i]))));
        totals = addTotals(parts);
        shares = sizes.map(() => undefined);
        whole = undefined;
      }
      replies = await allOrFirstError(this.handles.map((h, i) =>
        h.call<GradReply>({ type: 'grad', inputs: shares[i], whole, call: callOf(i, totals), release: opts.release }, transferOf(shares[i]))));
    } catch (e) {
      this.heldSizes = null; // the workers dropped what they held
      throw e;
    }
    const weights = sizes.map((s) => s / batch);
    let grads: Float32Array;
    if (replies.length === 1) {
      grads = replies[0].grads;
    } else {
      // Accumulate in float64 so the average does not depend on the worker count more than it must.
      const acc = new Float64Array(this.paramCount);
      replies.forEach((r, i) => {
        const w = weights[i];
        const g = r.grads;
        for (let j = 0; j < acc.length; j++) acc[j] += w * g[j];
      });
      grads = Float32Array.from(acc);
    }
    const terms: Record<string, number> = {};
    for (const name of Object.keys(replies[0].terms)) {
      terms[name] = replies.reduce((a, r, i) => a + weights[i] * r.terms[name], 0);
    }
    return { grads, terms, replies };
  }

  /** One optimisation step on the whole batch (split over the workers); see `StepOptions` for phases. */
  step(inputs: StepInputs, opts: StepOptions): Promise<StepResult> {
    const learningRate = opts.learningRate;
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate) || learningRate < 0) {
      return Promise.reject(new Error(`learningRate must be a finite number >= 0 (got ${String(learningRate)})`));
    }
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) return Promise.reject(new Error(`groups must be an integer >= 1 (got ${String(groups)})`));
    const context = opts.context ?? {};
    return this.serial(async () => {
      const t0 = performance.now();
      const terms: Record<string, number> = {};
      const workerSeconds = this.handles.map(() => 0);
      let numTensors: number[] = [];
      let acc: Float32Array | null = null;
      for (let g = 0; g < groups; g++) {
        const last = g === groups - 1;
        const r = await this.gradients(g === 0 ? inputs : null, { context, group: groups > 1 ? g : undefined, release: last });
        Object.assign(terms, r.terms);
        r.replies.forEach((x, i) => { workerSeconds[i] += x.seconds; });
        if (acc === null) acc = r.grads;
        else for (let j = 0; j < acc.length; j++) acc[j] += r.grads[j]; // float32 sum, as a gradient buffer accumulates
        const grads: Float32Array = last ? acc : Float32Array.from(acc);
        numTensors = await allOrFirstError(this.handles.map((h, i) => {
          // The last worker may take the buffer; the others get structured-clone copies.
          const lastWorker = i === this.handles.length - 1;
          return h.call<number>({ type: 'apply', grads, learningRate, endStep: last ? { context } : undefined },
            lastWorker ? [grads.buffer as ArrayBuffer] : []);
        }));
      }
      return { terms, seconds: (performance.now() - t0) / 1000, workerSeconds, numTensors };
    });
  }

  /** The full-batch gradient and terms without updating anything (tests, diagnostics). */
  computeGradients(inputs: StepInputs): Promise<GradientResult> {
    return this.serial(async () => {
      const { grads, terms } = await this.gradients(inputs, { release: true });
      return { grads, terms };
    });
  }

  /** The task's checkpointed state variables (TrainTask.stateVariables). */
  get stateVariables(): readonly VariableInfo[] {
    return this.stateInfo;
  }

  /** State variables of worker 0 (identical in every worker). */
  getState(): Promise<Float32Array[]> {
    return this.serial(() => this.handles[0].call<Float32Array[]>({ type: 'getState' }));
  }

  setState(weights: readonly Float32Array[]): Promise<void> {
    return this.serial(async () => {
      await allOrFirstError(this.handles.map((h) => h.call<null>({ type: 'setState', weights: weights.slice() })));
    });
  }

  /** Weights of worker 0, one array per variable in task order. */
  getWeights(): Promise<Float32Array[]> {
    return this.serial(() => this.handles[0].call<Float32Array[]>({ type: 'getWeights' }));
  }

  setWeights(weights: readonly Float32Array[]): Promise<void> {
    return this.serial(async () => {
      if (weights.length !== this.variables.length) throw new Error(`setWeights got ${weights.length} arrays, expected ${this.variables.length}`);
      await allOrFirstError(this.handles.map((h) => h.call<null>({ type: 'setWeights', weights: weights.slice() })));
    });
  }

  /** Optimiser slots and iteration count of worker 0 (identical in every worker). */
  getOptimizerState(): Promise<OptimizerState> {
    return this.serial(() => this.handles[0].call<OptimizerState>({ type: 'getOptimizerState' }));
  }

  setOptimizerState(state: OptimizerState): Promise<void> {
    return this.serial(async () => {
      await allOrFirstError(this.handles.map((h) => h.call<null>({ type: 'setOptimizerState', state })));
    });
  }

  /** (Re)starts the EMA in every worker as a copy of the current weights. */
  resetEma(decay: number): Promise<void> {
    return this.serial(async () => {
      await allOrFirstError(this.handles.map((h) => h.call<null>({ type: 'emaInit', decay })));
      this.emaDecay = decay;
    });
  }

  /** EMA weights of worker 0 (identical in every worker), one array per variable in task order. */
  getEmaWeights(): Promise<Float32Array[]> {
    return this.serial(() => this.handles[0].call<Float32Array[]>({ type: 'getEma' }));
  }

  setEmaWeights(weights: readonly Float32Array[]): Promise<void> {
    return this.serial(async () => {
      if (weights.length !== this.variables.length) throw new Error(`setEmaWeights got ${weights.length} arrays, expected ${this.variables.length}`);
      await allOrFirstError(this.handles.map((h) => h.call<null>({ type: 'setEma', weights: weights.slice() })));
    });
  }

  /** Per worker, a bit-exact fingerprint of its weights (and EMA); all equal while the pool is healthy. */
  checksums(): Promise<string[]> {
    return this.serial(() => allOrFirstError(this.handles.map((h) => h.call<string>({ type: 'checksum' }))));
  }

  /** Per worker, tf.memory().numTensors. */
  numTensors(): Promise<number[]> {
    return this.serial(() => allOrFirstError(this.handles.map((h) => h.call<number>({ type: 'memory' }))));
  }

  /** Disposes every worker's task and optimiser, then ends the threads. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    const last = this.serial(async () => {
      await Promise.allSettled(this.handles.map((h) => h.call<null>({ type: 'dispose' })));
    });
    this.disposed = true;
    await last.catch(() => undefined);
    await Promise.all(this.handles.map((h) => h.terminate()));
  }
}
