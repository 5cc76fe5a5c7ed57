/**
 * The training batch stream: an endless, seeded, resumable sequence of aligned LR/HR patch batches.
 *
 * - Order: each epoch visits every pair once, in a permutation drawn from `Rng(seed, epoch)`; batches run
 *   across epoch boundaries. Crop positions and dihedral ops come from one Rng (patches.ts `planPatch`).
 * - Resume: `state()` is plain JSON (seed, epoch, position in the epoch, Rng words, batch count) describing
 *   the next batch the *consumer* will get, whatever was prefetched; `new BatchStream(ds, opts, state)`
 *   then yields exactly the batches the saved stream would have yielded.
 * - Prefetch: up to `prefetch` batches are prepared ahead (decoding runs in sharp's thread pool).
 * - Cache: decoded pairs stay in memory in an LRU bounded by `cacheBytes`.
 * - Two outputs: `nextRecord()` gives plain Float32Array records (for worker threads; transferable),
 *   `next()` gives `SRBatch` tensors (the caller owns and disposes them).
 * - `stats()` reports how long the consumer waited for data, overall and as a fraction of its wall time.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { Rng, type RngState } from '../util/rng';
import type { SRBatch } from '../types';
import type { Dataset, ImagePair } from './datasets';
import { cropOrigin, planPatch, writePatchFloat, type PatchPlan } from './patches';

export interface BatchStreamOptions {
  readonly batchSize: number;
  /** LR patch side (the HR patch is `patchSizeLr * scale`). */
  readonly patchSizeLr: number;
  readonly seed: number;
  /** Paired hflip/vflip/transpose (default true). */
  readonly augment?: boolean;
  /** Batches prepared ahead of the consumer (default 2; 0 = load on demand). */
  readonly prefetch?: number;
  /** Memory budget for decoded pairs, in bytes (default: a quarter of the machine's RAM, at most 8 GiB). */
  readonly cacheBytes?: number;
}

/** JSON-serialisable position of a stream; goes into a checkpoint's state.json. */
export type BatchStreamState = {
  readonly seed: number;
  readonly epoch: number;
  /** Index into the epoch's permutation of the next pair to use. */
  readonly position: number;
  readonly rng: { readonly words: RngState; readonly spareNormal: number | null };
  /** Batches handed out so far. */
  readonly batches: number;
  /** Number of pairs the stream was built on (checked on resume). */
  readonly pairs: number;
};

/** A batch as plain arrays: NHWC float32 in [0,1]. */
export type BatchRecord = {
  lr: Float32Array;
  hr: Float32Array;
  lrShape: [number, number, number, number];
  hrShape: [number, number, number, number];
  /** Dataset pair index of each patch (for logs and tests). */
  indices: number[];
};

export interface BatchStreamStats {
  readonly batches: number;
  /** Total time the consumer spent waiting inside next()/nextRecord(). */
  readonly waitMs: number;
  /** Same, without the first batch (the cold start). */
  readonly waitMsSteady: number;
  readonly maxWaitMs: number;
  /** Consumer wall time from the first call to the last return. */
  readonly elapsedMs: number;
  /** waitMs / elapsedMs. */
  readonly waitFraction: number;
  /** waitMsSteady / elapsed time after the first batch. */
  readonly waitFractionSteady: number;
  /** Time spent decoding pairs (summed over concurrent loads) and cutting patches. */
  readonly loadMs: number;
  readonly assembleMs: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytes: number;
  readonly cacheEntries: number;
}

/** DIV2K decoded is ~7 GB at x4, so it fits on big machines; on small ones the pixel cache (pixel-cache.ts) helps. */
export function defaultCacheBytes(): number {
  return Math.min(8 * 1024 ** 3, Math.floor(os.totalmem() / 4));
}
const EMPTY_RECORD: BatchRecord = { lr: new Float32Array(0), hr: new Float32Array(0), lrShape: [0, 0, 0, 3], hrShape: [0, 0, 0, 3], indices: [] };

/** The permutation of `n` pair indices used in `epoch` (Fisher-Yates from a generator of (seed, epoch)). */
export function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) | 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** LRU cache of decoded pairs, bounded in bytes; concurrent requests for one pair share one load. */
class PairCache {
  private readonly map = new Map<number, { promise: Promise<ImagePair>; bytes: number }>();
  bytes = 0;
  hits = 0;
  misses = 0;
  loadMs = 0;
  constructor(private readonly ds: Dataset, private readonly budget: number) {}

