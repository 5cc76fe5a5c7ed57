/**
 * BatchMatMul for wasm. The stock kernel reaches XNNPACK only for batch 1 without transpose flags and
 * otherwise runs a scalar loop (~1-1.4 GFLOP/s). Here:
 *  - right operand batch 1 (2-D / broadcast): materialise transposes, fold A's batch into rows, one
 *    flag-free XNNPACK matmul;
 *  - left operand batch 1: fold B's batch into columns ([K, B*N]) instead, then move the batch axis out;
 *  - equal batches B > 1: a depthwise conv with A as [M,1,K,B] (channels = batch) and B as a [1,K,B,N]
 *    filter (width = contraction, channel multiplier = N), giving [M,B,N].
 * Other broadcasts and non-float inputs use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, release, runStock, sizeOf, transposeInfo, view, withShape } from './backend-ops';

function matmulFlagFree(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return runStock('BatchMatMul', { inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function batchMatMulKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const a = args.inputs.a as tf.TensorInfo;
  const b = args.inputs.b as tf.TensorInfo;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
    return runStock('BatchMatMul', args);
  }
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return runStock('BatchMatMul', args); // the stock kernel reports the error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = sizeOf(outerA);
  const batchB = sizeOf(outerB);
  const outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  const outShape = [...outer, m, n];
  if (sizeOf(outShape) === 0 || k === 0) return runStock('BatchMatMul', args);

  if (batchB === 1 && batchA === 1 && transposeA && n > m) {
    // Weight gradient of a dense layer, x^T dy: K (pixels) is huge. XNNPACK packs the right operand on
    // every call (a fresh dy each step), and measured 3-4x faster with the narrower operand as weights,
    // so compute C^T = op(B)^T A with A [K, M] as the weights, then transpose the small result.
    const bNK = transposeB ? null : transposeInfo(backend, view(b, [k, n]), [1, 0]);
    const ct = matmulFlagFree(backend, view(bNK ?? b, [1, n, k]), view(a, [1, k, m]));
    if (bNK) release(backend, bNK);
    const out = transposeInfo(backend, view(ct, [n, m]), [1, 0]);
    release(backend, ct);
    return withShape(out, outShape);
  }
  if (batchB === 1) {
    // [batchA*M, K] x [K, N]
    const aRows = transposeA ? transposeInfo(backend, view(a, [batchA, k, m]), [0, 2, 1]) : null;
    const bKN = transposeB ? transposeInfo(backend, view(b, [n, k]), [1, 0]) : null;
    const out = matmulFlagFree(backend, view(aRows ?? a, [1, batchA * m, k]), view(bKN ?? b, [1, k, n]));
    if (aRows) release(backend, aRows);
    if (bKN) release(backend, bKN);
    return withShape(out, outShape);
  }
  if (batchA === 1) {
    // [M, K] x [K, batchB*N] -> [M, batchB, N] -> [batchB, M, N]
    const aMK = transposeA ? transposeInfo(backend, view(a, [k, m]), [1, 0]) : null;
    const bCols = transposeB
      ? transposeInfo(backend, view(b, [batchB, n, k]), [2, 0, 1])
      : transposeInfo(backend, view(b, [batchB, k, n]), [1, 0, 2]);
    const prod = matmulFlagFree(backend, view(aMK ?? a, [1, m, k]), view(bCols, [1, k, batchB * n]));
    if (aMK) release(backend, aMK);
    release(backend, bCols);
    const out = transposeInfo(backend, view(prod, [m, batchB, n]), [1, 0, 2]);
    release(backend, prod);
    return withShape(out, outShape);
  }
  if (shapesEqual(outerA, outerB)) {
    // XNNPACK runs this as B groups of [rows, K] x [K, mult] GEMMs, which use the SIMD tiles well only
    // when mult is the wider side; so when N < M compute C^T = B^T A^T instead and transpose back.
    const out = n < m
      ? groupedMatMul(backend, b, !transposeB, a, !transposeA, batchA, n, k, m, [1, 2, 0])
      : groupedMatMul(backend, a, transposeA, b, transposeB, batchA, m, k, n, [1, 0, 2]);
    return withShape(out, outShape);
  }
  return runStock('BatchMatMul', args);
}

/**
 * C[b] = op(L)[b] (rows x k) times op(R)[b] (k x cols) as a depthwise conv: op(L) laid out as a
 * [rows, 1, k, batch] image, op(R) as a [1, k, batch, cols] filter; the result [rows, batch, cols]
 * is permuted by `outPerm`. `lT`/`rT` say whether L is stored [batch, k, rows] / R as [batch, cols, k].
 */
function groupedMatMul(
  backend: WasmBackend, l: tf.TensorInfo, lT: boolean, r: tf.TensorInfo, rT: boolean,
  bt: number, rows: number, k: number, cols: number, outPerm: number[],
): tf.TensorInfo {
  const img = lT
    ? transposeInfo(backend, view(l, [bt, k, rows]), [2, 1, 0])
    : transposeInfo(backend, view(l, [bt, rows, k]), [1, 2, 0]);
  const fil = rT
    ? transposeInfo(backend, view(r, [bt, cols, k]), [2, 0, 1])
    : transposeInfo(backend, view(r, [bt, k, cols]), [1, 0, 2]);
  const conv = runStock('DepthwiseConv2dNative', {
    inputs: { x: view(img, [rows, 1, k, bt]), filter: view(fil, [1, k, bt, cols]) },
    backend,
    attrs: { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
  }); // [rows,1,1,bt*cols]
  release(backend, img, fil);
  const out = transposeInfo(backend, view(conv, [rows, bt, cols]), outPerm);
  release(backend, conv);
  return out;
}

export function batchMatMulConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // keeps the stock kernel usable for the flag-free path and fallbacks
    kernelFunc: batchMatMulKernel as unknown as tf.KernelFunc,
  };
}
