/**
 * Transpose for wasm. The two 5-D permutations of PixelShuffle and its gradient go to the kit's SIMD
 * kernel (lib/backend/simd/pixel-shuffle.c: 4x4 block transposes; 18 -> ~2 ms on the x4 student's
 * 96x96x64 stage). The stock kernel has fast 2-4-D paths and a per-element path for >= 5 dims
 * (~70x slower). This one drops size-1 axes, merges axes that stay adjacent, and while more than
 * 4 axes remain, brings the next output axis forward with one 4-D transpose and recurses.
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../simd/index';
import { KernelArgs, WasmBackend, heapOffset, release, runStock, sizeOf, view, withShape } from './backend-ops';

/** Drops size-1 axes and merges input axes that stay adjacent and in order in the output. */
export function simplifyPermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const keep: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) keep.push(i);
  const rank = new Map<number, number>();
  keep.forEach((axis, i) => rank.set(axis, i));
  const p1 = perm.filter((a) => shape[a] !== 1).map((a) => rank.get(a) as number);
  const s1 = keep.map((a) => shape[a]);
  // Group runs of output axes whose input axes are consecutive.
  const groups: number[][] = [];
  for (const a of p1) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === a) last.push(a);
    else groups.push([a]);
  }
  // Groups ordered by their first input axis give the merged input shape.
  const byInput = groups.map((g, i) => ({ g, i })).sort((u, v) => u.g[0] - v.g[0]);
  const newShape = byInput.map(({ g }) => g.reduce((n, a) => n * s1[a], 1));
  const inputPos = new Array<number>(groups.length);
  byInput.forEach(({ i }, pos) => (inputPos[i] = pos));
  return { shape: newShape, perm: groups.map((_, i) => inputPos[i]) };
}

function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** Transposes x (owned by the caller) into a fresh output of shape x.shape permuted by perm. */
export function transposeFast(backend: WasmBackend, x: tf.TensorInfo, perm: readonly number[]): tf.TensorInfo {
  const outShape = perm.map((p) => x.shape[p]);
  const shuffled = pixelShuffleTranspose(backend, x, perm, outShape);
  if (shuffled) return shuffled;
  const { shape, perm: p } = simplifyPermutation(x.shape, perm);
  if (shape.length <= 4 || sizeOf(shape) === 0) {
    const out = runStock('Transpose', { inputs: { x: view(x, shape) }, backend, attrs: { perm: p } });
    return withShape(out, outShape);
  }
  const stockNd = (): tf.TensorInfo => runStock('Transpose', { inputs: { x: view(x, shape) }, backend, attrs: { perm: p } });
  // The stock >4-D path ranges from fast to ~100x slower depending on the permutation, so for large
  // tensors each (shape, perm) is timed both ways once and the faster way is remembered. Both are exact.
  const key = `${shape.join('x')}|${p.join(',')}`;
  const choice = sizeOf(shape) < AUTOTUNE_MIN_SIZE ? 'kit' : chosen.get(key);
  if (choice === 'stock') return withShape(stockNd(), outShape);
  if (choice === undefined) {
    const t0 = performance.now();
    const viaKit = decompose(backend, x, shape, p);
    const t1 = performance.now();
    const viaStock = stockNd();
    const t2 = performance.now();
    const stockWins = t2 - t1 < t1 - t0;
    chosen.set(key, stockWins ? 'stock' : 'kit');
    release(backend, stockWins ? viaKit : viaStock);
    return withShape(stockWins ? viaStock : viaKit, outShape);
  }
  return withShape(decompose(backend, x, shape, p), outShape);
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * [A,W,C,r,r] perm [0,3,1,4,2] (PixelShuffle) and [A,r,W,r,C] perm [0,2,4,1,3] (its gradient) on 4-byte
 * data, through the SIMD kernel; null for anything else or when the kernel is unavailable.
 */
function pixelShuffleTranspose(backend: WasmBackend, x: tf.TensorInfo, perm: readonly number[], outShape: number[]): tf.TensorInfo | null {
  if (x.shape.length !== 5 || (x.dtype !== 'float32' && x.dtype !== 'int32') || sizeOf(x.shape) === 0) return null;
  const s = x.shape;
  let args: [number, number, number, number, number] | null = null;
  if (same(perm, [0, 3, 1, 4, 2]) && s[3] === s[4]) args = [s[0], s[1], s[2], s[3], 0];
  else if (same(perm, [0, 2, 4, 1, 3]) && s[1] === s[3]) args = [s[0], s[2], s[4], s[1], 1];
  if (!args) return null;
  const kernels = simdKernels(backend);
  if (!kernels) return null;
  const out = backend.makeOutput(outShape, x.dtype);
  kernels.pixel_shuffle(heapOffset(backend, x), heapOffset(backend, out), ...args);
  return out;
}

const AUTOTUNE_MIN_SIZE = 1 << 15;
const chosen = new Map<string, 'stock' | 'kit'>();

/** Which way each timed >4-D (shape|perm) goes; for benchmarks and diagnostics. */
export function transposeChoices(): ReadonlyMap<string, 'stock' | 'kit'> {
  return chosen;
}

/** Reduces a simplified >4-D transpose to a sequence of stock <=4-D transposes. */
function decompose(backend: WasmBackend, x: tf.TensorInfo, shape0: number[], perm0: number[]): tf.TensorInfo {
  let shape = shape0;
  let p = perm0;
  let cur = view(x, shape);
  let owned = false; // whether `cur` is an intermediate we must free
  for (;;) {
    if (shape.length <= 4 || isIdentity(p)) {
      if (isIdentity(p)) return owned ? cur : runStock('Identity', { inputs: { x: cur }, backend });
      const out = runStock('Transpose', { inputs: { x: cur }, backend, attrs: { perm: p } });
      if (owned) release(backend, cur);
      return out;
    }
    // After simplification at most one leading axis is already in place (two would have merged).
    const lead = p[0] === 0 ? 1 : 0;
    const a = p[lead];
    const batch = sizeOf(shape.slice(0, lead));
    const pre = sizeOf(shape.slice(lead, a));
    const post = sizeOf(shape.slice(a + 1));
    const next = runStock('Transpose', {
      inputs: { x: view(cur, [batch, pre, shape[a], post]) },
      backend,
      attrs: { perm: [0, 2, 1, 3] },
    });
    if (owned) release(backend, cur);
    const order: number[] = [];
    for (let i = 0; i < lead; i++) order.push(i);
    order.push(a);
    for (let i = lead; i < shape.length; i++) if (i !== a) order.push(i);
    const posOf = new Array<number>(shape.length);
    order.forEach((axis, pos) => (posOf[axis] = pos));
    const s2 = order.map((axis) => shape[axis]);
    const p2 = p.map((axis) => posOf[axis]);
    ({ shape, perm: p } = simplifyPermutation(s2, p2));
    cur = view(next, shape);
    owned = true;
  }
}

function transposeKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const perm = (args.attrs as { perm: number[] }).perm;
  return transposeFast(args.backend as WasmBackend, x, perm);
}

export function transposeConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Transpose',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // the stock kernel's wasm function is set up here; we still call it
    kernelFunc: transposeKernel as unknown as tf.KernelFunc,
  };
}
