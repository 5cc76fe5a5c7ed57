/**
 * Conv2DBackpropFilter for tfjs-webgpu as a tiled split-K matrix product. The stock kernel (4.22,
 * Conv2DDerFilterProgram) runs one thread per filter weight, each looping over every batch position: a 3x3
 * 64->64 filter is 36,864 threads doing 36,864 serial multiply-adds each, and the 64->3 output
 * convolution of an x4 student at HR is 1,728 threads looping over 590k positions, a few dozen warps on a GPU
 * of thousands. Both leave a data-centre GPU almost idle.
 *
 * Here dW[ky,kx,ci,co] = sum over positions p = (b,oy,ox) of x[b, oy*sH - padT + ky, ox*sW - padL + kx, ci] *
 * dy[p, co] is a product of a (ci x positions) and a (positions x co) matrix per tap. Pass 1 splits the
 * positions into S chunks; a workgroup of 16x16 threads owns a (ci x co) tile of one tap and one chunk
 * (64x64, each thread a 4x4 block; 16 wide where a layer has at most 16 channels), stages 16 positions of x and
 * dy at a time in workgroup memory, and writes the chunk's sums to partials[S, taps, ci, co]. Pass 2 adds the
 * S partials in a fixed order (deterministic, so resumed runs stay bit-exact). NHWC only; channels-first data
 * goes to the stock kernel. Its speed on a GPU is not measured yet (scripts/gpu-check.sh compares the two).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebgpuBackendLike, WebgpuProgram } from './program';

/** Positions staged in workgroup memory per step. */
const STEP = 16;

/**
 * Pass 1: per chunk of positions, the partial filter gradient of one (ci x co) tile of one tap. Each of the
 * 16x16 threads owns ri x rj weights: tiles of 64 channels (ri or rj = 4) where the layer has more than 16,
 * else 16 (= 1), so the 3-channel input and output convolutions do not compute a 64-wide tile of zeros.
 */
class FilterGradPartialsProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  // not a flat layout, so tfjs calls main() without an index: the shader indexes by workgroup and thread
  dispatchLayout = { x: [3], y: [2], z: [0, 1] };
  dispatch: [number, number, number];
  variableNames = ['x', 'dy'];
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, filterWidth : i32, chunk : i32, positions : i32, tilesCo : i32,';
  workgroupSize: [number, number, number] = [16, 16, 1];
  readonly ri: number;
  readonly rj: number;

  constructor(splits: number, taps: number, inChannels: number, outChannels: number) {
    this.outputShape = [splits, taps, inChannels, outChannels];
    this.ri = inChannels > 16 ? 4 : 1;
    this.rj = outChannels > 16 ? 4 : 1;
    this.shaderKey = `srkdConv2DBackpropFilterPartials_${this.ri}x${this.rj}`;
    this.dispatch = [Math.ceil(inChannels / (16 * this.ri)) * this.tilesCo(), taps, splits];
  }

  tilesCo(): number {
    return Math.ceil(this.outputShape[3] / (16 * this.rj));
  }

  getUserCode(): string {
    const { ri, rj } = this;
    const [tci, tco] = [16 * ri, 16 * rj];
    return `
      var<workgroup> xs : array<f32, ${STEP * tci}>;
      var<workgroup> ds : array<f32, ${STEP * tco}>;

      fn main() {
        let nIn = uniforms.xShape.w;
        let nOut = uniforms.dyShape.w;
        let tileCi = i32(workgroupId.x) / uniforms.tilesCo;
        let tileCo = i32(workgroupId.x) % uniforms.tilesCo;
        let tap = i32(workgroupId.y);
        let split = i32(workgroupId.z);
        let ky = tap / uniforms.filterWidth;
        let kx = tap % uniforms.filterWidth;
        let ci0 = tileCi * ${tci};
        let co0 = tileCo * ${tco};
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = i32(localIndex);
        let first = split * uniforms.chunk;
        let last = min(first + uniforms.chunk, uniforms.positions);
        let outPlane = uniforms.dyShape.y * uniforms.dyShape.z;

        var acc : array<array<f32, ${rj}>, ${ri}>;
        for (var i = 0; i < ${ri}; i++) { for (var j = 0; j < ${rj}; j++) { acc[i][j] = 0.0; } }

        // The step count comes from uniforms alone: workgroupBarrier needs control flow that WGSL can prove
        // uniform, and tfjs hands the workgroup id over through a private variable, which it cannot. A last
        // chunk shorter than the others stages zeros.
        let steps = (uniforms.chunk + ${STEP - 1}) / ${STEP};
        for (var step = 0; step < steps; step++) {
          let p0 = first + step * ${STEP};
          // stage STEP positions of x (shifted by the tap) and of dy, each thread a few values
          for (var e = lid; e < ${STEP * tci}; e += 256) {
            let p = p0 + e / ${tci};
            let ci = ci0 + e % ${tci};
            var xv = 0.0;
            if (p < last && ci < nIn) {
              let b = p / outPlane;
              let r = p % outPlane;
              let iy = (r / uniforms.dyShape.z) * uniforms.strides.x - uniforms.pads.x + ky;
              let ix = (r % uniforms.dyShape.z) * uniforms.strides.y - uniforms.pads.y + kx;
              if (iy >= 0 && iy < uniforms.xShape.y && ix >= 0 && ix < uniforms.xShape.z) {
                xv = x[((b * uniforms.xShape.y + iy) * uniforms.xShape.z + ix) * nIn + ci];
              }
            }
            xs[e] = xv;
          }
          for (var e = lid; e < ${STEP * tco}; e += 256) {
            let p = p0 + e / ${tco};
            let co = co0 + e % ${tco};
            var dv = 0.0;
            if (p < last && co < nOut) {
              dv = dy[p * nOut + co];
            }
            ds[e] = dv;
          }
          workgroupBarrier();
          for (var t = 0; t < ${STEP}; t++) {
            var a : array<f32, ${ri}>;
            var d : array<f32, ${rj}>;
            for (var i = 0; i < ${ri}; i++) { a[i] = xs[t * ${tci} + ty * ${ri} + i]; }
            for (var j = 0; j < ${rj}; j++) { d[j] = ds[t * ${tco} + tx * ${rj} + j]; }
            for (var i = 0; i < ${ri}; i++) {
              for (var j = 0; j < ${rj}; j++) {
                acc[i][j] = fma(a[i], d[j], acc[i][j]);
              }
            }
          }
          workgroupBarrier();
        }

        let taps = uniforms.outShape.y;
        for (var i = 0; i < ${ri}; i++) {
          let ci = ci0 + ty * ${ri} + i;
          if (ci >= nIn) { continue; }
          for (var j = 0; j < ${rj}; j++) {
            let co = co0 + tx * ${rj} + j;
            if (co < nOut) {
              result[((split * taps + tap) * nIn + ci) * nOut + co] = acc[i][j];
            }
          }
        }
      }
    `;
  }
}

