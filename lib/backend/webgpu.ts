/**
 * The WebGPU backend (@tensorflow/tfjs-backend-webgpu) on Dawn, the WebGPU implementation that the npm
 * package `webgpu` ships as a prebuilt Node addon (no download at install time).
 *
 * tfjs-backend-webgpu registers itself only in a browser (it looks for navigator.gpu), so the kit picks
 * the adapter and registers the backend factory itself:
 * - a GPU: Dawn's Vulkan backend, which needs the Vulkan loader (libvulkan.so.1, Debian package libvulkan1)
 *   and the GPU vendor's Vulkan driver (e.g. the NVIDIA driver, which needs libGLdispatch.so.0: libglvnd0). Dawn refuses Mesa's lavapipe (software
 *   Vulkan; measured here on Mesa's software GL: every training kernel present, gradients equal to the cpu backend's), and a software adapter is never auto-selected.
 * - no GPU (forced, for correctness checks on CPU hosts and CI): Mesa's llvmpipe through Dawn's OpenGL
 *   backend on surfaceless EGL. It exists only at WebGPU's 'compatibility' feature level (the core level
 *   yields no adapter), needs EGL_PLATFORM=surfaceless (eglInitialize fails without a display otherwise),
 *   and the apt packages libegl1, libegl-mesa0 and libgl1-mesa-dri. About 3.5 GFLOP/s: a test path, not a
 *   fast one.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';

export type WebgpuMode = 'gpu' | 'any';

/** The adapter the backend runs on, as Dawn reports it. */
export interface WebgpuAdapter {
  /** Dawn backend: 'vulkan' (GPU path) or 'opengl' (software GL on CPU hosts). */
  readonly api: 'vulkan' | 'opengl';
  readonly featureLevel: 'core' | 'compatibility';
  readonly vendor: string;
  readonly architecture: string;
  /** Device name, e.g. 'NVIDIA H100 80GB HBM3' or 'llvmpipe-llvm-15-0-6-256-bits-'. */
  readonly device: string;
  /** Driver description, e.g. 'NVIDIA: 550.54.15' or 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6'. */
  readonly description: string;
  /** A CPU (software) implementation: llvmpipe, lavapipe, SwiftShader or Dawn's fallback adapter. */
  readonly software: boolean;
  readonly limits: {
    readonly maxBufferSize: number;
    readonly maxStorageBufferBindingSize: number;
    readonly maxComputeWorkgroupStorageSize: number;
    readonly maxComputeInvocationsPerWorkgroup: number;
  };
}

// ---------------------------------------------------------------- minimal Dawn typings (what the kit uses)

interface DawnAdapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<DawnDevice>;
}
interface DawnDevice {
  readonly lost: Promise<{ reason: string; message: string }>;
  destroy(): void;
}
interface DawnGpu {
  requestAdapter(options: { featureLevel?: 'core' | 'compatibility'; powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  readonly globals: Record<string, unknown>;
}

// ---------------------------------------------------------------- system libraries

/** A shared library Dawn opens at run time, and the Debian package that provides it. */
interface SystemLibrary {
  readonly file: string;
  readonly aptPackage: string;
}

const VULKAN_LOADER: SystemLibrary = { file: 'libvulkan.so.1', aptPackage: 'libvulkan1' };
/**
 * NVIDIA's Vulkan driver is libGLX_nvidia.so.0, which needs glvnd's dispatch library. GPU containers with only
 * the driver mounted can lack it: on the H200 of 2026-12-04 the loader then said "Could not get
 * 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr' for ICD libGLX_nvidia.so.0" and Dawn found no adapter.
 */
const GLVND_DISPATCH: SystemLibrary = { file: 'libGLdispatch.so.0', aptPackage: 'libglvnd0' };
const GL_LIBRARIES: readonly SystemLibrary[] = [
  { file: 'libEGL.so.1', aptPackage: 'libegl1' },
  { file: 'libEGL_mesa.so.0', aptPackage: 'libegl-mesa0' },
  { file: 'dri/swrast_dri.so', aptPackage: 'libgl1-mesa-dri' },
];
/** Debian packages the software adapter needs (for .ci/run and error messages). */
export const SOFTWARE_ADAPTER_APT_PACKAGES: readonly string[] = GL_LIBRARIES.map((l) => l.aptPackage);

const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/**
 * Whether the dynamic loader finds `file`. process.dlopen runs the real dlopen (same search path as Dawn);
 * a library that is found but is not a Node addon fails differently ("did not self-register"). Mesa's DRI
 * drivers are not on the search path, so they are looked up in the multiarch directories.
 */
export function libraryFound(file: string): boolean {
  if (file.includes('/')) {
    const dirs = [`/usr/lib/${MULTIARCH[process.arch] ?? ''}`, '/usr/lib64', '/usr/lib'];
    return dirs.some((d) => fs.existsSync(`${d}/${file}`));
  }
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, file);
    return true;
  } catch (e) {
    return !/cannot open shared object file/.test(e instanceof Error ? e.message : String(e));
  }
}

