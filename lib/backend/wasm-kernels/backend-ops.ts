/**
 * Small helpers the kit's wasm kernels are built from: they call other wasm kernels directly on the
 * backend (no engine, no tape), so intermediate results are plain TensorInfos that the caller frees
 * with `release`. Kernels a kit kernel overrides are kept here as `stock` fallbacks.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-backend-wasm's BackendWasm the kit kernels use. */
export interface WasmBackend {
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Byte offset of a tensor's data in the backend's linear memory (for the kit's SIMD modules). */
export function heapOffset(backend: unknown, info: tf.TensorInfo): number {
  const entry = (backend as { dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined } }).dataIdMap.get(info.dataId);
  if (!entry) throw new Error('heapOffset: tensor data is not on the wasm backend');
  return entry.memoryOffset;
}

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Stock wasm kernel configs replaced by kit kernels, captured before the override. */
const stockConfigs = new Map<string, tf.KernelConfig>();

export function rememberStock(config: tf.KernelConfig): void {
  if (!stockConfigs.has(config.kernelName)) stockConfigs.set(config.kernelName, config);
}

export function stockConfig(kernelName: string): tf.KernelConfig | undefined {
  return stockConfigs.get(kernelName);
}

/** Runs the stock kernel if it was overridden, else the registered one. */
export function runStock(kernelName: string, args: KernelArgs): tf.TensorInfo {
  const config = stockConfigs.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`wasm kernel '${kernelName}' is not registered`);
  return config.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/** Runs whatever is registered now for wasm (kit kernel if there is one). */
export function runKernel(kernelName: string, args: KernelArgs): tf.TensorInfo {
  const config = tf.getKernel(kernelName, 'wasm');
  if (!config) throw new Error(`wasm kernel '${kernelName}' is not registered`);
  return config.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/** Frees intermediate results (refcount-aware, so shared data ids survive). */
export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A reshaped alias that shares the data and holds no reference of its own: never release it. */
export function view(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Turns an owned intermediate into a kernel output with a new shape (same data, same reference). */
export function withShape(info: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export type Pad4 = { top: number; bottom: number; left: number; right: number };

/** Stock XNNPACK conv, NHWC, with explicit padding and optional dilation. */
export function conv2dExplicit(
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  pad: Pad4,
  dilations: [number, number] = [1, 1],
): tf.TensorInfo {
  return runStock('Conv2D', {
    inputs: { x, filter },
    backend,
    attrs: {
      strides: [1, 1],
      pad: [[0, 0], [pad.top, pad.bottom], [pad.left, pad.right], [0, 0]],
      dataFormat: 'NHWC',
      dilations,
    } as unknown as tf.NamedAttrMap,
  });
}

export function transposeInfo(backend: unknown, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runKernel('Transpose', { inputs: { x }, backend, attrs: { perm } });
}

export function reverseInfo(backend: unknown, x: tf.TensorInfo, dims: number[]): tf.TensorInfo {
  return runStock('Reverse', { inputs: { x }, backend, attrs: { dims } });
}

export function sliceInfo(backend: unknown, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  return runKernel('Slice', { inputs: { x }, backend, attrs: { begin, size } });
}
