/**
 * BatchStream in a worker thread. Same batches, same resumable state and same API as batches.ts
 * `BatchStream` (`nextRecord`, `next`, `state`, `stats`, `close`), but decoding and patch cutting run on
 * the worker's own event loop: with the wasm/cpu backends a training step keeps the main thread busy
 * for a long synchronous stretch, during which an in-thread stream cannot even issue its next file
 * read. Records arrive as transferred Float32Arrays (no copy). The dataset is given as a JSON
 * `DatasetSpec` because the worker opens it itself.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SRBatch } from '../types';
import { recordToBatch, type BatchRecord, type BatchStreamOptions, type BatchStreamState, type BatchStreamStats } from './batches';
import type { DatasetSpec } from './datasets';

export type WorkerRequest =
  | { type: 'init'; spec: DatasetSpec; opts: BatchStreamOptions; resume: BatchStreamState | null }
  | { type: 'credit'; n: number };

export type WorkerReply =
  | { type: 'ready'; state: BatchStreamState; pairs: number; id: string }
  | { type: 'record'; record: BatchRecord; before: BatchStreamState; after: BatchStreamState; stats: BatchStreamStats }
  | { type: 'error'; message: string; before: BatchStreamState | null };

type Arrived = Extract<WorkerReply, { type: 'record' } | { type: 'error' }>;

export class WorkerBatchStream {
  private readonly worker: Worker;
  private readonly arrived: Arrived[] = [];
  private waiter: ((m: Arrived) => void) | null = null;
  private fatal: Error | null = null;
  private current: BatchStreamState | null = null;
  private workerStats: BatchStreamStats | null = null;
  private closed = false;
  private waitMs = 0;
  private waitFirstMs = 0;
  private maxWaitMs = 0;
  private consumed = 0;
  private firstCallAt: number | null = null;
  private afterFirstAt: number | null = null;
  private lastReturnAt: number | null = null;
  /** Dataset id and size, known once `ready()` resolved. */
  id = '';
  pairs = 0;
  private readonly readyPromise: Promise<void>;

  constructor(readonly spec: DatasetSpec, readonly opts: BatchStreamOptions, resume?: BatchStreamState) {
    this.worker = new Worker(path.join(__dirname, 'batch-worker-bootstrap.js'));
    this.worker.unref(); // an abandoned stream does not keep the process alive
    this.readyPromise = new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.fatal = err;
        reject(err);
        this.wake({ type: 'error', message: err.message, before: null });
      };
      this.worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          this.current = m.state;
          this.id = m.id;
          this.pairs = m.pairs;
          resolve();
          this.worker.postMessage({ type: 'credit', n: Math.max(1, (opts.prefetch ?? 2) + 1) } satisfies WorkerRequest);
        } else if (m.type === 'error' && m.before === null) {
          fail(new Error(m.message));
        } else {
          this.wake(m);
        }
      });
      this.worker.on('error', (err) => fail(err));
      this.worker.on('exit', (code) => {
        if (!this.closed) fail(new Error(`batch worker exited (code ${code})`));
      });
    });
    this.readyPromise.catch(() => undefined);
    this.worker.postMessage({ type: 'init', spec, opts, resume: resume ?? null } satisfies WorkerRequest);
  }

  private wake(m: Arrived): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(m);
    } else {
      this.arrived.push(m);
    }
  }

  /** Resolves once the worker has opened the dataset (errors such as a missing folder surface here). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  async nextRecord(): Promise<BatchRecord> {
    if (this.closed) throw new Error('batch stream is closed');
    const t0 = performance.now();
    if (this.firstCallAt === null) this.firstCallAt = t0;
    await this.readyPromise;
    const m = this.arrived.shift() ?? (await new Promise<Arrived>((resolve) => (this.waiter = resolve)));
    const t1 = performance.now();
    this.waitMs += t1 - t0;
    this.maxWaitMs = Math.max(this.maxWaitMs, t1 - t0);
    if (this.consumed === 0) {
      this.waitFirstMs = t1 - t0;
      this.afterFirstAt = t1;
    }
    this.consumed++;
    this.lastReturnAt = t1;
    if (this.fatal) throw this.fatal;
    this.worker.postMessage({ type: 'credit', n: 1 } satisfies WorkerRequest);
    if (m.type === 'error') throw new Error(m.message);
    this.current = m.after;
    this.workerStats = m.stats;
    return m.record;
  }

  async next(): Promise<SRBatch> {
    return recordToBatch(await this.nextRecord());
  }

  /** The resume point of the consumer (what the next `next()` would return). Valid after `ready()`. */
  state(): BatchStreamState {
    if (this.current === null) throw new Error('batch stream state is not known before ready() resolves');
    return this.current;
  }

  /** Waits as seen by the main thread; load/cache numbers from the worker. */
  stats(): BatchStreamStats {
    const elapsed = this.firstCallAt !== null && this.lastReturnAt !== null ? this.lastReturnAt - this.firstCallAt : 0;
    const steadyElapsed = this.afterFirstAt !== null && this.lastReturnAt !== null ? this.lastReturnAt - this.afterFirstAt : 0;
    const steadyWait = this.waitMs - this.waitFirstMs;
    const w = this.workerStats;
    return {
      batches: this.consumed, waitMs: this.waitMs, waitMsSteady: steadyWait, maxWaitMs: this.maxWaitMs, elapsedMs: elapsed,
      waitFraction: elapsed > 0 ? this.waitMs / elapsed : 0, waitFractionSteady: steadyElapsed > 0 ? steadyWait / steadyElapsed : 0,
      loadMs: w?.loadMs ?? 0, assembleMs: w?.assembleMs ?? 0, cacheHits: w?.cacheHits ?? 0, cacheMisses: w?.cacheMisses ?? 0,
      cacheBytes: w?.cacheBytes ?? 0, cacheEntries: w?.cacheEntries ?? 0,
    };
  }

  /** Stops the worker. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }
}