function missingText(libs: readonly SystemLibrary[]): string {
  return libs.map((l) => `${l.file} (apt package ${l.aptPackage})`).join(', ');
}

// ---------------------------------------------------------------- adapters

let dawn: DawnModule | null = null;
/**
 * Every Dawn instance created stays referenced for the life of the process: a collected instance tears
 * down state its adapters' devices still use (EGL display), and the process aborts in a later op
 * (measured: 'std::system_error: Invalid argument' or a pthread mutex assertion some steps later).
 */
const instances: DawnGpu[] = [];

function createInstance(flags: string[]): DawnGpu {
  const gpu = loadDawn().create(flags);
  instances.push(gpu);
  return gpu;
}

function loadDawn(): DawnModule {
  if (!dawn) {
    // The package is ESM; Node >= 20.19 loads it with require(). Its addon links only libc/libstdc++ and
    // opens Vulkan and EGL itself when an adapter is requested.
    dawn = require('webgpu') as DawnModule; // eslint-disable-line @typescript-eslint/no-var-requires
  }
  return dawn;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** A CPU implementation (Mesa llvmpipe/lavapipe/softpipe, SwiftShader, Dawn's fallback adapter), from its info. */
export function isSoftwareAdapter(info: { device: string; description: string; isFallbackAdapter?: boolean }): boolean {
  return info.isFallbackAdapter === true || SOFTWARE_NAMES.test(`${info.device} ${info.description}`);
}

function describeAdapter(a: DawnAdapter, api: WebgpuAdapter['api'], featureLevel: WebgpuAdapter['featureLevel']): WebgpuAdapter {
  const { vendor, architecture, device, description } = a.info;
  return {
    api, featureLevel, vendor, architecture, device, description,
    software: isSoftwareAdapter(a.info),
    limits: {
      maxBufferSize: a.limits.maxBufferSize,
      maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: a.limits.maxComputeInvocationsPerWorkgroup,
    },
  };
}

/** The result of looking for an adapter: the adapter, or why there is none (one line). */
export type AdapterFound = {
  readonly ok: true;
  readonly adapter: WebgpuAdapter;
  readonly dawnAdapter: DawnAdapter;
  readonly gpu: DawnGpu;
  /** Set when a software adapter was taken: why there is no GPU adapter (one line). */
  readonly noGpuReason?: string;
};
export type AdapterProbe = AdapterFound | { readonly ok: false; readonly reason: string };

/** Test seam: how system libraries are looked up (default: the dynamic loader, `libraryFound`). */
export interface ProbeOptions {
  readonly findLibrary?: (file: string) => boolean;
}

async function vulkanAdapter(findLibrary: (file: string) => boolean): Promise<AdapterProbe> {
  if (!findLibrary(VULKAN_LOADER.file)) {
    return { ok: false, reason: `the Vulkan loader ${missingText([VULKAN_LOADER])} is not installed` };
  }
  // Unquantised timestamps: the bench's per-kernel GPU times (tf.profile) would otherwise be rounded to 100 µs,
  // longer than most kernels of a step. Nothing else reads timestamps.
  const gpu = createInstance(['backend=vulkan', 'disable-dawn-features=timestamp_quantization']);
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) {
    const glvnd = findLibrary(GLVND_DISPATCH.file) ? '' : `; NVIDIA's Vulkan driver also needs ${missingText([GLVND_DISPATCH])}, which is not installed`;
    return { ok: false, reason: `Dawn found no usable Vulkan adapter (no GPU, or its Vulkan driver is not installed)${glvnd}` };
  }
  return { ok: true, adapter: describeAdapter(a, 'vulkan', 'core'), dawnAdapter: a, gpu };
}

async function softwareGlAdapter(findLibrary: (file: string) => boolean): Promise<AdapterProbe> {
  const missing = GL_LIBRARIES.filter((l) => !findLibrary(l.file));
  if (missing.length) return { ok: false, reason: `the software OpenGL adapter needs ${missingText(missing)}` };
  // Mesa's EGL picks its platform from this variable when the display is opened; without a display
  // server only 'surfaceless' initialises. Set only when the user has not chosen one.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = createInstance(['backend=opengl']);
  const a = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  if (!a) {
    const platform = process.env.EGL_PLATFORM;
    const hint = platform === 'surfaceless' ? '' : '; unset EGL_PLATFORM to let the kit use surfaceless';
    return { ok: false, reason: `Dawn's OpenGL backend found no adapter (eglInitialize failed with EGL_PLATFORM=${platform}${hint})` };
  }
  return { ok: true, adapter: describeAdapter(a, 'opengl', 'compatibility'), dawnAdapter: a, gpu };
}

/**
 * Finds an adapter. 'gpu' (auto-selection): Vulkan only, and only a hardware GPU. 'any' (SRKD_BACKEND=webgpu):
 * a Vulkan GPU if there is one, else the software OpenGL adapter. Never throws: a failure is a reason.
 */
export async function probeWebgpuAdapter(mode: WebgpuMode, opts: ProbeOptions = {}): Promise<AdapterProbe> {
  const findLibrary = opts.findLibrary ?? libraryFound;
  try {
    loadDawn();
  } catch (e) {
    return { ok: false, reason: `the npm package 'webgpu' (Dawn) does not load: ${e instanceof Error ? e.message : String(e)}` };
  }
  const vk = await vulkanAdapter(findLibrary);
  if (vk.ok && !vk.adapter.software) return vk;
  const vkReason = vk.ok === false ? vk.reason : `the Vulkan adapter is a software one (${vk.adapter.device})`;
  if (mode === 'gpu') return { ok: false, reason: vkReason };
  const gl = await softwareGlAdapter(findLibrary);
  return gl.ok === false ? { ok: false, reason: `${vkReason}; ${gl.reason}` } : { ...gl, noGpuReason: vkReason };
}

// ---------------------------------------------------------------- tfjs backend

let registeredAdapter: WebgpuAdapter | null = null;

/**
 * Registers tfjs's 'webgpu' backend on the probed adapter (idempotent for one adapter per process).
 * The device asks for the adapter's own limits: WebGPU's defaults are far lower (e.g. 4 storage buffers
 * per shader stage at compatibility level, 128 MiB bindings) and tfjs kernels with many inputs need more.
 */
export function registerWebgpuBackend(probe: AdapterFound): WebgpuAdapter {
  if (registeredAdapter) return registeredAdapter;
  const { dawnAdapter } = probe;
  // Loaded before navigator.gpu exists, so the package's own browser-only registration stays off.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as { WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend };
  const g = globalThis as Record<string, unknown>;
  // tfjs reads the WebGPU enums (GPUBufferUsage, GPUMapMode, ...) as globals and checks navigator.gpu.
  for (const [k, v] of Object.entries(loadDawn().globals)) if (!(k in g)) g[k] = v;
  const nav = (g.navigator ??= {}) as Record<string, unknown>;
  nav.gpu ??= probe.gpu;
  tf.registerBackend('webgpu', async () => {
    const requiredLimits: Record<string, number> = {};
    for (const k in dawnAdapter.limits) if (typeof dawnAdapter.limits[k] === 'number') requiredLimits[k] = dawnAdapter.limits[k];
    const requiredFeatures = dawnAdapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
    const device = await dawnAdapter.requestDevice({ requiredFeatures, requiredLimits });
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') process.stderr.write(`srkd: WebGPU device lost (${info.reason}): ${info.message}\n`);
    });
    return withGpuErrorsRaised(withDispatchCount(withSubmitsWhileProfiling(withClearReadSyncError(new WebGPUBackend(device, dawnAdapter.info)))), device);
  }, 0 /* never picked implicitly: the kit always calls setBackend */);
  registeredAdapter = probe.adapter;
  return registeredAdapter;
}