  get(index: number): Promise<ImagePair> {
    const hit = this.map.get(index);
    if (hit) {
      this.hits++;
      this.map.delete(index);
      this.map.set(index, hit); // most recently used goes last
      return hit.promise;
    }
    this.misses++;
    const t0 = performance.now();
    const pair = this.ds.pairs[index];
    const promise = pair.load().then((p) => {
      this.loadMs += performance.now() - t0;
      const entry = this.map.get(index);
      if (entry && entry.promise === promise) {
        entry.bytes = p.lr.data.byteLength + p.hr.data.byteLength;
        this.bytes += entry.bytes;
        this.evict(index);
      }
      return p;
    });
    promise.catch(() => this.map.delete(index));
    this.map.set(index, { promise, bytes: 0 });
    return promise;
  }

  private evict(keep: number): void {
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      if (k === keep && this.map.size > 1) continue;
      if (v.bytes === 0) continue; // still loading
      this.map.delete(k);
      this.bytes -= v.bytes;
    }
  }

  get size(): number {
    return this.map.size;
  }
}

type Planned = { readonly before: BatchStreamState; readonly plans: readonly PatchPlan[] };

export class BatchStream {
  readonly scale: number;
  private readonly augment: boolean;
  private readonly prefetchDepth: number;
  private readonly cache: PairCache;
  private rng: Rng;
  private epoch: number;
  private position: number;
  private batchCount: number;
  private order: Uint32Array;
  private readonly queue: { before: BatchStreamState; record: Promise<BatchRecord> }[] = [];
  private closed = false;
  private waitMs = 0;
  private waitFirstMs = 0;
  private maxWaitMs = 0;
  private consumed = 0;
  private firstCallAt: number | null = null;
  private afterFirstAt: number | null = null;
  private lastReturnAt: number | null = null;
  private assembleMs = 0;

