/**
 * FLOPs of whatever a function runs, counted from the kernels tfjs executes (tf.profile): convolutions (forward,
 * both backward kernels) and matrix products, 2 FLOPs per multiply-add. Element-wise kernels (bias, ReLU, Adam,
 * losses) are not counted: they are a few percent of an SR step and are memory-bound, so "effective FLOP/s"
 * means convolution and matmul work done per second, the figure GPU peaks are quoted in.
 * Counting by kernel instead of by formula covers any method (teacher passes, upcycled inputs, feature networks)
 * without a per-method model of its work.
 */
import * as tf from '@tensorflow/tfjs';
import { gpuDispatchCount } from '../backend/webgpu';

function size(shape: readonly number[] | undefined): number {
  return shape ? shape.reduce((a, d) => a * d, 1) : 0;
}

/** FLOPs of one executed kernel, 0 for kernels that are not convolutions or matrix products. */
export function kernelFlops(name: string, inputShapes: readonly (readonly number[])[], outputShapes: readonly (readonly number[])[]): number {
  const out = outputShapes[0];
  switch (name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      // x [n,h,w,ci], filter [kh,kw,ci,co] -> y [n,oh,ow,co]
      const f = inputShapes[1];
      return 2 * size(out) * f[0] * f[1] * f[2];
    }
    case 'Conv2DBackpropInput': {
      // dy [n,oh,ow,co], filter [kh,kw,ci,co] -> dx: one multiply-add per (dy element, filter tap, input channel)
      const f = inputShapes[1];
      return 2 * size(inputShapes[0]) * f[0] * f[1] * f[2];
    }
    case 'Conv2DBackpropFilter': {
      // x [n,h,w,ci], dy [n,oh,ow,co] -> dW [kh,kw,ci,co]
      return 2 * size(inputShapes[1]) * out[0] * out[1] * out[2];
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // a [..., m, k] (or transposed), b [..., k, n] -> [..., m, n]: k from the operand sizes (same batch dims)
      const batch = size(out.slice(0, -2));
      const k = Math.round(Math.sqrt((size(inputShapes[0]) * size(inputShapes[1])) / (size(out) * batch)));
      return 2 * size(out) * k;
    }
    default:
      return 0;
  }
}

export interface FlopCount {
  readonly flops: number;
  /** Kernels executed (tf.profile's registered kernels, also those that only relabel a buffer). */
  readonly kernels: number;
  /** webgpu: the shader runs (compute dispatches) these kernels recorded; null on other backends. */
  readonly dispatches: number | null;
  /**
   * The kernels' own time summed, seconds: on webgpu the GPU's timestamp queries (tf.profile gives each kernel
   * its own compute pass), on cpu/wasm the wall time of each kernel call. Null where the backend measures none
   * (webgpu without the timestamp-query feature reports 0 for every kernel).
   */
  readonly kernelSeconds: number | null;
  /** Per kernel name: calls, own time (seconds, null as above) and counted FLOPs; slowest first. */
  readonly byName: readonly KernelTime[];
}

export interface KernelTime {
  readonly name: string;
  readonly calls: number;
  readonly seconds: number | null;
  readonly flops: number;
}

/** Runs `f` once under tf.profile and counts its FLOPs and kernel time; returns f's result too (the caller disposes it). */
export async function countFlops<T extends tf.TensorContainer>(f: () => T | Promise<T>): Promise<FlopCount & { readonly result: T }> {
  let result!: T;
  const dispatchesBefore = gpuDispatchCount();
  const info = await tf.profile(async () => {
    result = await f();
    return [] as tf.Tensor[]; // the result stays the caller's (tf.profile would dispose what it returns otherwise)
  });
  const names = new Map<string, { calls: number; ms: number; flops: number }>();
  let flops = 0;
  let ms = 0;
  let kernels = 0;
  const backend = tf.getBackend();
  for (const k of info.kernels) {
    // tf.profile also records custom-gradient ops (e.g. 'fusedConv2d__op'), whose time includes the registered
    // kernels they call, recorded on their own: only registered kernels count, so nothing is counted twice.
    if (tf.getKernel(k.name, backend) === undefined) continue;
    kernels++;
    const n = kernelFlops(k.name, k.inputShapes, k.outputShapes);
    // tf.profile awaits each kernel's time; an object ({ error }) where the backend cannot time it
    const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    ms += t;
    const e = names.get(k.name) ?? { calls: 0, ms: 0, flops: 0 };
    names.set(k.name, { calls: e.calls + 1, ms: e.ms + t, flops: e.flops + n });
    flops += n;
  }
  const timed = ms > 0;
  const byName = [...names.entries()]
    .map(([name, e]) => ({ name, calls: e.calls, seconds: timed ? e.ms / 1000 : null, flops: e.flops }))
    .sort((a, b) => (b.seconds ?? 0) - (a.seconds ?? 0) || b.flops - a.flops);
  const dispatchesAfter = gpuDispatchCount();
  const dispatches = dispatchesBefore === null || dispatchesAfter === null ? null : dispatchesAfter - dispatchesBefore;
  return { flops, kernels, dispatches, kernelSeconds: timed ? ms / 1000 : null, byName, result };
}

/**
 * Where an iteration's time goes, from one iteration under tf.profile: kernels run, their own time summed
 * (webgpu: GPU timestamps), and that time over the iteration's measured seconds. A busy fraction near 1 means
 * the kernels themselves bound the step (then `top` says which); far below 1, the time between kernels does
 * (dispatch and host overhead, uploads, readbacks). Null seconds where the backend measures no kernel time.
 */
export interface StepProfile {
  readonly kernels: number;
  /** webgpu: compute dispatches per iteration (flop-count's FlopCount.dispatches); null elsewhere. */
  readonly dispatches: number | null;
  readonly kernelSeconds: number | null;
  readonly busyFraction: number | null;
  /** The slowest kernel names (at most 6), with their effective TFLOP/s where they count FLOPs. */
  readonly top: readonly (KernelTime & { readonly tflops: number | null })[];
}

/** The profile of a counted iteration whose steady-state time is `seconds`. */
export function stepProfile(counted: FlopCount, seconds: number): StepProfile {
  return {
    kernels: counted.kernels,
    dispatches: counted.dispatches,
    kernelSeconds: counted.kernelSeconds,
    busyFraction: counted.kernelSeconds === null ? null : counted.kernelSeconds / seconds,
    top: counted.byName.slice(0, 6).map((k) => ({ ...k, tflops: k.seconds && k.flops > 0 ? k.flops / k.seconds / 1e12 : null })),
  };
}

/**
 * One line on where an iteration's time goes: kernels run, the share of the step they are busy, and the
 * slowest three kernel names with their share of the kernel time (and TFLOP/s where they count FLOPs).
 */
export function describeProfile(p: StepProfile): string {
  const kernels = `${p.kernels} kernels/iteration${p.dispatches === null ? '' : ` (${p.dispatches} GPU dispatches)`}`;
  if (p.kernelSeconds === null || p.busyFraction === null) return `${kernels} (no kernel times on this backend)`;
  const total = p.kernelSeconds;
  const top = p.top.slice(0, 3).map((k) => `${k.name} ${((100 * (k.seconds ?? 0)) / total).toFixed(0)} %${k.tflops === null ? '' : ` at ${k.tflops.toFixed(2)} TFLOP/s`}`);
  return `${kernels} busy ${(100 * p.busyFraction).toFixed(0)} % of the step (${top.join(', ')})`;
}