/**
 * tfjs-webgpu reads synchronously (dataSync, arraySync, bufferSync) through a browser OffscreenCanvas, which
 * Node lacks, and WebGPU itself has no blocking readback: in Node every read from this backend must be
 * asynchronous (await tensor.data()). This turns the ReferenceError into an error that says so.
 */
function withClearReadSyncError(backend: tf.KernelBackend): tf.KernelBackend {
  const b = backend as unknown as { readSync(dataId: object): unknown; hasReadSyncWarned: boolean };
  b.hasReadSyncWarned = true; // its console warning is about speed; the call fails below anyway
  const stock = b.readSync.bind(backend);
  b.readSync = (dataId) => {
    try {
      return stock(dataId);
    } catch (e) {
      if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) {
        throw new Error('synchronous read (dataSync/arraySync/bufferSync) of a GPU tensor is not possible on the webgpu ' +
          'backend in Node; read it with await tensor.data() or tensor.array()');
      }
      throw e;
    }
  };
  return backend;
}

/** The device's error events, as GPUDevice in the 'webgpu' package delivers them. */
type ErrorEvents = { addEventListener(type: 'uncapturederror', f: (e: { error: { constructor: { name: string }; message: string } }) => void): void };

/**
 * WebGPU reports a command it rejects (a binding past maxStorageBufferBindingSize, a buffer it cannot allocate)
 * as an event, and the command is skipped: tfjs-webgpu goes on, and results computed from then on are wrong
 * without a word (on the H200, tfjs's separate im2col shader at paper size wanted a 5.4 GB binding and the bench
 * timed an iteration that computed nothing). Here the next read (await tensor.data(): a logged loss, an
 * evaluation, a checkpoint) fails with the first error's message, so nothing computed after it is trusted or
 * saved. Reported once: reads after that work again.
 */
