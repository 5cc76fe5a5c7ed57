/**
 * A second shape of the kit's tiled forward convolution (conv2d-tiled.ts), opt-in with SRKD_WEBGPU_KIT_CONV=wide,
 * for a GPU run to compare with the default one. The default shader ran the paper DUKD iteration's 256-channel
 * convolutions at 22 TFLOP/s on an H200, a third of FP32 peak; two standard moves of fast matrix products that
 * it lacks:
 * - register prefetch: each thread loads the next K step's values from global memory into registers before it
 *   multiplies the current step out of workgroup memory, so the loads' latency overlaps the arithmetic instead
 *   of stalling every step;
 * - wider tiles where the layer has the channels: 128 pixels x 128 output channels per workgroup when the
 *   convolution has at least 128 output channels, each thread an 8x8 block (64 multiply-adds per 4 vector reads
 *   from workgroup memory, against 32 per 3), else 128 x 64 with 8x4 blocks as the default shader.
 * Same sums in the same order as the default shader (K ascending, one fma chain per output), so the two give
 * the same results; deterministic. Measured on an H200 (2026-12-04, second gpu-check run): slower than the
 * default shader, 20.7 against 22.0 TFLOP/s on the paper DUKD iteration's forward convolutions, so it stays
 * opt-in (scripts/gpu-check.sh still times it: another GPU may rank them otherwise).
 */
import { epilogueWgsl, stagedPixelsWgsl, STEP_K, TILE_P, TiledConvProgram } from './conv2d-tiled-common';

export class ConvWideProgram extends TiledConvProgram {
  /** Output channels per workgroup tile: 128 where the layer has that many, else 64. */
  constructor(outShape: readonly number[], hasBias: boolean, relu: boolean) {
    const tileC = outShape[3] >= 128 ? 128 : 64;
    super(outShape, hasBias, relu, tileC, `srkdConvWide_${tileC}`);
  }

  getUserCode(): string {
    const quads = TILE_P / 4; // rows of the A tile as vec4s of 4 pixels
    const cq = this.tileC / 4; // rows of the B tile as vec4s of 4 output channels
    const groups = this.tileC / 64; // channel groups per thread: vec4 columns tx and tx + 16
    const bLoads = (STEP_K * cq) / 256; // B vec4s each of the 256 threads stages per step
    const fmas: string[] = [];
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < 8; i++) {
        const a = `a${i >> 2}.${'xyzw'[i & 3]}`;
        fmas.push(`acc[${g * 8 + i}] = fma(vec4<f32>(${a}), b${g}, acc[${g * 8 + i}]);`);
      }
    }
    return `
      var<workgroup> tileA : array<vec4<f32>, ${STEP_K * quads}>;
      var<workgroup> tileB : array<vec4<f32>, ${STEP_K * cq}>;
      // per thread: where the 8 pixels it stages start in x (-1 past the last pixel), and their top-left input
      var<private> base : array<i32, 8>;
      var<private> iy0 : array<i32, 8>;
      var<private> ix0 : array<i32, 8>;

      // the x values of K index k for pixel quad q of this thread (zeros outside the image and past K)
      fn loadA(k : i32, q : i32) -> vec4<f32> {
        let nIn = uniforms.xShape.w;
        let tap = k / nIn;
        let ci = k % nIn;
        let ky = tap / uniforms.filterWidth;
        let kx = tap % uniforms.filterWidth;
        var v = vec4<f32>(0.0);
        for (var r = 0; r < 4; r++) {
          let j = q * 4 + r;
          let iy = iy0[j] + ky;
          let ix = ix0[j] + kx;
          if (k < uniforms.kTotal && base[j] >= 0 && iy >= 0 && iy < uniforms.xShape.y && ix >= 0 && ix < uniforms.xShape.z) {
            v[r] = x[base[j] + (iy * uniforms.xShape.z + ix) * nIn + ci];
          }
        }
        return v;
      }

      // 4 filter values of row bk from output channel bc on (zeros past K and past the channels)
      fn loadB(bk : i32, bc : i32) -> vec4<f32> {
        let nOut = uniforms.outShape.w;
        var wv = vec4<f32>(0.0);
        if (bk < uniforms.kTotal) {
          for (var j = 0; j < 4; j++) {
            if (bc + j < nOut) { wv[j] = w[bk * nOut + bc + j]; }
          }
        }
        return wv;
      }

      fn main() {
        let nOut = uniforms.outShape.w;
        let plane = uniforms.outShape.y * uniforms.outShape.z;
        let pixels = uniforms.outShape.x * plane;
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let lid = i32(localIndex);
        let p0 = i32(workgroupId.y) * ${TILE_P};
        let c0 = i32(workgroupId.x) * ${this.tileC};

        // The pixels this thread stages: two quads of 4 at one K offset (kk), the same in every K step.
        let kk = lid % ${STEP_K};${stagedPixelsWgsl()}

        var acc : array<vec4<f32>, ${8 * groups}>;
        for (var i = 0; i < ${8 * groups}; i++) { acc[i] = vec4<f32>(0.0); }

        // step 0's values, then in each step: stage them, fetch the next step's, multiply out the staged ones
        var ra0 = loadA(kk, 0);
        var ra1 = loadA(kk, 1);
        var rb : array<vec4<f32>, ${bLoads}>;
        for (var i = 0; i < ${bLoads}; i++) {
          let e = lid + i * 256;
          rb[i] = loadB(e / ${cq}, c0 + (e % ${cq}) * 4);
        }
        // The step count comes from uniforms alone: workgroupBarrier needs control flow WGSL can prove uniform.
        let steps = (uniforms.kTotal + ${STEP_K - 1}) / ${STEP_K};
        for (var step = 0; step < steps; step++) {
          tileA[kk * ${quads} + lid / ${STEP_K}] = ra0;
          tileA[kk * ${quads} + lid / ${STEP_K} + 16] = ra1;
          for (var i = 0; i < ${bLoads}; i++) { tileB[lid + i * 256] = rb[i]; }
          workgroupBarrier();

          if (step + 1 < steps) {
            let k = (step + 1) * ${STEP_K} + kk;
            ra0 = loadA(k, 0);
            ra1 = loadA(k, 1);
            for (var i = 0; i < ${bLoads}; i++) {
              let e = lid + i * 256;
              rb[i] = loadB((step + 1) * ${STEP_K} + e / ${cq}, c0 + (e % ${cq}) * 4);
            }
          }

          for (var t = 0; t < ${STEP_K}; t++) {
            let a0 = tileA[t * ${quads} + ty * 2];
            let a1 = tileA[t * ${quads} + ty * 2 + 1];
            ${Array.from({ length: groups }, (_, g) => `let b${g} = tileB[t * ${cq} + tx + ${g * 16}];`).join('\n            ')}
            ${fmas.join('\n            ')}
          }
          workgroupBarrier();
        }

${epilogueWgsl(this.hasBias, this.relu, groups)}
      }
    `;
  }
}
