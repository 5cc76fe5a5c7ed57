/**
 * Sum for wasm when the reduced axes are a leading prefix (the bias gradient: dy [N,H,W,C] summed over
 * N,H,W). The stock kernel first transposes the reduced axes innermost, which costs more than the sum;
 * here rows are accumulated straight from the heap into a float64 accumulator (~8x faster; `sumRows`). A ones-vector
 * XNNPACK matmul looks faster still in a loop over one tensor, but only because XNNPACK caches the
 * packed operand by tensor id; with a fresh dy each step the packing makes it slower than this loop.
 * float32 goes through the same loop in wasm SIMD (lib/backend/simd/sum-rows.c, bit-identical, ~3x faster
 * again). Other reductions use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { simdKernels } from '../simd/index';
import { KernelArgs, WasmBackend, heapOffset, release, runStock, sizeOf } from './backend-ops';

function sumKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).slice().sort((a, b) => a - b);
  const isPrefix = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (!isPrefix || (x.dtype !== 'float32' && x.dtype !== 'int32')) return runStock('Sum', args);
  const rows = sizeOf(x.shape.slice(0, axes.length));
  const inner = x.shape.slice(axes.length);
  const width = sizeOf(inner);
  const outShape = keepDims ? [...x.shape.slice(0, axes.length).map(() => 1), ...inner] : inner;
  const out = backend.makeOutput(outShape, x.dtype);
  const kernels = x.dtype === 'float32' && rows > 0 && width > 0 ? simdKernels(backend) : null;
  if (kernels) {
    const acc = backend.makeOutput([2 * width], 'float32'); // float64 scratch
    kernels.sum_rows(heapOffset(backend, x), heapOffset(backend, out), heapOffset(backend, acc), rows, width);
    release(backend, acc);
    return out;
  }
  const outVals = backend.typedArrayFromHeap(out); // after makeOutput: allocation may move the heap
  const xVals = backend.typedArrayFromHeap(x);
  outVals.set(sumRows(xVals, rows, width));
  return out;
}

/**
 * Column sums of a row-major [rows, width] array in float64, each column accumulated in row order
 * (the same result as the plain double loop). Rows go in tiles of ~16 KB; within a tile, blocks of 8
 * columns are summed in locals, which is 2-3x faster than indexing the accumulator per element.
 */
export function sumRows(x: ArrayLike<number>, rows: number, width: number): Float64Array {
  const acc = new Float64Array(width);
  const tile = Math.max(1, Math.floor(4096 / Math.max(1, width)));
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const start = r0 * width;
    const end = Math.min(rows, r0 + tile) * width;
    let j = 0;
    for (; j + 8 <= width; j += 8) {
      let a0 = acc[j], a1 = acc[j + 1], a2 = acc[j + 2], a3 = acc[j + 3];
      let a4 = acc[j + 4], a5 = acc[j + 5], a6 = acc[j + 6], a7 = acc[j + 7];
      for (let off = start + j; off < end; off += width) {
        a0 += x[off]; a1 += x[off + 1]; a2 += x[off + 2]; a3 += x[off + 3];
        a4 += x[off + 4]; a5 += x[off + 5]; a6 += x[off + 6]; a7 += x[off + 7];
      }
      acc[j] = a0; acc[j + 1] = a1; acc[j + 2] = a2; acc[j + 3] = a3;
      acc[j + 4] = a4; acc[j + 5] = a5; acc[j + 6] = a6; acc[j + 7] = a7;
    }
    for (; j < width; j++) {
      let a = acc[j];
      for (let off = start + j; off < end; off += width) a += x[off];
      acc[j] = a;
    }
  }
  return acc;
}

export function sumConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // keeps the stock kernel usable as the fallback
    kernelFunc: sumKernel as unknown as tf.KernelFunc,
  };
}
