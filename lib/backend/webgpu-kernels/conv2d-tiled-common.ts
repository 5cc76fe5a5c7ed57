/**
 * What the kit's two tiled forward-convolution shaders share (conv2d-tiled.ts, the default; conv2d-tiled-wide.ts,
 * opt-in): the program's layout and uniforms, where each thread's staged pixels start, and the epilogue.
 * Both give a 16x16-thread workgroup a tile of TILE_P output pixels and stage K (filter taps x input channels)
 * STEP_K at a time; each thread owns 8 pixels (rows ty*8...) and 4 output channels per 64-channel group.
 */
import type { WebgpuProgram } from './program';

export const TILE_P = 128;
export const STEP_K = 16;

export abstract class TiledConvProgram implements WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  // not a flat layout: tfjs calls main() without an index and the shader indexes by workgroup and thread
  dispatchLayout = { x: [3], y: [0, 1, 2] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, filterWidth : i32, kTotal : i32,';
  workgroupSize: [number, number, number] = [16, 16, 1];

  /** `tileC` output channels per workgroup (a multiple of 64); `key` names the shader and its settings. */
  constructor(outShape: readonly number[], readonly hasBias: boolean, readonly relu: boolean, readonly tileC: number, key: string) {
    this.outputShape = [...outShape];
    this.variableNames = hasBias ? ['x', 'w', 'bias'] : ['x', 'w'];
    this.shaderKey = `${key}_${hasBias}_${relu}`;
    this.dispatch = [Math.ceil(outShape[3] / tileC), Math.ceil((outShape[0] * outShape[1] * outShape[2]) / TILE_P), 1];
  }

  abstract getUserCode(): string;
}

/**
 * WGSL that fills the thread's `base`, `iy0`, `ix0` (arrays of 8, declared by the shader): the two quads of 4
 * pixels it stages at K offset kk, the same in every K step; base is -1 past the last pixel. Needs p0, plane,
 * pixels and lid.
 */
export function stagedPixelsWgsl(): string {
  return `
        for (var q = 0; q < 2; q++) {
          let quad = lid / ${STEP_K} + q * 16;
          for (var r = 0; r < 4; r++) {
            let p = p0 + quad * 4 + r;
            let b = p / plane;
            let rem = p % plane;
            iy0[q * 4 + r] = (rem / uniforms.outShape.z) * uniforms.strides.x - uniforms.pads.x;
            ix0[q * 4 + r] = (rem % uniforms.outShape.z) * uniforms.strides.y - uniforms.pads.y;
            base[q * 4 + r] = select(-1, b * uniforms.xShape.y * uniforms.xShape.z * uniforms.xShape.w, p < pixels);
          }
        }`;
}

/** WGSL that writes acc[g * 8 + i] (pixel i, channel group g) with bias and ReLU. Needs p0, c0, pixels, nOut, tx, ty. */
export function epilogueWgsl(hasBias: boolean, relu: boolean, groups: number): string {
  return `
        for (var i = 0; i < 8; i++) {
          let p = p0 + ty * 8 + i;
          if (p >= pixels) { break; }
          for (var g = 0; g < ${groups}; g++) {
            for (var j = 0; j < 4; j++) {
              let co = c0 + g * 64 + tx * 4 + j;
              if (co < nOut) {
                var y = acc[g * 8 + i][j];
                ${hasBias ? 'y = y + bias[co];' : ''}
                ${relu ? 'y = max(y, 0.0);' : ''}
                result[p * nOut + co] = y;
              }
            }
          }
        }`;
}