function withGpuErrorsRaised(backend: tf.KernelBackend, device: unknown): tf.KernelBackend {
  // the first error's message and how many came since the last read (a rejected command can repeat per layer)
  let first: string | null = null;
  let count = 0;
  (device as ErrorEvents).addEventListener('uncapturederror', (e) => {
    first ??= `${e.error.constructor.name}: ${e.error.message.split('\n')[0]}`;
    count++;
  });
  const b = backend as unknown as { read(dataId: object): Promise<unknown> };
  const stock = b.read.bind(backend);
  b.read = async (dataId) => {
    let values: unknown;
    let failure: unknown = null;
    try {
      values = await stock(dataId);
    } catch (e) {
      failure = e; // a read that the rejected command broke: the GPU's error says more
    }
    if (first !== null) {
      const [message, n] = [first, count];
      [first, count] = [null, 0];
      throw new Error(`the GPU rejected ${n === 1 ? 'a command' : `${n} commands`} since the last read, so this result and any computed ` +
        `with it are invalid: ${message}${/OutOfMemory/.test(message) ? ' (a smaller batch or patch size needs less)' : ''}`);
    }
    if (failure) throw failure;
    return values;
  };
  return backend;
}

/**
 * Under tf.profile tfjs-webgpu 4.22 submits its command queue from getQueryTime, once per kernel, and frees a
 * disposed tensor's buffer only at a submit. Without the 'timestamp-query' feature (the software GL adapter,
 * some drivers) getQueryTime returns 0 without submitting, so nothing is submitted until the profiled code
 * reads a result and no buffer is reused meanwhile: the pool grows by every byte the code allocates (a quick
 * DCKD bench iteration passed 16 GB of host memory on the software adapter, against 7.4 GiB unprofiled). Here
 * that case submits as the timed case does; kernel times stay 0, as tfjs reports them there.
 */
