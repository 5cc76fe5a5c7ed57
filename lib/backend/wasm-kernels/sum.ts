/**
 * Sum for wasm when the reduced axes are a leading prefix (the bias gradient: dy [N,H,W,C] summed over
 * N,H,W). The stock kernel first transposes the reduced axes innermost, which costs more than the sum;
 * here rows are accumulated straight from the heap into a float64 accumulator (~8x faster). A ones-vector
 * XNNPACK matmul looks faster still in a loop over one tensor, but only because XNNPACK caches the
 * packed operand by tensor id; with a fresh dy each step the packing makes it slower than this loop.
 * Other reductions use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, runStock, sizeOf } from './backend-ops';

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
  const outVals = backend.typedArrayFromHeap(out); // after makeOutput: allocation may move the heap
  const xVals = backend.typedArrayFromHeap(x);
  const acc = new Float64Array(width);
  for (let r = 0, off = 0; r < rows; r++, off += width) {
    for (let j = 0; j < width; j++) acc[j] += xVals[off + j];
  }
  outVals.set(acc);
  return out;
}

export function sumConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // keeps the stock kernel usable as the fallback
    kernelFunc: sumKernel as unknown as tf.KernelFunc,
  };
}
