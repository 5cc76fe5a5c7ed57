/**
 * The kit's training kernels for @tensorflow/tfjs-backend-wasm 4.22: missing gradient kernels are added (the stock
 * backend cannot train a conv net: it lacks Conv2DBackpropFilter), slow ones are overridden. An override
 * unregisters the stock kernel, keeps its config as the fallback for cases it does not cover, and carries its
 * setupFunc so the stock wasm function is still wired up when the backend initialises.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { rememberStock } from './backend-ops';
import { batchMatMulConfig } from './batch-mat-mul';
import { conv2dConfig, fusedConv2dConfig } from './conv2d';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-conv2d-backprop';
import { identityConfig } from './identity';
import { sliceConfig } from './slice';
import { sumConfig } from './sum';
import { transposeConfig } from './transpose';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/** Missing in the stock backend: registered as they are. */
const ADDED: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig, unsortedSegmentSumConfig, depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig,
];

/** Faster versions of stock kernels: each builder gets the stock config to fall back on. */
const OVERRIDES: ReadonlyArray<readonly [string, (stock: tf.KernelConfig | undefined) => tf.KernelConfig]> = [
  ['Conv2D', conv2dConfig],
  ['FusedConv2D', fusedConv2dConfig],
  ['Conv2DBackpropInput', conv2dBackpropInputConfig],
  ['BatchMatMul', batchMatMulConfig],
  ['Transpose', transposeConfig],
  ['Slice', sliceConfig],
  ['Sum', sumConfig],
  ['Identity', identityConfig],
];

let registered: string[] | null = null;

/**
 * Registers the kit kernels for backend 'wasm'. Idempotent: later calls change nothing and return
 * the same names. Call it before `tf.setBackend('wasm')` (setup functions run at initialisation);
 * calling it later also works because the stock setup has already run by then.
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered) return [...registered];
  const names: string[] = [];
  for (const config of ADDED) {
    if (tf.getKernel(config.kernelName, 'wasm')) continue; // a newer tfjs may ship it
    tf.registerKernel(config);
    names.push(config.kernelName);
  }
  for (const [name, build] of OVERRIDES) {
    const stock = tf.getKernel(name, 'wasm');
    if (stock) {
      rememberStock(stock);
      tf.unregisterKernel(name, 'wasm');
    }
    tf.registerKernel(build(stock));
    names.push(name);
  }
  registered = names;
  return [...names];
}
