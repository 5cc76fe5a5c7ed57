/**
 * Training checkpoints: `<run>/ckpt/step-<n>/` holding
 *   state.json     step, data-stream state (cursor + RNG words), best metrics, config hash, tensor tables,
 *                  Adam iteration count and running beta powers, elapsed time, worker count
 *   config.json    the run's config at that point
 *   weights.bin    student weights (float32 LE, pool variable order)
 *   ema.bin        EMA weights (same layout; absent without EMA)
 *   optimizer.bin  optimiser slots (Adam m then v per variable)
 * A checkpoint is written into a temporary sibling directory (files fsynced) and renamed into place, so a
 * crash leaves either the whole checkpoint or none. The method's randomness is derived from (seed, step) and
 * needs no saved state; the data stream's state is its cursor. Restoring all of it reproduces the
 * uninterrupted run bit for bit (with the same worker count; another count agrees to float tolerance).
 */
import type { EngineKind } from './step-engine';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type TrainConfig, upgradeStoredConfig } from '../config/train';
import type { BatchStreamState } from '../data/batches';
import type { OptimizerState, VariableInfo } from '../parallel/data-parallel';

export const CKPT_DIR = 'ckpt';
export const STATE_JSON = 'state.json';
const CKPT_FORMAT = 'srkd-checkpoint';
const CKPT_VERSION = 1;

export type TensorEntry = { readonly name: string; readonly shape: readonly number[]; readonly offset: number };

/** Best validation result so far (the first validation set's mean PSNR). */
export type BestMetric = { readonly step: number; readonly set: string; readonly psnr: number; readonly ssim: number };

export interface CheckpointState {
  readonly format: typeof CKPT_FORMAT;
  readonly version: number;
  /** Completed optimisation iterations. */
  readonly step: number;
  readonly configHash: string;
  readonly stream: BatchStreamState;
  readonly best: BestMetric | null;
  readonly workers: number;
  /** The step engine that made it (step-engine.ts); absent in checkpoints older than the field (= 'workers'). */
  readonly engine?: EngineKind;
  /** Training wall time up to this checkpoint (seconds, over all sessions). */
  readonly elapsedSec: number;
  readonly weights: readonly TensorEntry[];
  readonly ema: readonly TensorEntry[] | null;
  /** The method's evolving state (method-state.bin); absent or null when the method has none. */
  readonly methodState?: readonly TensorEntry[] | null;
  readonly optimizer: {
    readonly kind: OptimizerState['kind'];
    readonly iterations: number;
    readonly accBetas: readonly [number, number] | null;
    readonly slots: readonly TensorEntry[];
  };
  readonly savedAt: string;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  readonly dir: string;
  readonly state: CheckpointState;
  readonly config: TrainConfig;
  readonly weights: Float32Array[];
  readonly ema: Float32Array[] | null;
  readonly optimizer: OptimizerState;
  /** The method's evolving state (e.g. DCKD's history model), or null when it has none. */
  readonly methodState: Float32Array[] | null;
}

export interface CheckpointData {
  readonly step: number;
  readonly configHash: string;
  readonly config: TrainConfig;
  readonly stream: BatchStreamState;
  readonly best: BestMetric | null;
  readonly workers: number;
  readonly engine: EngineKind;
  readonly elapsedSec: number;
  readonly variables: readonly VariableInfo[];
  readonly weights: readonly Float32Array[];
  readonly ema: readonly Float32Array[] | null;
  readonly optimizer: OptimizerState;
  /** The method's evolving state variables (StepEngine.stateVariables) and their values, or null. */
  readonly methodState: { readonly variables: readonly VariableInfo[]; readonly data: readonly Float32Array[] } | null;
}

const HOST_LE = os.endianness() === 'LE';

function writeArrays(file: string, arrays: readonly { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array }[]): TensorEntry[] {
  const entries: TensorEntry[] = [];
  const fd = fs.openSync(file, 'w');
  try {
    let offset = 0;
    for (const a of arrays) {
      const bytes = new Uint8Array(a.data.buffer.slice(a.data.byteOffset, a.data.byteOffset + a.data.byteLength));
      if (!HOST_LE) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
      fs.writeSync(fd, bytes);
      entries.push({ name: a.name, shape: a.shape.slice(), offset });
      offset += bytes.length;
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return entries;
}

function readArrays(file: string, entries: readonly TensorEntry[]): Float32Array[] {
  const buf = fs.readFileSync(file);
  return entries.map((e) => {
    const n = e.shape.reduce((a, d) => a * d, 1);
    if (e.offset + n * 4 > buf.length) throw new Error(`${file}: truncated (tensor '${e.name}' needs bytes ${e.offset}..${e.offset + n * 4}, file has ${buf.length})`);
    const bytes = new Uint8Array(n * 4);
    bytes.set(buf.subarray(e.offset, e.offset + n * 4));
    if (!HOST_LE) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
    return new Float32Array(bytes.buffer);
  });
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // not supported everywhere (e.g. some file systems); the rename is still atomic
  }
}

function writeJson(file: string, value: unknown): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 1) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function checkpointDir(runDir: string, step: number): string {
  return path.join(runDir, CKPT_DIR, `step-${step}`);
}

