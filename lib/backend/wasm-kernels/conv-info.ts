/** Shared geometry for the conv backprop kernels (NHWC, via tfjs-core's own conv info). */
import * as tf from '@tensorflow/tfjs';

export interface ConvGeometry {
  readonly batch: number;
  readonly inH: number;
  readonly inW: number;
  readonly inC: number;
  readonly outH: number;
  readonly outW: number;
  readonly outC: number;
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export type ConvAttrs = {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
};

export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
  // computeConv2DInfo leaves bottom/right undefined for some explicit pads; derive them from the sizes.
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const effKH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effKW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const bottom = info.padInfo.bottom ?? Math.max(0, (info.outHeight - 1) * info.strideHeight + effKH - info.inHeight - top);
  const right = info.padInfo.right ?? Math.max(0, (info.outWidth - 1) * info.strideWidth + effKW - info.inWidth - left);
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
    kH: info.filterHeight, kW: info.filterWidth, strideH: info.strideHeight, strideW: info.strideWidth,
    dilationH: info.dilationHeight, dilationW: info.dilationWidth, top, bottom, left, right,
  };
}
