/**
 * Conv2DBackpropFilter for wasm (missing in tfjs-backend-wasm 4.22). NHWC:
 *   dW[kh,kw,ci,co] = sum over n,y,x of xpad[n, s*y+kh, s*x+kw, ci] * dy[n,y,x,co].
 * First choice: the kit's wasm-SIMD GEMM kernel (lib/backend/simd, 28-37 GFLOP/s per core on the
 * student's shapes, 3-7x the route below) whenever Cout or Cin is a multiple of 4. Otherwise dW is a forward conv (XNNPACK) of x transposed to [Cin,H,W,N] (Cin images, N channels) with dy
 * transposed to [Ho,Wo,N,Cout] as an Ho x Wo filter dilated by the stride, giving [Cin,KH,KW,Cout].
 * When Cout < Cin (stride 1) the roles swap so the wide channel count is the GEMM output: dy as
 * [Cout,Ho,Wo,N] images convolved with x as an [H,W,N,Cin] filter yields dW spatially flipped.
 */
import * as tf from '@tensorflow/tfjs';
import {
  KernelArgs, WasmBackend, conv2dExplicit, heapOffset, sizeOf, release, reverseInfo, runStock, sliceInfo, transposeInfo, withShape,
} from './backend-ops';
import { ConvAttrs, ConvGeometry, convGeometry } from './conv-info';
import { simdKernels } from '../simd/index';

type BackpropFilterAttrs = ConvAttrs & { filterShape: [number, number, number, number] };

export function conv2dBackpropFilterNhwc(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: BackpropFilterAttrs,
): tf.TensorInfo {
  const g = convGeometry(x.shape as [number, number, number, number], attrs.filterShape, { ...attrs, dilations: 1 });
  const filterShape = [g.kH, g.kW, g.inC, g.outC];
  const simd = simdBackpropFilter(backend, x, dy, g, filterShape);
  if (simd) return simd;
  const swapPads = { top: g.kH - 1 - g.top, bottom: g.kH - 1 - g.bottom, left: g.kW - 1 - g.left, right: g.kW - 1 - g.right };
  const canSwap = g.strideH === 1 && g.strideW === 1 && swapPads.top >= 0 && swapPads.bottom >= 0 &&
    swapPads.left >= 0 && swapPads.right >= 0;
  if (canSwap && g.outC < g.inC) {
    const dyT = transposeInfo(backend, dy, [3, 1, 2, 0]); // [Cout,Ho,Wo,N]
    const xF = transposeInfo(backend, x, [1, 2, 0, 3]); // [H,W,N,Cin]
    const flipped = conv2dExplicit(backend, dyT, xF, swapPads); // [Cout,KH,KW,Cin], spatially flipped
    release(backend, dyT, xF);
    const r = reverseInfo(backend, flipped, [1, 2]);
    release(backend, flipped);
    const out = transposeInfo(backend, r, [1, 2, 3, 0]);
    release(backend, r);
    return withShape(out, filterShape);
  }
  const xT = transposeInfo(backend, x, [3, 1, 2, 0]); // [Cin,H,W,N]
  const dyF = transposeInfo(backend, dy, [1, 2, 0, 3]); // [Ho,Wo,N,Cout]
  const rows = bandRows(g);
  let r = rows < g.outH
    ? bandedConv(backend, xT, dyF, g, rows)
    : conv2dExplicit(backend, xT, dyF, g, [g.strideH, g.strideW]); // [Cin, >=KH, >=KW, Cout]
  release(backend, xT, dyF);
  if (r.shape[1] !== g.kH || r.shape[2] !== g.kW) {
    const cut = sliceInfo(backend, r, [0, 0, 0, 0], [g.inC, g.kH, g.kW, g.outC]);
    release(backend, r);
    r = cut;
  }
  const out = transposeInfo(backend, r, [1, 2, 0, 3]);
  release(backend, r);
  return withShape(out, filterShape);
}

