/**
 * Slice for wasm. The stock kernel reads the whole input back to JS (readSync copies it) before
 * copying the slice, so every slice of a large tensor (roll via slice + concat, concat/split
 * gradients) pays for a full copy. This one copies the contiguous runs straight between heap views.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, runStock, sizeOf } from './backend-ops';

function sliceKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  if (x.dtype === 'string' || x.dtype === 'complex64') return runStock('Slice', args);
  const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  const out = backend.makeOutput(s, x.dtype);
  const total = sizeOf(s);
  if (total === 0) return out;
  const outVals = backend.typedArrayFromHeap(out); // after makeOutput: allocation may move the heap
  const xVals = backend.typedArrayFromHeap(x);
  const rank = x.shape.length;
  // Merge trailing axes taken whole into one contiguous run.
  let d = rank - 1;
  let run = 1;
  while (d >= 0 && b[d] === 0 && s[d] === x.shape[d]) run *= x.shape[d--];
  if (d < 0) {
    outVals.set(xVals.subarray(0, total));
    return out;
  }
  run *= s[d];
  const strides = new Array<number>(rank);
  let st = 1;
  for (let i = rank - 1; i >= 0; i--) {
    strides[i] = st;
    st *= x.shape[i];
  }
  const idx = new Array<number>(d).fill(0);
  let base = 0;
  for (let i = 0; i <= d; i++) base += b[i] * strides[i];
  for (let o = 0; o < total; o += run) {
    let src = base;
    for (let i = 0; i < d; i++) src += idx[i] * strides[i];
    outVals.set(xVals.subarray(src, src + run), o);
    for (let i = d - 1; i >= 0; i--) {
      if (++idx[i] < s[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

export function sliceConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Slice',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc,
    kernelFunc: sliceKernel as unknown as tf.KernelFunc,
  };
}
