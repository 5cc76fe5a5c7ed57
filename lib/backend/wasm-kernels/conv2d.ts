/**
 * Conv2D and FusedConv2D (bias, ReLU) for wasm through the kit's SIMD kernels: Winograd F(2x2, 3x3) for 3x3
 * stride-1 convs where it wins (conv3x3-winograd.c), else the direct conv (conv2d-forward.c), falling back to
 * the stock XNNPACK kernels for everything they do not cover, and on the threaded build for the direct convs
 * XNNPACK computes identically on several threads.
 * Measured single-thread on the x4 student's shapes (8 x 48² LR patches): direct 16->64 convs 27-31 -> 31-37
 * GFLOP/s, the 16->3 output conv 10.5 -> 22 GFLOP/s (XNNPACK's packing of 3 output channels wastes most of
 * each vector); Winograd 50-66 effective GFLOP/s. The direct conv equals XNNPACK bit for bit where
 * Cout % 4 == 0 (same summation order); Winograd rounds differently (normwise relative error ~1e-6).
 */
import * as tf from '@tensorflow/tfjs';
import { type SimdExports, isThreadedBackend, simdKernels } from '../simd/index';
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
  const kernels = simdKernels(backend);
  if (!kernels) return null;
  const wino = kh === 3 && kw === 3 && s.strideH === 1 && s.strideW === 1 && useWinograd(ci, co);
  // On tfjs's threaded build XNNPACK spreads a conv over its threads, and where Cout % 4 == 0 it computes
  // the same bits as the direct kernel: leave those to it (EDSR inference on 2 threads: 1.17 s vs 2.0 s).
  // Winograd on one thread keeps up with XNNPACK on two, so it runs there too (same results as training).
  if (!wino && mode === 0 && isThreadedBackend(backend)) return null;
  const out = backend.makeOutput([n, s.outH, s.outW, co], 'float32');
  if (sizeOf(out.shape) === 0) return out;
  if (sizeOf(s.x.shape) === 0) {
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  if (wino) {
    winograd(backend, kernels, s, out);
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

/**
 * Winograd F(2x2, 3x3) where it wins (single thread, 8 x 48² / 96² inputs): 1.6-1.8x over the direct conv when
 * Cout >= 32 or Cin <= Cout (16->16, 16->64, 64->64, 64->256, 256->64); 1.0-1.2x for 32/64 -> 16, left direct.
 */
function useWinograd(ci: number, co: number): boolean {
  return ci % 4 === 0 && co % 4 === 0 && (co >= 32 || ci <= co);
}

function winograd(backend: WasmBackend, kernels: SimdExports, s: SimdConvSpec, out: tf.TensorInfo): void {
  const [n, h, w, ci] = s.x.shape;
  const co = s.filter.shape[3];
  const tb = kernels.winograd_block_tiles();
  const u = backend.makeOutput([16 * ci * co], 'float32');
  const v = backend.makeOutput([16 * tb * ci], 'float32');
  const m = backend.makeOutput([16 * tb * co], 'float32');
  const rc = kernels.conv3x3_winograd(
    heapOffset(backend, s.x), heapOffset(backend, s.filter), s.bias ? heapOffset(backend, s.bias) : 0, heapOffset(backend, out),
    n, h, w, ci, s.outH, s.outW, co, s.top, s.left, s.relu ? 1 : 0,
    heapOffset(backend, u), heapOffset(backend, v), heapOffset(backend, m),
  );
  release(backend, u, v, m);
  if (rc !== 0) throw new Error(`conv3x3_winograd rejected Cin ${ci}, Cout ${co}`); // useWinograd checks both
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
