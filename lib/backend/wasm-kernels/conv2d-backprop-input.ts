/**
 * Conv2DBackpropInput for wasm. The stock kernel is a scalar loop (~1.3 GFLOP/s). For stride 1,
 * dX is a forward conv (XNNPACK) of dy padded by K-1-padFront in front and K-1-padBack behind, with
 * the filter flipped spatially and its in/out channels swapped: the kit's SIMD conv where it applies
 * (conv2d.ts; 31 -> 36 GFLOP/s on 64->16 channels), else XNNPACK. Other cases use the stock kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelArgs, WasmBackend, conv2dExplicit, release, reverseInfo, runStock, transposeInfo, withShape } from './backend-ops';
import { ConvAttrs, convGeometry } from './conv-info';
import { simdConv2d } from './conv2d';

type BackpropInputAttrs = ConvAttrs & { inputShape: [number, number, number, number] };

function conv2dBackpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  if (attrs.dataFormat !== 'NCHW' && dy.dtype === 'float32') {
    const g = convGeometry(attrs.inputShape, filter.shape as [number, number, number, number], { ...attrs, dilations: 1 });
    const pads = { top: g.kH - 1 - g.top, bottom: g.kH - 1 - g.bottom, left: g.kW - 1 - g.left, right: g.kW - 1 - g.right };
    const fits = g.strideH === 1 && g.strideW === 1 && pads.top >= 0 && pads.bottom >= 0 && pads.left >= 0 &&
      pads.right >= 0 && dy.shape[1] + pads.top + pads.bottom - g.kH + 1 === g.inH &&
      dy.shape[2] + pads.left + pads.right - g.kW + 1 === g.inW;
    if (fits) {
      const flipped = reverseInfo(backend, filter, [0, 1]);
      const wT = transposeInfo(backend, flipped, [0, 1, 3, 2]); // [KH,KW,Cout,Cin]
      release(backend, flipped);
      const out = simdConv2d(backend, {
        x: dy, filter: wT, bias: null, relu: false, strideH: 1, strideW: 1, top: pads.top, left: pads.left, outH: g.inH, outW: g.inW,
      }) ?? conv2dExplicit(backend, dy, wT, pads);
      release(backend, wT);
      return withShape(out, [...attrs.inputShape]);
    }
  }
  return runStock('Conv2DBackpropInput', args);
}

export function conv2dBackpropInputConfig(stock: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: stock?.setupFunc, // keeps the stock kernel usable as the fallback
    kernelFunc: conv2dBackpropInputKernel as unknown as tf.KernelFunc,
  };
}
