/**
 * The multithreaded SIMD build of tfjs-backend-wasm 4.22 in Node.
 *
 * tfjs turns the threaded build off under Node (WASM_HAS_MULTITHREAD_SUPPORT is false there) and its loader
 * hands emscripten Blob URLs that Node's worker_threads cannot open. This module instantiates the threaded
 * module itself: emscripten's pthread worker script (embedded in the package as a string) is written to a
 * real file, the glue script's own path is given as the script every pthread imports, and the backend
 * 'wasm' is re-registered with a factory that wraps that module in the stock BackendWasm. Kernels
 * registered for 'wasm' (stock and the kit's) are set up on it as usual, so the kit kernels keep working.
 *
 * Only XNNPACK ops (conv, matmul, ...) use the pool; the rest stays on the calling thread. Results are
 * bit-identical to the single-threaded SIMD build (XNNPACK splits output tiles, not reductions).
 *
 * Meant for single-image inference on the main thread. The data-parallel training workers stay on the
 * single-threaded build: initBackend only applies SRKD_WASM_THREADS on the main thread.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as wasmBackend from '@tensorflow/tfjs-backend-wasm';

const PKG = '@tensorflow/tfjs-backend-wasm';
const GLUE = `${PKG}/wasm-out/tfjs-backend-wasm-threaded-simd.js`;
const WORKER = `${PKG}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`;
const WASM_PRIORITY = 2; // as the stock registration

/** What the emscripten module exposes that BackendWasm needs (the part tfjs's own init adds). */
type EmscriptenModule = {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs?: Record<string, unknown>;
  PThread?: { terminateAllThreads(): void; unusedWorkers: { unref?(): void }[]; runningWorkers?: unknown[] };
  [k: string]: unknown;
};

/** Threads the threaded backend computes with (0 until it is initialised). */
let activeThreads = 0;
/** Thread count the 'wasm' registration was replaced for (0: stock registration). */
let registeredThreads = 0;

/** Threads wanted for `threads: 'auto'`: the cores Node may use, at least 1. */
export function autoThreads(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * Parses a thread request: 'auto' or a positive integer (also as a string, e.g. from SRKD_WASM_THREADS).
 * '', '0', '1', 'off', 'false' and undefined mean the single-threaded build (returns 1).
 */
export function parseThreads(value: number | string | undefined): number {
  if (value === undefined) return 1;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new Error(`wasm threads must be 'auto' or an integer >= 1 (got ${value})`);
    return Math.max(1, value);
  }
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'off' || v === 'false' || v === 'no') return 1;
  if (v === 'auto' || v === 'on' || v === 'true' || v === 'yes') return autoThreads();
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`SRKD_WASM_THREADS must be 'auto', 'off' or an integer >= 1 (got '${value}')`);
  return Math.max(1, n);
}

/** Writes emscripten's pthread bootstrap script to a file named by its hash (reused across processes). */
function workerScriptFile(): string {
  const { wasmWorkerContents: raw } = require(WORKER) as { wasmWorkerContents: string }; // eslint-disable-line @typescript-eslint/no-var-requires
  // The embedded script has raw newlines inside string literals; tfjs escapes them the same way.
  const wasmWorkerContents = raw.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(wasmWorkerContents).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `srkd-tfjs-wasm-pthread-${hash}.js`);
  try {
    if (fs.readFileSync(file, 'utf8') === wasmWorkerContents) return file;
  } catch {
    /* not there yet */
  }
  const tmp = `${file}.${process.pid}.${Date.now()}.part`;
  fs.writeFileSync(tmp, wasmWorkerContents);
  fs.renameSync(tmp, file); // atomic: concurrent processes never see a half-written script
  return file;
}

/**
 * Runs `f` while os.cpus() reports `cores` entries. tfjs's init_with_threads_count caps the XNNPACK pool
 * at `num_cores`, a C++ global set to emscripten_num_logical_cores() / 2 by the module's static constructors
 * (which run while the factory's promise is pending); the glue reads that count from os.cpus() in Node.
 */