/** Pass 2: dW = the S partials added in split order. */
class SumPartialsProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey = 'srkdSumPartials';
  dispatchLayout = { x: [0, 1, 2, 3] };
  dispatch: [number, number, number];
  variableNames = ['partials'];
  uniforms = 'splits : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;

  constructor(filterShape: readonly number[]) {
    this.outputShape = [...filterShape];
    this.dispatch = [Math.ceil(filterShape.reduce((a, d) => a * d, 1) / 64), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.splits; s++) {
            sum += partials[s * uniforms.size + index];
          }
          result[index] = sum;
        }
      }
    `;
  }
}

/** Positions per chunk about 256, the partials at most 2^24 floats (64 MiB), at most 65,535 chunks. */
export function splitCount(positions: number, filterSize: number): number {
  const byWork = Math.ceil(positions / 256);
  const byMemory = Math.max(1, Math.floor(2 ** 24 / filterSize));
  return Math.max(1, Math.min(byWork, byMemory, 65_535));
}

type KernelArgs = { inputs: { x: tf.TensorInfo; dy: tf.TensorInfo }; backend: WebgpuBackendLike; attrs: Record<string, unknown> };

/** The kernel function; `stock` serves what it does not (channels-first data). */
export function makeConv2DBackpropFilter(stock: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
      strides: [number, number] | number; pad: 'valid' | 'same' | number; dataFormat: 'NHWC' | 'NCHW';
      dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number];
    };
    if (dataFormat === 'NCHW') return stock(args as never);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad,
      dimRoundingMode, false, 'channelsLast');
    const taps = info.filterHeight * info.filterWidth;
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const weights = taps * info.inChannels * info.outChannels;
    const splits = splitCount(positions, weights);
    const chunk = Math.ceil(positions / splits);
    const partialsProgram = new FilterGradPartialsProgram(Math.ceil(positions / chunk), taps, info.inChannels, info.outChannels);
    const partials = backend.runWebGPUProgram(partialsProgram, [x, dy], 'float32', [
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [info.filterWidth] },
      { type: 'int32', data: [chunk] },
      { type: 'int32', data: [positions] },
      { type: 'int32', data: [partialsProgram.tilesCo()] },
    ]);
    try {
      return backend.runWebGPUProgram(new SumPartialsProgram(filterShape), [partials], 'float32',
        [{ type: 'int32', data: [partialsProgram.outputShape[0]] }]);
    } finally {
      backend.disposeData(partials.dataId);
    }
  }) as unknown as tf.KernelFunc;
}
