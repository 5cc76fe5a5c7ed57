/**
 * Conv2D and FusedConv2D (bias, ReLU) for wasm through the kit's SIMD direct conv (lib/backend/simd/
 * conv2d-forward.c), falling back to the stock XNNPACK kernels for everything it does not cover, and
 * on the threaded build for the convs XNNPACK computes identically on several threads.
 * Measured single-thread on the x4 student's shapes (8 x 48² LR patches): 16->64 convs 27-31 -> 31-37
 * GFLOP/s, and the 16->3 output conv 10.5 -> 22 GFLOP/s, where XNNPACK's packing of 3 output channels
 * wastes most of each vector. Results equal XNNPACK's bit for bit where Cout % 4 == 0 (same summation order).
 */
import * as tf from '@tensorflow/tfjs';
import { isThreadedBackend, simdKernels } from '../simd/index';
import { KernelArgs, WasmBackend, heapOffset, release, runStock, sizeOf, transposeInfo } from './backend-ops';
import { ConvAttrs, convGeometry } from './conv-info';

export interface SimdConvSpec {
  readonly x: tf.TensorInfo;
  /** HWIO filter. */
  readonly filter: tf.TensorInfo;
  readonly bias: tf.TensorInfo | null;
  readonly relu: boolean;
  readonly strideH: number;
  readonly strideW: number;
  readonly top: number;
  readonly left: number;
  readonly outH: number;
  readonly outW: number;
}

/**
 * Runs the SIMD conv, or returns null when it does not cover the case: it needs float32, and either
 * Cout % 4 == 0 (vectors along Cout) or Cout == 3 with Cin % 4 == 0 (vectors along Cin).
 */
export function simdConv2d(backend: WasmBackend, s: SimdConvSpec): tf.TensorInfo | null {
  const [n, h, w, ci] = s.x.shape;
  const [kh, kw, fci, co] = s.filter.shape;
  if (fci !== ci || s.x.dtype !== 'float32' || s.filter.dtype !== 'float32') return null;
  if (s.bias && (s.bias.dtype !== 'float32' || s.bias.shape.length !== 1 || s.bias.shape[0] !== co)) return null;
  const mode = co % 4 === 0 ? 0 : co === 3 && ci % 4 === 0 ? 1 : -1;
  if (mode < 0) return null;
  // On tfjs's threaded build XNNPACK spreads a conv over its threads, and where Cout % 4 == 0 it computes
  // the same bits as this kernel: leave those to it (EDSR inference on 2 threads: 1.17 s vs 2.0 s).
  if (mode === 0 && isThreadedBackend(backend)) return null;
  const kernels = simdKernels(backend);
  if (!kernels) return null;
  const out = backend.makeOutput([n, s.outH, s.outW, co], 'float32');
  if (sizeOf(out.shape) === 0) return out;
  if (sizeOf(s.x.shape) === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  // mode 1 reads the filter as [KH][Cout][KW][Cin], so each filter row's (kx, c) run is contiguous.
  const wt = mode === 1 ? transposeInfo(backend, s.filter, [0, 3, 1, 2]) : s.filter;
  const rc = kernels.conv2d_forward(
    heapOffset(backend, s.x), heapOffset(backend, wt), s.bias ? heapOffset(backend, s.bias) : 0, heapOffset(backend, out),
    n, h, w, ci, s.outH, s.outW, co, kh, kw, s.strideH, s.strideW, s.top, s.left, s.relu ? 1 : 0, mode,
  );
  if (wt !== s.filter) release(backend, wt);
  if (rc !== 0) {
    release(backend, out);
    return null;
  }
  return out;
}

type FusedAttrs = ConvAttrs & { activation?: string; leakyreluAlpha?: number };

function convKernel(kernelName: 'Conv2D' | 'FusedConv2D') {
  return (args: KernelArgs): tf.TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as FusedAttrs;
    const activation = kernelName === 'FusedConv2D' ? attrs.activation ?? 'linear' : 'linear';
    const dilations = attrs.dilations ?? 1;
    const plain = (Array.isArray(dilations) ? dilations : [dilations, dilations]).every((d) => d === 1);
    if (x && filter && attrs.dataFormat !== 'NCHW' && plain && !preluActivationWeights &&
      (activation === 'linear' || activation === 'relu') && x.shape.length === 4) {
      const g = convGeometry(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs);
      const out = simdConv2d(backend, {
        x, filter, bias: bias ?? null, relu: activation === 'relu',
        strideH: g.strideH, strideW: g.strideW, top: g.top, left: g.left, outH: g.outH, outW: g.outW,
      });
      if (out) return out;
    }
    return runStock(kernelName, args);
  };
}

function configFor(kernelName: 'Conv2D' | 'FusedConv2D') {
  return (stock: tf.KernelConfig | undefined): tf.KernelConfig => ({
    kernelName,
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // keeps the stock kernel usable as the fallback
    kernelFunc: convKernel(kernelName) as unknown as tf.KernelFunc,
  });
}

export const conv2dConfig = configFor('Conv2D');
export const fusedConv2dConfig = configFor('FusedConv2D');