/** The SIMD GEMM path, or null when the kernel is unavailable or the channel counts do not suit it. */
function simdBackpropFilter(
  backend: WasmBackend, x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry, filterShape: number[],
): tf.TensorInfo | null {
  const mode = g.outC % 4 === 0 ? 0 : g.inC % 4 === 0 ? 1 : -1; // 0: vectors along Cout, 1: along Cin
  if (mode < 0) return null;
  const kernels = simdKernels(backend);
  if (!kernels) return null;
  const out = backend.makeOutput(filterShape, 'float32');
  backend.typedArrayFromHeap(out).fill(0); // the kernel accumulates
  if (sizeOf(x.shape) > 0 && sizeOf(dy.shape) > 0) {
    const rc = kernels.conv2d_backprop_filter(
      heapOffset(backend, x), heapOffset(backend, dy), heapOffset(backend, out),
      g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.strideH, g.strideW, g.top, g.left, mode,
    );
    if (rc !== 0) {
      release(backend, out);
      return null;
    }
  }
  return out;
}

let bandRowsOverride: number | null = null;

/** For benchmarks: force the dy band height (null restores the default rule). */
export function setConv2dBackpropFilterBandRows(rows: number | null): void {
  bandRowsOverride = rows;
}

/**
 * Rows of dy per partial conv. The dy filter is packed whole by XNNPACK; with >= 128 channels it
 * falls out of cache, so it is cut into row bands whose partial results are summed (the backend survey
 * used 24-row bands; measured here on 64->256, 48x48 and 96x96: whole 4.0-4.3, 24 rows 6.4-7.1, 12 rows
 * 6.3-9.6 GFLOP/s, hence 12; 64->64 gains nothing).
 */
function bandRows(g: ConvGeometry): number {
  if (bandRowsOverride !== null) return bandRowsOverride;
  return Math.max(g.inC, g.outC) >= 128 ? 12 : g.outH;
}

/** Sum over dy row bands of valid convs of the matching (padded) x rows; returns [Cin, KH, >=KW, Cout]. */
function bandedConv(backend: WasmBackend, xT: tf.TensorInfo, dyF: tf.TensorInfo, g: ConvGeometry, rows: number): tf.TensorInfo {
  const xP = runStock('PadV2', {
    inputs: { x: xT },
    backend,
    attrs: { paddings: [[0, 0], [g.top, g.bottom], [g.left, g.right], [0, 0]], constantValue: 0 },
  }); // [Cin,Hp,Wp,N]
  const [, hp, wp, n] = xP.shape;
  const none = { top: 0, bottom: 0, left: 0, right: 0 };
  let acc: tf.TensorInfo | null = null;
  for (let y0 = 0; y0 < g.outH; y0 += rows) {
    const count = Math.min(rows, g.outH - y0);
    const fb = sliceInfo(backend, dyF, [y0, 0, 0, 0], [count, g.outW, n, g.outC]);
    const xRows = Math.min(hp - g.strideH * y0, g.strideH * (count - 1) + g.kH);
    const xb = sliceInfo(backend, xP, [0, g.strideH * y0, 0, 0], [g.inC, xRows, wp, n]);
    const part = conv2dExplicit(backend, xb, fb, none, [g.strideH, g.strideW]);
    release(backend, fb, xb);
    if (acc === null) {
      acc = part;
    } else {
      const a = backend.typedArrayFromHeap(acc);
      const b = backend.typedArrayFromHeap(part);
      for (let i = 0; i < a.length; i++) a[i] += b[i];
      release(backend, part);
    }
  }
  release(backend, xP);
  return acc as tf.TensorInfo;
}

function conv2dBackpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  if (attrs.dataFormat === 'NCHW') {
    // Only NHWC is native to wasm: move channels last, then proceed.
    const xh = transposeInfo(backend, x, [0, 2, 3, 1]);
    const dyh = transposeInfo(backend, dy, [0, 2, 3, 1]);
    const out = conv2dBackpropFilterNhwc(backend, xh, dyh, { ...attrs, dataFormat: 'NHWC' });
    release(backend, xh, dyh);
    return out;
  }
  return conv2dBackpropFilterNhwc(backend, x, dy, attrs);
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilterKernel as unknown as tf.KernelFunc,
};
