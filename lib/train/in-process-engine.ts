/**
 * The 'in-process' StepEngine (step-engine.ts): one Replica (lib/parallel/replica.ts) of the task on the main
 * thread's backend. The batch is uploaded once per step, gradients are applied on the device, and the losses
 * stay on the device until the trainer asks for them (log and checkpoint steps), so a GPU step has no
 * synchronous host read.
 */
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendName } from '../backend/index';
import type { OptimizerSpec, OptimizerState } from '../parallel/protocol';
import { type DeviceTerms, Replica, readTerms, toTensors } from '../parallel/replica';
import type { CreateTask, TaskConfig } from '../parallel/task';
import type { EngineStep, EngineStepOptions, HostBatch, StepEngine } from './step-engine';

export interface InProcessSpec {
  /** The task factory (distill-task.ts's createTask). */
  readonly createTask: CreateTask;
  readonly taskConfig: TaskConfig;
  readonly optimizer: OptimizerSpec;
  readonly emaDecay?: number;
  /** Forces the backend (default: SRKD_BACKEND / auto, as initBackend). */
  readonly backend?: BackendName;
}

export class InProcessEngine implements StepEngine {
  readonly kind = 'in-process' as const;
  readonly replicas = 1;
  /** Terms of the newest step not yet read (disposed when the next step comes). */
  private pending: DeviceTerms | null = null;
  private disposed = false;

  private constructor(private readonly replica: Replica, readonly backend: BackendName, readonly banner: string) {}

  static async start(spec: InProcessSpec): Promise<InProcessEngine> {
    const info = await initBackend({ backend: spec.backend, announce: false });
    const task = await spec.createTask(spec.taskConfig);
    let replica: Replica;
    try {
      replica = new Replica(task, spec.optimizer);
      if (spec.emaDecay !== undefined) replica.emaInit(spec.emaDecay);
    } catch (e) {
      task.dispose();
      throw e;
    }
    return new InProcessEngine(replica, info.name, `in-process (one replica) x ${describeBackend(info)}`);
  }

  get variables() { return this.replica.variables; }
  get emaDecay(): number | null { return this.replica.emaDecay; }

  private live(): void {
    if (this.disposed) throw new Error('InProcessEngine is disposed');
  }

  async step(batch: HostBatch, opts: EngineStepOptions): Promise<EngineStep> {
    this.live();
    if (this.pending) tf.dispose(this.pending.terms);
    this.pending = null;
    const rows = batch.lr.shape[0];
    const terms = await this.replica.deviceStep(toTensors({ lr: batch.lr, hr: batch.hr }), {
      context: opts.context, sampleOffset: 0, batchSizeTotal: rows,
    }, opts.groups, opts.learningRate);
    this.pending = terms;
    let read: Promise<Record<string, number>> | null = null;
    return {
      readTerms: () => {
        if (read === null) {
          if (this.pending !== terms) return Promise.reject(new Error('readTerms: a later step has already run (read terms before the next step)'));
          read = readTerms(terms);
        }
        return read;
      },
      numTensors: [tf.memory().numTensors],
    };
  }

  async getWeights(): Promise<Float32Array[]> { this.live(); return this.replica.getWeights(); }
  async setWeights(w: readonly Float32Array[]): Promise<void> { this.live(); this.replica.setWeights(w); }
  async getOptimizerState(): Promise<OptimizerState> { this.live(); return this.replica.getOptimizerState(); }
  async setOptimizerState(s: OptimizerState): Promise<void> { this.live(); await this.replica.setOptimizerState(s); }
  async getEmaWeights(): Promise<Float32Array[]> { this.live(); return this.replica.getEma(); }
  async setEmaWeights(w: readonly Float32Array[]): Promise<void> { this.live(); this.replica.setEma(w); }
  get stateVariables() { return this.replica.stateInfo; }
  async getState(): Promise<Float32Array[]> { this.live(); return this.replica.getState(); }
  async setState(s: readonly Float32Array[]): Promise<void> { this.live(); this.replica.setState(s); }
  async checksums(): Promise<string[]> { this.live(); return [await this.replica.checksum()]; }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.pending) tf.dispose(this.pending.terms);
    this.pending = null;
    this.replica.dispose();
  }
}