function withSubmitsWhileProfiling(backend: tf.KernelBackend): tf.KernelBackend {
  const b = backend as unknown as { supportTimestampQuery: boolean; getQueryTime(): Promise<number>; submitQueue(): void };
  if (typeof b.supportTimestampQuery !== 'boolean' || typeof b.getQueryTime !== 'function' || typeof b.submitQueue !== 'function') {
    throw new Error('tfjs-backend-webgpu changed: supportTimestampQuery/getQueryTime/submitQueue not found (lib/backend/webgpu.ts withSubmitsWhileProfiling)');
  }
  if (!b.supportTimestampQuery) {
    b.getQueryTime = () => {
      b.submitQueue();
      return Promise.resolve(0);
    };
  }
  return backend;
}

let dispatches = 0;

/**
 * Counts the compute dispatches the backend records (one per shader run: tfjs-webgpu's recordAndSubmit).
 * Kernels that only relabel a buffer (Identity, Reshape, a Cast to the same type) dispatch nothing, so this,
 * not tf.profile's kernel count, is what each step pays a dispatch's fixed cost for.
 */
function withDispatchCount(backend: tf.KernelBackend): tf.KernelBackend {
  const b = backend as unknown as { recordAndSubmit(...args: unknown[]): void };
  if (typeof b.recordAndSubmit !== 'function') {
    throw new Error('tfjs-backend-webgpu changed: recordAndSubmit not found (lib/backend/webgpu.ts withDispatchCount)');
  }
  const stock = b.recordAndSubmit.bind(backend);
  b.recordAndSubmit = (...args: unknown[]) => {
    dispatches++;
    stock(...args);
  };
  return backend;
}

/** Compute dispatches recorded by the webgpu backend so far in this process; null on another backend. */
export function gpuDispatchCount(): number | null {
  return tf.getBackend() === 'webgpu' ? dispatches : null;
}

/** One line naming the adapter, e.g. "NVIDIA H100 (nvidia ampere, Vulkan, NVIDIA: 550.54)". */
export function describeAdapterLine(a: WebgpuAdapter): string {
  const who = [a.vendor, a.architecture].filter(Boolean).join(' ');
  const api = a.api === 'vulkan' ? 'Vulkan' : 'OpenGL compatibility';
  const soft = a.software ? ', software: correctness only' : '';
  return `${a.device || 'unnamed adapter'} (${[who, api, a.description].filter(Boolean).join(', ')}${soft}; ${describeAdapterLimits(a)})`;
}

/** The adapter's buffer limits, e.g. "max buffer 2 GiB, storage binding 128 MiB". */
export function describeAdapterLimits(a: WebgpuAdapter): string {
  const bytes = (n: number): string => (n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : `${+(n / 2 ** 20).toFixed(1)} MiB`);
  return `max buffer ${bytes(a.limits.maxBufferSize)}, storage binding ${bytes(a.limits.maxStorageBufferBindingSize)}`;
}

/** GPU buffers the tfjs-webgpu backend holds: in use by tensors, pooled for reuse, and bytes. */
export interface GpuBufferCounts {
  readonly used: number;
  readonly free: number;
  readonly bytesUsed: number;
  readonly bytesAllocated: number;
}

/** Buffer counts of the active webgpu backend (tfjs's BufferManager), or null on another backend. */
export function gpuBufferCounts(): GpuBufferCounts | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const bm = (tf.backend() as unknown as {
    bufferManager: { numUsedBuffers: number; numFreeBuffers: number; numBytesUsed: number; numBytesAllocated: number };
  }).bufferManager;
  return { used: bm.numUsedBuffers, free: bm.numFreeBuffers, bytesUsed: bm.numBytesUsed, bytesAllocated: bm.numBytesAllocated };
}

/** Compute pipelines (compiled shaders) tfjs-webgpu has cached; null off webgpu. Growth after a warm-up means
 * shaders compiled anew every iteration. */
export function gpuPipelineCount(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return Object.keys((tf.backend() as unknown as { pipelineCache: Record<string, unknown> }).pipelineCache).length;
}

/** The most GPU memory the buffer pool has held at the samples taken (MiB); `mib()` is null off webgpu. */
export function gpuPoolPeak(): { sample(): void; mib(): number | null } {
  let bytes = gpuBufferCounts()?.bytesAllocated ?? null;
  return {
    sample(): void {
      const b = gpuBufferCounts();
      if (b && bytes !== null) bytes = Math.max(bytes, b.bytesAllocated);
    },
    mib: () => (bytes === null ? null : bytes / 2 ** 20),
  };
}
