/**
 * The kit's hand-written wasm-SIMD kernels (C sources beside this file, linked by scripts/build-simd.sh
 * into one module, committed as .wasm). The module imports tfjs-backend-wasm's own linear memory, so it
 * works in place on tensors the backend already holds: no copies in or out. One instance per memory.
 *
 * Two builds: plain wasm SIMD, and relaxed SIMD, where a + b*c is one f32x4.relaxed_madd (a fused
 * multiply-add on CPUs with FMA: one rounding, ~14 % faster training steps here). SRKD_RELAXED_SIMD:
 *   auto (default)  relaxed where the engine accepts it as it is (Node >= 22), else plain
 *   on              also switch on V8's --experimental-wasm-relaxed-simd at run time (Node 20 needs it)
 *   off             plain always (bit-identical to XNNPACK where Cout % 4 == 0)
 * Results of the two builds differ in the last bits; every worker of a run uses the same build.
 * SRKD_SIMD_KERNELS=off disables the kernels altogether (the kit falls back to its XNNPACK/JS routes).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';

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
  conv3x3_winograd(
    x: number, w: number, bias: number, out: number,
    n: number, h: number, wd: number, ci: number, oh: number, ow: number, co: number, top: number, left: number, relu: number,
    u: number, v: number, m: number,
  ): number;
  winograd_block_tiles(): number;
}

// The compiler's lib here has no WebAssembly types (no DOM lib): the few members used, declared locally.
interface WasmMemory { readonly buffer: ArrayBuffer | SharedArrayBuffer }
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export type SimdBuild = 'plain' | 'relaxed';

/**
 * The module file of a build. One per memory kind too: tfjs's threaded build runs on a shared memory,
 * which an import must declare.
 */
export function simdWasmFile(shared: boolean, build: SimdBuild = 'plain'): string {
  const name = `simd-kernels${build === 'relaxed' ? '.relaxed' : ''}${shared ? '.shared' : ''}.wasm`;
  return path.join(__dirname, name);
}

const compiled = new Map<string, object | null>();
const instances = new WeakMap<WasmMemory, { build: SimdBuild; exports: SimdExports } | null>();
let relaxedDecision: boolean | null = null;

type RelaxedMode = 'auto' | 'on' | 'off';

function relaxedMode(): RelaxedMode {
  const v = (process.env.SRKD_RELAXED_SIMD ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'on' || v === '1' || v === 'true') return 'on';
  if (v === 'off' || v === '0' || v === 'false') return 'off';
  throw new Error(`SRKD_RELAXED_SIMD must be auto, on or off (got '${process.env.SRKD_RELAXED_SIMD}')`);
}

function validate(file: string): boolean {
  try {
    return WA.validate(fs.readFileSync(file));
  } catch {
    return false;
  }
}

/**
 * Whether this process uses the relaxed build; decided once (every worker of a pool must agree, and they
 * share the process's V8 flags and environment).
 */
export function useRelaxedSimd(): boolean {
  if (relaxedDecision !== null) return relaxedDecision;
  const mode = relaxedMode();
  const file = simdWasmFile(false, 'relaxed');
  let ok = mode !== 'off' && validate(file);
  if (!ok && mode === 'on') {
    // Node 20 (V8 11.3) has relaxed SIMD behind this flag; flags are process-wide, so workers see it too.
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    ok = validate(file);
    if (!ok) process.emitWarning('srkd: SRKD_RELAXED_SIMD=on, but this engine rejects relaxed SIMD; using the plain build');
  }
  relaxedDecision = ok;
  return ok;
}

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

function compile(file: string): object | null {
  if (!compiled.has(file)) {
    try {
      compiled.set(file, new WA.Module(fs.readFileSync(file)));
    } catch (e) {
      process.emitWarning(`srkd: SIMD kernels unavailable (${file}: ${(e as Error).message}); using fallbacks`);
      compiled.set(file, null);
    }
  }
  return compiled.get(file) ?? null;
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
  return boundKernels(backend)?.exports ?? null;
}

/** Which build the backend's kernels use, or null when there are none (disabled, not linkable, not wasm). */
export function simdBuild(backend: unknown): SimdBuild | null {
  return boundKernels(backend)?.build ?? null;
}

function boundKernels(backend: unknown): { build: SimdBuild; exports: SimdExports } | null {
  if (!simdKernelsEnabled()) return null;
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const build: SimdBuild = useRelaxedSimd() ? 'relaxed' : 'plain';
  const mod = compile(simdWasmFile(isThreadedBackend(backend), build));
  let bound: { build: SimdBuild; exports: SimdExports } | null = null;
  if (mod) {
    try {
      bound = { build, exports: new WA.Instance(mod, { env: { memory } }).exports as unknown as SimdExports };
    } catch (e) {
      process.emitWarning(`srkd: SIMD kernels could not link to the wasm memory (${(e as Error).message}); using fallbacks`);
    }
  }
  instances.set(memory, bound);
  return bound;
}
