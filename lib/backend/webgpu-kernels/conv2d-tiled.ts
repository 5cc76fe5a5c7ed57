/**
 * Conv2D and FusedConv2D (bias, ReLU) for tfjs-webgpu as an implicit matrix product with large register tiles,
 * for the convolutions that carry a paper step's work (84 % of a DUKD x4 iteration is the EDSR 256x32
 * teacher's 3x3 256->256 convolutions). tfjs-webgpu 4.22's Conv2DMMProgram gives each workgroup of 64 threads
 * a 32x32 output tile; here a workgroup of 16x16 threads owns a 128 (pixels) x 64 (output channels) tile,
 * each thread an 8x4 block held in registers, so every value staged in workgroup memory feeds 4-8 multiply-adds
 * per read instead of 4.
 *
 * Out[p, co] = sum over k = (ky, kx, ci) of x[b, oy*sH - padT + ky, ox*sW - padL + kx, ci] * W[ky, kx, ci, co]
 * (p = (b, oy, ox)): the K dimension is staged 16 at a time, the x values gathered on the fly (no im2col
 * buffer), zeros outside the image. Sums run in a fixed order, so runs are deterministic. NHWC, dilation 1,
 * no activation or ReLU only; anything else (and outputs past WebGPU's dispatch limit) goes to the stock kernel.
 * On by default (SRKD_WEBGPU_KIT_CONV=off: tfjs's shader): on an NVIDIA H200 (Vulkan, 2026-12-04) it ran the paper
 * DUKD iteration's forward convolutions at 22.0 TFLOP/s against the stock shader's 16.4, the iteration in 0.828 s
 * against 0.866 (test/fixtures/gpu-check/2026-12-04-h200; scripts/gpu-check.sh runs the paper case both ways).
 */
import * as tf from '@tensorflow/tfjs';
import { epilogueWgsl, stagedPixelsWgsl, STEP_K, TILE_P, TiledConvProgram } from './conv2d-tiled-common';
import { ConvWideProgram } from './conv2d-tiled-wide';
import type { WebgpuBackendLike } from './program';

/** Output channels of a workgroup's tile. */
const TILE_C = 64;
const MAX_WORKGROUPS = 65_535;

class ConvTiledProgram extends TiledConvProgram {
  constructor(outShape: readonly number[], hasBias: boolean, relu: boolean) {
    super(outShape, hasBias, relu, TILE_C, 'srkdConvTiled');
  }