/** Writes a checkpoint atomically; an existing checkpoint of the same step is replaced. Returns its directory. */
export function saveCheckpoint(runDir: string, data: CheckpointData): string {
  const root = path.join(runDir, CKPT_DIR);
  fs.mkdirSync(root, { recursive: true });
  const target = checkpointDir(runDir, data.step);
  const tmp = fs.mkdtempSync(path.join(root, `.tmp-step-${data.step}-`));
  try {
    const named = (ws: readonly Float32Array[]) => data.variables.map((v, i) => {
      if (ws[i].length !== v.size) throw new Error(`checkpoint: ${v.name} has ${v.size} values, got ${ws[i].length}`);
      return { name: v.name, shape: v.shape, data: ws[i] };
    });
    const weights = writeArrays(path.join(tmp, 'weights.bin'), named(data.weights));
    const ema = data.ema ? writeArrays(path.join(tmp, 'ema.bin'), named(data.ema)) : null;
    const slots = writeArrays(path.join(tmp, 'optimizer.bin'), data.optimizer.slots);
    const ms = data.methodState;
    const methodState = ms && ms.variables.length > 0
      ? writeArrays(path.join(tmp, 'method-state.bin'), ms.variables.map((v, i) => ({ name: v.name, shape: v.shape, data: ms.data[i] })))
      : null;
    const state: CheckpointState = {
      format: CKPT_FORMAT,
      version: CKPT_VERSION,
      step: data.step,
      configHash: data.configHash,
      stream: data.stream,
      best: data.best,
      workers: data.workers,
      engine: data.engine,
      elapsedSec: data.elapsedSec,
      weights,
      ema,
      optimizer: { kind: data.optimizer.kind, iterations: data.optimizer.iterations, accBetas: data.optimizer.accBetas ?? null, slots },
      methodState,
      savedAt: new Date().toISOString(),
    };
    writeJson(path.join(tmp, 'config.json'), data.config);
    writeJson(path.join(tmp, STATE_JSON), state); // written last: its presence marks a complete checkpoint
    fsyncDir(tmp);
    if (fs.existsSync(target)) {
      const old = `${tmp}.old`;
      fs.renameSync(target, old);
      fs.renameSync(tmp, target);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
    fsyncDir(root);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return target;
}

/** Steps of the complete checkpoints of a run, ascending. Temporary and incomplete directories are ignored. */
export function listCheckpoints(runDir: string): number[] {
  const root = path.join(runDir, CKPT_DIR);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(root, m[0], STATE_JSON)))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Removes all but the newest `keep` checkpoints, and leftovers of interrupted writes. */
export function pruneCheckpoints(runDir: string, keep: number): void {
  const root = path.join(runDir, CKPT_DIR);
  if (!fs.existsSync(root)) return;
  const steps = listCheckpoints(runDir);
  for (const s of steps.slice(0, Math.max(0, steps.length - keep))) fs.rmSync(checkpointDir(runDir, s), { recursive: true, force: true });
  for (const n of fs.readdirSync(root)) if (n.startsWith('.tmp-step-')) fs.rmSync(path.join(root, n), { recursive: true, force: true });
}

/** Reads a checkpoint directory; errors name the file. */
export function loadCheckpoint(dir: string): Checkpoint {
  const stateFile = path.join(dir, STATE_JSON);
  let state: CheckpointState;
  let config: TrainConfig;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as CheckpointState;
    config = upgradeStoredConfig(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as TrainConfig);
  } catch (err) {
    throw new Error(`checkpoint ${dir}: cannot read state.json/config.json (${(err as Error).message})`);
  }
  if (state.format !== CKPT_FORMAT || state.version !== CKPT_VERSION) {
    throw new Error(`${stateFile}: not a ${CKPT_FORMAT} v${CKPT_VERSION} checkpoint (format ${JSON.stringify(state.format)}, version ${JSON.stringify(state.version)})`);
  }
  const weights = readArrays(path.join(dir, 'weights.bin'), state.weights);
  const ema = state.ema ? readArrays(path.join(dir, 'ema.bin'), state.ema) : null;
  const slotData = readArrays(path.join(dir, 'optimizer.bin'), state.optimizer.slots);
  const optimizer: OptimizerState = {
    kind: state.optimizer.kind,
    iterations: state.optimizer.iterations,
    slots: state.optimizer.slots.map((e, i) => ({ name: e.name, shape: e.shape.slice(), data: slotData[i] })),
    ...(state.optimizer.accBetas ? { accBetas: [state.optimizer.accBetas[0], state.optimizer.accBetas[1]] as [number, number] } : {}),
  };
  const methodState = state.methodState ? readArrays(path.join(dir, 'method-state.bin'), state.methodState) : null;
  return { dir, state, config, weights, ema, optimizer, methodState };
}

/** The newest complete checkpoint of a run, or null. */
export function latestCheckpoint(runDir: string): Checkpoint | null {
  const steps = listCheckpoints(runDir);
  return steps.length ? loadCheckpoint(checkpointDir(runDir, steps[steps.length - 1])) : null;
}
