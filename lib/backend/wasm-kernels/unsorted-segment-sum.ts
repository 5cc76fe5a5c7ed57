/**
 * UnsortedSegmentSum for wasm (missing in tfjs-backend-wasm 4.22; it is the gradient of gather).
 * out[s, ...] = sum of x[i, ...] over i with segmentIds[i] == s; ids outside [0, numSegments) are
 * dropped, as in TensorFlow. A plain accumulation over the wasm heap: the tables involved are small.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, sizeOf } from './backend-ops';

function unsortedSegmentSumKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const inner = x.shape.slice(segmentIds.shape.length);
  const innerSize = sizeOf(inner);
  const dtype = x.dtype === 'int32' ? 'int32' : 'float32';
  const out = backend.makeOutput([numSegments, ...inner], dtype);
  // Take heap views only after allocating the output: allocation can grow (and detach) the heap.
  const outVals = backend.typedArrayFromHeap(out);
  outVals.fill(0);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const count = sizeOf(segmentIds.shape);
  for (let i = 0; i < count; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * innerSize;
    const dst = s * innerSize;
    for (let j = 0; j < innerSize; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumKernel as unknown as tf.KernelFunc,
};