  getUserCode(): string {
    const quads = TILE_P / 4; // rows of the A tile as vec4s of 4 pixels
    return `
      var<workgroup> tileA : array<vec4<f32>, ${STEP_K * quads}>;
      var<workgroup> tileB : array<vec4<f32>, ${STEP_K * (TILE_C / 4)}>;

      fn main() {
        let nIn = uniforms.xShape.w;
        let nOut = uniforms.outShape.w;
        let plane = uniforms.outShape.y * uniforms.outShape.z;
        let pixels = uniforms.outShape.x * plane;
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = i32(localIndex);
        let p0 = i32(workgroupId.y) * ${TILE_P};
        let c0 = i32(workgroupId.x) * ${TILE_C};

        // The pixels this thread stages: two quads of 4 at one K offset (kk), the same in every K step.
        let kk = lid % ${STEP_K};
        var base : array<i32, 8>; // offset of (b, iy0, ix0, 0) in x, or -1 past the last pixel
        var iy0 : array<i32, 8>;
        var ix0 : array<i32, 8>;${stagedPixelsWgsl()}

        var acc : array<vec4<f32>, 8>;
        for (var i = 0; i < 8; i++) { acc[i] = vec4<f32>(0.0); }

        // The step count comes from uniforms alone: workgroupBarrier needs control flow WGSL can prove uniform.
        let steps = (uniforms.kTotal + ${STEP_K - 1}) / ${STEP_K};
        for (var step = 0; step < steps; step++) {
          // A: x gathered for 2 quads of pixels at K index k (tap ky, kx, channel ci)
          let k = step * ${STEP_K} + kk;
          let tap = k / nIn;
          let ci = k % nIn;
          let ky = tap / uniforms.filterWidth;
          let kx = tap % uniforms.filterWidth;
          for (var q = 0; q < 2; q++) {
            var v = vec4<f32>(0.0);
            for (var r = 0; r < 4; r++) {
              let j = q * 4 + r;
              let iy = iy0[j] + ky;
              let ix = ix0[j] + kx;
              if (k < uniforms.kTotal && base[j] >= 0 && iy >= 0 && iy < uniforms.xShape.y && ix >= 0 && ix < uniforms.xShape.z) {
                v[r] = x[base[j] + (iy * uniforms.xShape.z + ix) * nIn + ci];
              }
            }
            tileA[kk * ${quads} + lid / ${STEP_K} + q * 16] = v;
          }
          // B: the filter rows k of this K step, 4 output channels per thread
          let bk = step * ${STEP_K} + lid / ${TILE_C / 4};
          let bc = c0 + (lid % ${TILE_C / 4}) * 4;
          var wv = vec4<f32>(0.0);
          if (bk < uniforms.kTotal) {
            for (var j = 0; j < 4; j++) {
              if (bc + j < nOut) { wv[j] = w[bk * nOut + bc + j]; }
            }
          }
          tileB[lid] = wv;
          workgroupBarrier();

          for (var t = 0; t < ${STEP_K}; t++) {
            let a0 = tileA[t * ${quads} + ty * 2];
            let a1 = tileA[t * ${quads} + ty * 2 + 1];
            let bv = tileB[t * ${TILE_C / 4} + tx];
            acc[0] = fma(vec4<f32>(a0.x), bv, acc[0]);
            acc[1] = fma(vec4<f32>(a0.y), bv, acc[1]);
            acc[2] = fma(vec4<f32>(a0.z), bv, acc[2]);
            acc[3] = fma(vec4<f32>(a0.w), bv, acc[3]);
            acc[4] = fma(vec4<f32>(a1.x), bv, acc[4]);
            acc[5] = fma(vec4<f32>(a1.y), bv, acc[5]);
            acc[6] = fma(vec4<f32>(a1.z), bv, acc[6]);
            acc[7] = fma(vec4<f32>(a1.w), bv, acc[7]);
          }
          workgroupBarrier();
        }

${epilogueWgsl(this.hasBias, this.relu, 1)}
      }
    `;
  }
}

type Conv2DAttrs = {
  strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW'; dilations: [number, number] | number; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string; leakyreluAlpha?: number;
};
type KernelArgs = {
  inputs: { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
  backend: WebgpuBackendLike; attrs: Record<string, unknown>;
};

/**
 * The kernel function for Conv2D or FusedConv2D; `stock` serves what the tiled program does not. `setting`
 * 'wide' (SRKD_WEBGPU_KIT_CONV=wide) runs conv2d-tiled-wide.ts's shader instead of this file's.
 */
export function makeConv2DTiled(stock: tf.KernelFunc, setting = 'on'): tf.KernelFunc {
  const Program = setting === 'wide' ? ConvWideProgram : ConvTiledProgram;
  return ((args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as Conv2DAttrs;
    const { x, filter, bias, preluActivationWeights } = inputs;
    const activation = attrs.activation ?? 'linear';
    const dilations = attrs.dilations ?? 1;
    const oneDilation = Array.isArray(dilations) ? dilations.every((d) => d === 1) : dilations === 1;
    if (attrs.dataFormat === 'NCHW' || !oneDilation || preluActivationWeights || (activation !== 'linear' && activation !== 'relu')) {
      return stock(args as never);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== info.outChannels)) return stock(args as never); // broadcast shapes
    const program = new Program(info.outShape, bias !== undefined, activation === 'relu');
    if (program.dispatch[1] > MAX_WORKGROUPS) return stock(args as never);
    return backend.runWebGPUProgram(program, bias ? [x, filter, bias] : [x, filter], 'float32', [
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [info.filterWidth] },
      { type: 'int32', data: [info.filterHeight * info.filterWidth * info.inChannels] },
    ]);
  }) as unknown as tf.KernelFunc;
}