  constructor(readonly dataset: Dataset, readonly opts: BatchStreamOptions, resume?: BatchStreamState) {
    const n = dataset.pairs.length;
    if (n === 0) throw new Error(`dataset ${dataset.id} has no pairs`);
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`batchSize must be a positive integer (got ${opts.batchSize})`);
    if (!Number.isInteger(opts.patchSizeLr) || opts.patchSizeLr < 1) throw new Error(`patchSizeLr must be a positive integer (got ${opts.patchSizeLr})`);
    this.scale = dataset.scale;
    this.augment = opts.augment ?? true;
    this.prefetchDepth = opts.prefetch ?? 2;
    if (!Number.isInteger(this.prefetchDepth) || this.prefetchDepth < 0) throw new Error(`prefetch must be an integer >= 0 (got ${this.prefetchDepth})`);
    this.cache = new PairCache(dataset, opts.cacheBytes ?? defaultCacheBytes());
    if (resume) {
      if (resume.seed !== opts.seed) throw new Error(`cannot resume the batch stream: saved seed ${resume.seed}, configured seed ${opts.seed}`);
      if (resume.pairs !== n) throw new Error(`cannot resume the batch stream: it was saved on ${resume.pairs} pairs, ${dataset.id} has ${n}`);
      this.rng = Rng.restore(resume.rng);
      this.epoch = resume.epoch;
      this.position = resume.position;
      this.batchCount = resume.batches;
    } else {
      this.rng = new Rng(opts.seed);
      this.epoch = 0;
      this.position = 0;
      this.batchCount = 0;
    }
    this.order = epochOrder(opts.seed, this.epoch, n);
  }

  /** The planning position (ahead of the consumer when batches are prefetched). */
  private planState(): BatchStreamState {
    return { seed: this.opts.seed, epoch: this.epoch, position: this.position, rng: this.rng.save(), batches: this.batchCount,
      pairs: this.dataset.pairs.length };
  }

  /** Draws the next batch's patches synchronously: no I/O, so the state sequence is exact. */
  private plan(): Planned {
    const before = this.planState();
    const plans: PatchPlan[] = [];
    const n = this.dataset.pairs.length;
    for (let b = 0; b < this.opts.batchSize; b++) {
      if (this.position >= n) {
        this.epoch++;
        this.position = 0;
        this.order = epochOrder(this.opts.seed, this.epoch, n);
      }
      plans.push(planPatch(this.order[this.position++], this.rng, this.augment));
    }
    this.batchCount++;
    return { before, plans };
  }

  private async assemble(plans: readonly PatchPlan[]): Promise<BatchRecord> {
    const pairs = await Promise.all(plans.map((p) => this.cache.get(p.index)));
    // Cut in a later macrotask, not in the microtask chain of the consumer's `await next()`: a prefetched
    // batch is then handed over at once, and the cutting overlaps with whatever the consumer awaits next.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closed) return EMPTY_RECORD;
    const t0 = performance.now();
    const p = this.opts.patchSizeLr;
    const s = this.scale;
    const ph = p * s;
    const nb = plans.length;
    const lr = new Float32Array(nb * p * p * 3);
    const hr = new Float32Array(nb * ph * ph * 3);
    plans.forEach((plan, k) => {
      const pair = pairs[k];
      let origin: { top: number; left: number };
      try {
        origin = cropOrigin(plan, pair.lr.height, pair.lr.width, p);
      } catch (err) {
        const meta = this.dataset.pairs[plan.index];
        throw new Error(`${this.dataset.id}, ${meta.lrPath ?? meta.hrPath ?? meta.name}: ${(err as Error).message}`);
      }
      writePatchFloat(pair.lr, origin.top, origin.left, p, plan.op, lr, k * p * p * 3);
      writePatchFloat(pair.hr, origin.top * s, origin.left * s, ph, plan.op, hr, k * ph * ph * 3);
    });
    this.assembleMs += performance.now() - t0;
    return { lr, hr, lrShape: [nb, p, p, 3], hrShape: [nb, ph, ph, 3], indices: plans.map((q) => q.index) };
  }

  private topUp(min: number): void {
    while (this.queue.length < min) {
      const { before, plans } = this.plan();
      const record = this.assemble(plans);
      record.catch(() => undefined); // surfaced when the consumer reaches it
      this.queue.push({ before, record });
    }
  }

  /** The next batch as plain arrays. */
  async nextRecord(): Promise<BatchRecord> {
    if (this.closed) throw new Error('batch stream is closed');
    const t0 = performance.now();
    if (this.firstCallAt === null) this.firstCallAt = t0;
    this.topUp(1);
    const head = this.queue.shift() as { before: BatchStreamState; record: Promise<BatchRecord> };
    this.topUp(this.prefetchDepth);
    try {
      return await head.record;
    } finally {
      const t1 = performance.now();
      const waited = t1 - t0;
      this.waitMs += waited;
      this.maxWaitMs = Math.max(this.maxWaitMs, waited);
      if (this.consumed === 0) {
        this.waitFirstMs = waited;
        this.afterFirstAt = t1;
      }
      this.consumed++;
      this.lastReturnAt = t1;
    }
  }

  /** The next batch as tensors `{ lr: [N,p,p,3], hr: [N,p*s,p*s,3] }`; the caller disposes them. */
  async next(): Promise<SRBatch> {
    return recordToBatch(await this.nextRecord());
  }

  /** Where the consumer is: resuming from this yields the batch the next `next()` call would return. */
  state(): BatchStreamState {
    return this.queue.length > 0 ? this.queue[0].before : this.planState();
  }

  stats(): BatchStreamStats {
    const elapsed = this.firstCallAt !== null && this.lastReturnAt !== null ? this.lastReturnAt - this.firstCallAt : 0;
    const steadyElapsed = this.afterFirstAt !== null && this.lastReturnAt !== null ? this.lastReturnAt - this.afterFirstAt : 0;
    const steadyWait = this.waitMs - this.waitFirstMs;
    return {
      batches: this.consumed, waitMs: this.waitMs, waitMsSteady: steadyWait, maxWaitMs: this.maxWaitMs, elapsedMs: elapsed,
      waitFraction: elapsed > 0 ? this.waitMs / elapsed : 0,
      waitFractionSteady: steadyElapsed > 0 ? steadyWait / steadyElapsed : 0,
      loadMs: this.cache.loadMs, assembleMs: this.assembleMs, cacheHits: this.cache.hits, cacheMisses: this.cache.misses,
      cacheBytes: this.cache.bytes, cacheEntries: this.cache.size,
    };
  }

  /** Stops prefetching; pending loads finish in the background and are dropped. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  /** Endless iteration over tensor batches (the caller disposes each). */
  async *[Symbol.asyncIterator](): AsyncGenerator<SRBatch> {
    while (!this.closed) yield await this.next();
  }

  /** Endless iteration over plain records. */
  async *records(): AsyncGenerator<BatchRecord> {
    while (!this.closed) yield await this.nextRecord();
  }
}

/** Tensors of a record (copies the arrays into the backend); the caller owns the result. */
export function recordToBatch(r: BatchRecord): SRBatch {
  return { lr: tf.tensor4d(r.lr, r.lrShape, 'float32'), hr: tf.tensor4d(r.hr, r.hrShape, 'float32') };
}

/** Opens a batch stream on a dataset (optionally resuming from a saved `state()`). */
export function createBatchStream(dataset: Dataset, opts: BatchStreamOptions, resume?: BatchStreamState): BatchStream {
  return new BatchStream(dataset, opts, resume);
}
