/**
 * Backend selection. Order: tensorflow (tfjs-node-gpu, then tfjs-node) > webgpu (a real GPU through Dawn's
 * Vulkan backend; never a software adapter) > wasm (with the kit's training kernels) > cpu.
 * SRKD_BACKEND=tensorflow|webgpu|wasm|cpu forces one; forcing a missing one is an error. Forced webgpu on a
 * host without a GPU runs on Mesa's software OpenGL (correctness checks only; webgpu.ts).
 *
 * Auto-selection probes webgpu on the main thread only: a GPU device belongs to one process-wide backend
 * instance, and data-parallel worker threads (which inherit the environment) stay on wasm. When the probe
 * finds no GPU, the banner is preceded by one line saying why.
 *
 * wasm threads (opt-in, for single-image inference on the main thread): `initBackend({ threads: 'auto' })`
 * or SRKD_WASM_THREADS=auto|N runs the wasm backend on tfjs's threaded SIMD build (wasm-threads.ts), whose
 * XNNPACK ops use N threads; results are bit-identical to the default build. Default: 1 thread, the stock
 * SIMD build. SRKD_WASM_THREADS is read on the main thread only, so the data-parallel training workers
 * (which inherit the environment) stay single-threaded.
 */
import { isMainThread } from 'worker_threads';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm-kernels/index';
import { registerWebgpuKitKernels } from './webgpu-kernels/index';
import { installBackpropRelease } from '../util/backprop-release';
import { parseThreads, registerThreadedWasm, threadedWasmThreads } from './wasm-threads';
import { type SimdBuild, simdBuild } from './simd/index';
import { applyTfjsFlags, parseTfjsFlags, type TfjsFlags } from './tfjs-flags';
import { describeAdapterLine, probeWebgpuAdapter, registerWebgpuBackend, type WebgpuAdapter } from './webgpu';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendInfo {
  readonly name: BackendName;
  /** Which package provides it, e.g. '@tensorflow/tfjs-node-gpu' or '@tensorflow/tfjs-backend-wasm'. */
  readonly provider: string;
  readonly versions: Readonly<Record<string, string>>;
  /**
   * Threads one backend instance computes with (wasm: 1 unless the threaded build was asked for; training
   * uses cores through worker threads).
   */
  readonly threads: number;
  /** Kernels the kit registered in place of or beside the stock backend's (wasm: training kernels; webgpu: webgpu-kernels/). */
  readonly kitKernels: readonly string[];
  /** Build of the kit's hand-written SIMD kernels (lib/backend/simd), null when they are off or not wasm. */
  readonly simd: SimdBuild | null;
  /** webgpu only: the adapter (vendor, architecture, device, driver description, limits); else null. */
  readonly adapter: WebgpuAdapter | null;
  /** Why auto-selection passed over a faster backend, e.g. "webgpu: the Vulkan loader ... is not installed". */
  readonly passedOver: readonly string[];
  /** TF.js flags set from SRKD_TFJS_FLAGS for this backend (tfjs-flags.ts); empty when none. */
  readonly tfjsFlags: TfjsFlags;
}

export interface InitBackendOptions {
  /** Overrides SRKD_BACKEND. */
  readonly backend?: BackendName;
  /** Print the one-line backend banner (default true; printed once per process). */
  readonly announce?: boolean;
  /**
   * wasm only: XNNPACK threads, 'auto' (os.availableParallelism()) or a count; 1 = the stock single-threaded
   * build. Default: SRKD_WASM_THREADS on the main thread, else 1. Must be chosen by the first call; asking
   * a different count later is an error. If the threaded build cannot start, a warning is printed and
   * the stock build is used (`threads` in the result says which).
   */
  readonly threads?: number | 'auto';
}

let current: BackendInfo | null = null;
let announced = false;

function tryRequire(name: string): boolean {
  try {
    require(name); // eslint-disable-line @typescript-eslint/no-var-requires -- optional, loaded only when present
    return true;
  } catch {
    return false;
  }
}

function tensorflowProvider(): string | null {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) if (tryRequire(pkg)) return pkg;
  return null;
}

function parseForced(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === '') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`SRKD_BACKEND must be one of ${BACKEND_NAMES.join(', ')} (got '${value}')`);
}

