/**
 * The kit's hand-written wasm-SIMD kernels (C sources beside this file, linked by scripts/build-simd.sh
 * into one module, committed as .wasm). Each module imports tfjs-backend-wasm's own linear memory, so it works in place on
 * tensors the backend already holds: no copies in or out. One instance per backend memory.
 *
 * SRKD_SIMD_KERNELS=off disables them (the kit then falls back to its XNNPACK-based kernels), for
 * benchmarks and as an escape hatch.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface SimdExports {
  conv2d_backprop_filter(
    x: number, dy: number, dw: number,
    n: number, h: number, w: number, ci: number,
    oh: number, ow: number, co: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, mode: number,
  ): number;
  conv2d_forward(
    x: number, w: number, bias: number, out: number,
    n: number, h: number, wd: number, ci: number,
    oh: number, ow: number, co: number,
    kh: number, kw: number, sh: number, sw: number, top: number, left: number, relu: number, mode: number,
  ): number;
  pixel_shuffle(input: number, out: number, a: number, w: number, c: number, r: number, inverse: number): void;
  sum_rows(x: number, out: number, acc: number, rows: number, width: number): void;
}

// The compiler's lib here has no WebAssembly types (no DOM lib): the few members used, declared locally.
interface WasmMemory { readonly buffer: ArrayBuffer | SharedArrayBuffer }
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** One build per memory kind: tfjs's threaded build runs on a shared memory, which imports must declare. */
export function simdWasmFile(shared: boolean): string {
  return path.join(__dirname, shared ? 'simd-kernels.shared.wasm' : 'simd-kernels.wasm');
}

const compiled = new Map<boolean, object | null>();
const instances = new WeakMap<WasmMemory, SimdExports | null>();

export function simdKernelsEnabled(): boolean {
  const v = (process.env.SRKD_SIMD_KERNELS ?? '').trim().toLowerCase();
  return !(v === 'off' || v === '0' || v === 'false');
}

/** The backend's WebAssembly.Memory (emscripten keeps it as Module.asm.memory), or null. */
export function backendMemory(backend: unknown): WasmMemory | null {
  const wasm = (backend as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const mem = wasm?.asm?.memory ?? wasm?.wasmMemory;
  return mem instanceof WA.Memory ? (mem as WasmMemory) : null;
}

function compile(shared: boolean): object | null {
  if (!compiled.has(shared)) {
    const file = simdWasmFile(shared);
    try {
      compiled.set(shared, new WA.Module(fs.readFileSync(file)));
    } catch (e) {
      process.emitWarning(`srkd: SIMD kernels unavailable (${file}: ${(e as Error).message}); using fallbacks`);
      compiled.set(shared, null);
    }
  }
  return compiled.get(shared) ?? null;
}

/**
 * Whether the backend runs on a shared memory, i.e. tfjs's threaded build, whose XNNPACK ops use several
 * threads: single-threaded kit kernels should then only replace ops that are slow however many threads run.
 */
export function isThreadedBackend(backend: unknown): boolean {
  const memory = backendMemory(backend);
  return memory !== null && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The SIMD kernels bound to this backend's memory, or null when disabled or not linkable. */
export function simdKernels(backend: unknown): SimdExports | null {
  if (!simdKernelsEnabled()) return null;
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const mod = compile(isThreadedBackend(backend));
  let exports: SimdExports | null = null;
  if (mod) {
    try {
      exports = new WA.Instance(mod, { env: { memory } }).exports as unknown as SimdExports;
    } catch (e) {
      process.emitWarning(`srkd: SIMD kernels could not link to the wasm memory (${(e as Error).message}); using fallbacks`);
    }
  }
  instances.set(memory, exports);
  return exports;
}