async function withReportedCores<T>(cores: number, f: () => Promise<T>): Promise<T> {
  // the glue's require('os') object itself (the `import * as os` namespace has read-only getters)
  const nodeOs = require('os') as { cpus: () => os.CpuInfo[] }; // eslint-disable-line @typescript-eslint/no-var-requires
  const real = nodeOs.cpus;
  const list = real();
  const fake = Array.from({ length: cores }, (_, i) => list[i % Math.max(1, list.length)]);
  nodeOs.cpus = () => fake;
  try {
    return await f();
  } finally {
    nodeOs.cpus = real;
  }
}

/** Instantiates the threaded SIMD module with a pool of `threads - 1` pthreads (the caller is the last). */
async function instantiateThreaded(threads: number): Promise<EmscriptenModule> {
  const factory = require(GLUE) as (config: Record<string, unknown>) => Promise<EmscriptenModule>; // eslint-disable-line @typescript-eslint/no-var-requires
  const glue = require.resolve(GLUE);
  const wasmFile = path.join(path.dirname(require.resolve(`${PKG}/package.json`)), 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  const workerFile = workerScriptFile();
  const module = await withReportedCores(2 * threads, () => factory({
    locateFile: (p: string) => (p.endsWith('.worker.js') ? workerFile : p.endsWith('.wasm') ? wasmFile : p),
    // every pthread importScripts() this and calls WasmBackendModuleThreadedSimd(Module)
    mainScriptUrlOrBlob: glue,
  }));
  // what tfjs-backend-wasm's init() adds (tf-backend-wasm.node.js, `module.tfjs = {...}`)
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/**
 * Re-registers backend 'wasm' on the threaded SIMD build with `threads` XNNPACK threads (>= 2, at most 8:
 * tfjs's cap; the calling thread is one of them). Call before the wasm backend is first initialised, then
 * `tf.setBackend('wasm')` as usual. Throws if it already is (its tensors would be stranded) or if the
 * module cannot be instantiated, leaving the stock registration in place. The actual count is
 * `threadedWasmThreads()` once the backend is initialised.
 *
 * While the module instantiates, os.cpus() reports 2 x `threads` entries (see withReportedCores).
 */
export async function registerThreadedWasm(threads: number): Promise<void> {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`registerThreadedWasm needs threads >= 2 (got ${threads})`);
  if (registeredThreads === threads) return;
  if (tf.engine().registry.wasm) {
    throw new Error('the wasm backend is already initialised; wasm threads must be chosen before the first initBackend / tf op');
  }
  let fresh: EmscriptenModule | null = await instantiateThreaded(threads); // may throw: nothing changed yet
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', async () => {
    // a backend disposed by tf.removeBackend has terminated its module's threads: re-creating needs a new one
    const module = fresh ?? (await instantiateThreaded(threads));
    fresh = null;
    // BackendWasm's constructor passes this to init_with_threads_count (the default, -1, means num_cores).
    wasmBackend.setThreadsCount(threads);
    const backend = new wasmBackend.BackendWasm(module as never); // creates the pthreadpool
    unrefThreads(module);
    activeThreads = wasmBackend.getThreadsCount();
    return backend;
  }, WASM_PRIORITY);
  registeredThreads = threads;
}

/** `registerThreadedWasm` + `tf.setBackend('wasm')`; returns the thread count XNNPACK reports. */
export async function useThreadedWasm(threads: number): Promise<number> {
  await registerThreadedWasm(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('threaded wasm backend failed to initialise');
  return activeThreads;
}

/**
 * emscripten refs the Node worker of every running pthread, and XNNPACK's pool threads never exit, so the
 * process would never end by itself; unref them (idle pool workers are unref'd by emscripten already).
 */
function unrefThreads(module: EmscriptenModule): void {
  const pt = module.PThread as { runningWorkers?: { unref?(): void }[] } | undefined;
  for (const w of pt?.runningWorkers ?? []) w.unref?.();
}

/** XNNPACK threads of the initialised threaded wasm backend, or 0 when the stock (single-threaded) build is in use. */
export function threadedWasmThreads(): number {
  return activeThreads;
}
