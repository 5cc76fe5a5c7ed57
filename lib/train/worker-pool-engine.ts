/** The 'workers' StepEngine (step-engine.ts): the data-parallel worker-thread pool of lib/parallel. */
import { DataParallelTrainer, type DataParallelSpec } from '../parallel/data-parallel';
import type { OptimizerState } from '../parallel/protocol';
import type { EngineStep, EngineStepOptions, HostBatch, StepEngine } from './step-engine';

export class WorkerPoolEngine implements StepEngine {
  readonly kind = 'workers' as const;

  private constructor(private readonly pool: DataParallelTrainer) {}

  static async start(spec: DataParallelSpec): Promise<WorkerPoolEngine> {
    return new WorkerPoolEngine(await DataParallelTrainer.start(spec));
  }

  get banner(): string { return this.pool.banner; }
  get backend() { return this.pool.backend; }
  get replicas(): number { return this.pool.workers; }
  get variables() { return this.pool.variables; }
  get emaDecay(): number | null { return this.pool.emaDecay; }

  async step(batch: HostBatch, opts: EngineStepOptions): Promise<EngineStep> {
    const r = await this.pool.step({ lr: batch.lr, hr: batch.hr }, { learningRate: opts.learningRate, context: opts.context, groups: opts.groups });
    const terms = r.terms;
    return { readTerms: async () => terms, numTensors: r.numTensors };
  }

  getWeights(): Promise<Float32Array[]> { return this.pool.getWeights(); }
  setWeights(w: readonly Float32Array[]): Promise<void> { return this.pool.setWeights(w); }
  getOptimizerState(): Promise<OptimizerState> { return this.pool.getOptimizerState(); }
  setOptimizerState(s: OptimizerState): Promise<void> { return this.pool.setOptimizerState(s); }
  getEmaWeights(): Promise<Float32Array[]> { return this.pool.getEmaWeights(); }
  setEmaWeights(w: readonly Float32Array[]): Promise<void> { return this.pool.setEmaWeights(w); }
  get stateVariables() { return this.pool.stateVariables; }
  getState(): Promise<Float32Array[]> { return this.pool.getState(); }
  setState(s: readonly Float32Array[]): Promise<void> { return this.pool.setState(s); }
  checksums(): Promise<string[]> { return this.pool.checksums(); }
  dispose(): Promise<void> { return this.pool.dispose(); }
}
