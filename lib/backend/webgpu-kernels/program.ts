/** The parts of tfjs-webgpu's program and backend interfaces (webgpu_program.ts, backend_webgpu.ts) the kit's kernels use. */
import type * as tf from '@tensorflow/tfjs';

export interface WebgpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms?: string;
  workgroupSize: [number, number, number];
  /** Adds uniforms.size (the output's element count); with a flat layout tfjs calls main(index). */
  size?: boolean;
  getUserCode(): string;
}

export interface WebgpuBackendLike {
  runWebGPUProgram(program: WebgpuProgram, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms?: { type: string; data: number[] }[]): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}
