/**
 * DepthwiseConv2dNativeBackpropFilter / ...BackpropInput for wasm (both missing in tfjs-backend-wasm
 * 4.22). Not used by EDSR/RCAN/SwinIR, so these are plain accumulations over the wasm heap (NHWC, any
 * stride, dilation and padding), correct rather than fast.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend } from './backend-ops';

type DepthwiseAttrs = {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function info(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true, 'channelsLast',
  );
}

/**
 * Calls visit(xOffset, dyOffset, filterOffset) for every (n, y, x, kh, kw) tap inside the input, with
 * offsets of channel 0; the caller loops over channels c and multiplier q.
 */
function forEachTap(ci: tf.backend_util.Conv2DInfo, visit: (xOff: number, dyOff: number, fOff: number) => void): void {
  const inC = ci.inChannels;
  const outC = ci.outChannels;
  const mult = outC / inC;
  for (let n = 0; n < ci.batchSize; n++) {
    for (let y = 0; y < ci.outHeight; y++) {
      for (let x = 0; x < ci.outWidth; x++) {
        const dyOff = ((n * ci.outHeight + y) * ci.outWidth + x) * outC;
        for (let kh = 0; kh < ci.filterHeight; kh++) {
          const iy = y * ci.strideHeight - ci.padInfo.top + kh * ci.dilationHeight;
          if (iy < 0 || iy >= ci.inHeight) continue;
          for (let kw = 0; kw < ci.filterWidth; kw++) {
            const ix = x * ci.strideWidth - ci.padInfo.left + kw * ci.dilationWidth;
            if (ix < 0 || ix >= ci.inWidth) continue;
            visit(((n * ci.inHeight + iy) * ci.inWidth + ix) * inC, dyOff, (kh * ci.filterWidth + kw) * inC * mult);
          }
        }
      }
    }
  }
}

function backpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const attrs = args.attrs as unknown as DepthwiseAttrs & { filterShape: [number, number, number, number] };
  const ci = info(x.shape, attrs.filterShape, attrs);
  const out = backend.makeOutput([...attrs.filterShape], 'float32');
  const dw = backend.typedArrayFromHeap(out); // views after makeOutput: allocation may move the heap
  dw.fill(0);
  const xv = backend.typedArrayFromHeap(x);
  const dyv = backend.typedArrayFromHeap(dy);
  const inC = ci.inChannels;
  const mult = ci.outChannels / inC;
  forEachTap(ci, (xOff, dyOff, fOff) => {
    for (let c = 0; c < inC; c++) {
      const xval = xv[xOff + c];
      for (let q = 0; q < mult; q++) dw[fOff + c * mult + q] += xval * dyv[dyOff + c * mult + q];
    }
  });
  return out;
}

function backpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const attrs = args.attrs as unknown as DepthwiseAttrs & { inputShape: [number, number, number, number] };
  const ci = info(attrs.inputShape, filter.shape, attrs);
  const out = backend.makeOutput([...attrs.inputShape], 'float32');
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const fv = backend.typedArrayFromHeap(filter);
  const dyv = backend.typedArrayFromHeap(dy);
  const inC = ci.inChannels;
  const mult = ci.outChannels / inC;
  forEachTap(ci, (xOff, dyOff, fOff) => {
    for (let c = 0; c < inC; c++) {
      let s = 0;
      for (let q = 0; q < mult; q++) s += fv[fOff + c * mult + q] * dyv[dyOff + c * mult + q];
      dx[xOff + c] += s;
    }
  });
  return out;
}

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: backpropFilterKernel as unknown as tf.KernelFunc,
};

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: backpropInputKernel as unknown as tf.KernelFunc,
};