async function activate(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend '${name}' failed to initialise`);
  await tf.ready();
}

/**
 * Selects and initialises the backend once per process; later calls return the same info.
 * Forcing a different backend after initialisation is an error (tensors would be stranded).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const forced = options.backend ?? parseForced(process.env.SRKD_BACKEND);
  const wantThreads = parseThreads(options.threads ?? (isMainThread ? process.env.SRKD_WASM_THREADS : undefined));
  if (current && options.threads !== undefined && current.name === 'wasm' && wantThreads !== current.threads &&
      (!forced || forced === current.name)) {
    throw new Error(`wasm backend already initialised with ${current.threads} thread(s); cannot switch to ${wantThreads} in this process`);
  }
  if (current && (!forced || forced === current.name)) return announce(current, options);
  if (current && forced && forced !== current.name) {
    throw new Error(`backend already initialised as '${current.name}'; cannot switch to '${forced}' in this process`);
  }

  let name: BackendName;
  let provider: string;
  let adapter: WebgpuAdapter | null = null;
  const passedOver: string[] = [];
  const tfProvider = forced === undefined || forced === 'tensorflow' ? tensorflowProvider() : null;
  if (forced === 'tensorflow' && !tfProvider) {
    throw new Error(
      "SRKD_BACKEND=tensorflow but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node loads here " +
        '(their install downloads libtensorflow; see environment.md)',
    );
  }
  const gpu = !tfProvider && (forced === 'webgpu' || (forced === undefined && isMainThread))
    ? await probeWebgpuAdapter(forced === 'webgpu' ? 'any' : 'gpu')
    : null;
  if (forced === 'webgpu' && gpu?.ok === false) throw new Error(`SRKD_BACKEND=webgpu but no WebGPU adapter is available: ${gpu.reason}`);
  if (gpu?.ok === false) passedOver.push(`webgpu: ${gpu.reason}`);
  if (gpu?.ok && gpu.noGpuReason) passedOver.push(`a GPU for webgpu: ${gpu.noGpuReason}`);
  if (tfProvider) {
    name = 'tensorflow';
    provider = tfProvider;
  } else if (gpu?.ok) {
    name = 'webgpu';
    provider = '@tensorflow/tfjs-backend-webgpu';
    adapter = registerWebgpuBackend(gpu);
  } else if (forced === 'cpu') {
    name = 'cpu';
    provider = '@tensorflow/tfjs-backend-cpu';
  } else {
    name = 'wasm';
    provider = '@tensorflow/tfjs-backend-wasm';
  }
  const kitKernels = name === 'wasm' ? registerWasmTrainingKernels() : name === 'webgpu' ? registerWebgpuKitKernels() : [];
  if (name === 'wasm' && wantThreads > 1) {
    try {
      await registerThreadedWasm(wantThreads);
    } catch (e) {
      process.stderr.write(`srkd: wasm threads unavailable (${e instanceof Error ? e.message : String(e)}); using 1 thread\n`);
    }
  }
  await activate(name);
  installBackpropRelease(); // every backend: frees backprop's saved tensors and gradients as it goes
  const tfjsFlags = applyTfjsFlags(parseTfjsFlags(process.env.SRKD_TFJS_FLAGS));

  const versions: Record<string, string> = { 'tfjs-core': tf.version_core, node: process.versions.node };
  if (name === 'wasm') versions['tfjs-backend-wasm'] = require('@tensorflow/tfjs-backend-wasm').version_wasm;
  if (name === 'tensorflow') versions[provider.replace('@tensorflow/', '')] = require(`${provider}/package.json`).version;
  if (name === 'webgpu') {
    versions['tfjs-backend-webgpu'] = require('@tensorflow/tfjs-backend-webgpu/package.json').version;
    versions.webgpu = require('webgpu/package.json').version;
  }
  const threads = name === 'wasm' ? Math.max(1, threadedWasmThreads()) : 1;
  if (threads > 1) versions['tfjs-backend-wasm'] += ' threaded-simd';
  const simd = name === 'wasm' ? simdBuild(tf.backend()) : null;
  current = { name, provider, versions, threads, kitKernels, simd, adapter, passedOver, tfjsFlags };
  return announce(current, options);
}

function announce(info: BackendInfo, options: InitBackendOptions): BackendInfo {
  if (options.announce !== false && !announced) {
    announced = true;
    for (const why of info.passedOver) process.stderr.write(`srkd: not using ${why}\n`);
    process.stderr.write(`srkd: ${describeBackend(info)}\n`);
  }
  return info;
}

/**
 * One line, e.g. "backend wasm (tfjs-core 4.22.0, tfjs-backend-wasm 4.22.0), 1 thread per worker, 7 kit kernels"
 * or "backend webgpu (...) on NVIDIA H100 (nvidia hopper, Vulkan, ...)".
 */
export function describeBackend(info: BackendInfo): string {
  const v = Object.entries(info.versions).map(([k, x]) => `${k} ${x}`).join(', ');
  const flags = Object.entries(info.tfjsFlags ?? {}).map(([k, x]) => `${k}=${x}`).join(', ');
  const line = describeBackendOnly(info, v);
  return flags ? `${line}; TF.js flags ${flags}` : line;
}

function describeBackendOnly(info: BackendInfo, v: string): string {
  if (info.adapter) {
    const kits = info.kitKernels.length ? `; kit kernels ${info.kitKernels.join(', ')}` : '';
    return `backend ${info.name} (${v}) on ${describeAdapterLine(info.adapter)}${kits}`;
  }
  const simd = info.simd ? ` (SIMD ${info.simd})` : '';
  const kits = info.kitKernels.length ? `, ${info.kitKernels.length} kit training kernels${simd}` : '';
  return `backend ${info.name} (${v}), ${info.threads} thread${info.threads === 1 ? '' : 's'} per worker${kits}`;
}

/** The info of the initialised backend, or null before `initBackend`. */
export function backendInfo(): BackendInfo | null {
  return current;
}
